// The page's language: the scripts' messages (JSON on <html data-messages>) and number formats.
// Message ids are the English sentences; ``{name}`` marks a value filled in here.

const root = document.documentElement;
export const lang = root.lang || "en";
const messages = JSON.parse(root.dataset.messages || "{}");
const plurals = new Intl.PluralRules(lang);

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The message in the page's language, with ``{name}`` replaced from ``values``. */
export function gettext(id, values = {}) {
  const text = messages[id];
  return fill(typeof text === "string" ? text : id, values);
}

/** The singular or plural form for ``n`` (also available as ``{n}``). */
export function ngettext(singular, plural, n, values = {}) {
  const forms = messages[singular];
  const one = plurals.select(n) === "one";
  // Forms run from "one" to "other"; "many" (a million in some languages) reads as "other" here.
  const text = Array.isArray(forms) ? forms[one ? 0 : forms.length - 1] : one ? singular : plural;
  return fill(text, { n, ...values });
}

/** A byte count as the page's language writes it (kB or MB). */
export function formatBytes(bytes) {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), "megabyte"]
    : [Math.max(1, Math.round(bytes / 1024)), "kilobyte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

/** A fraction from 0 to 1 as a percentage in the page's language. */
export function formatPercent(fraction) {
  return new Intl.NumberFormat(lang, { style: "percent" }).format(fraction);
}
