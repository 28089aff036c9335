// The demo page: create a session through the demo route, show its QR code and link,
// follow it with the browser client, and show the result when it arrives.
import { watchSession } from "./handoff-client.js";

const root = document.getElementById("demo");
const formats = JSON.parse(root.dataset.formats);
const form = document.getElementById("start-form");
const formatSelect = document.getElementById("output-format");
const startButton = document.getElementById("start");
const startError = document.getElementById("start-error");
const startErrorText = document.getElementById("start-error-text");
const sessionCard = document.getElementById("session-card");
const qr = document.getElementById("qr");
const phoneLink = document.getElementById("phone-link");
const codeUrl = document.getElementById("code-url");
const shortCode = document.getElementById("short-code");
const matchBox = document.getElementById("match-box");
const matchNumber = document.getElementById("match-number");
const transportNote = document.getElementById("transport");
const timeline = document.getElementById("timeline");
const cancelButton = document.getElementById("cancel");
const againButton = document.getElementById("again");
const resultCard = document.getElementById("result-card");
const resultBox = document.getElementById("result");
const modeField = document.getElementById("document-mode-field");
const qrBox = document.getElementById("qr-box");
const connected = document.getElementById("connected");
const invite = document.getElementById("invite");
const timeLeft = document.getElementById("time-left");
/** Time left is shown once under this many seconds remain. */
const SHOW_TIME_LEFT_BELOW_S = 5 * 60;
const OPEN = ["opened", "action_started"];
let clockTimer = null;

const ORDER = ["pending", "opened", "action_started", "completed"];
const FINAL = ["completed", "cancelled", "expired"];
let current = null; // {session, sessionUrl, secret, watcher}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function fillFormats() {
  const action = form.elements.action_type.value;
  modeField.hidden = action !== "scan";
  formatSelect.replaceChildren(
    ...formats[action].map((fmt) => element("option", { value: fmt }, fmt.toUpperCase())),
  );
}

function showStartError(message) {
  startErrorText.textContent = message;
  startError.hidden = false;
}

/** A link to one of the session's files on this page's origin, carrying its client secret. */
function fileHref(absolute) {
  const url = new URL(new URL(absolute).pathname, window.location.href);
  url.searchParams.set("client_secret", current.secret);
  return url.pathname + url.search;
}

/** The first page of a PDF, drawn by the server, and how many pages follow it. */
async function showPreview(box, item) {
  const note = element("p", { class: "document-note" }, "Loading the first page…");
  box.append(note);
  let answer;
  try {
    answer = await fetch(fileHref(item.preview_url));
  } catch {
    answer = null;
  }
  if (!answer || !answer.ok) {
    note.textContent = "No preview: download the PDF to see it.";
    return;
  }
  const pages = Number(answer.headers.get("X-Page-Count")) || 1;
  const src = URL.createObjectURL(await answer.blob());
  const page = element("img", { src, class: "result__media result__page",
    alt: `First page of ${item.filename}` });
  page.addEventListener("load", () => URL.revokeObjectURL(src), { once: true });
  note.textContent = pages === 1 ? "The PDF's only page." : `Page 1 of ${pages}.`;
  box.replaceChildren(page, note);
}

function formatTime(date) {
  return date.toLocaleTimeString([], {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
}

function resetTimeline() {
  for (const item of timeline.children) {
    item.classList.remove("is-reached", "is-current");
    item.querySelector("time").textContent = "";
    if (!ORDER.includes(item.dataset.status)) item.hidden = true;
  }
}

function markTimeline(status) {
  const reached = ORDER.includes(status) ? ORDER.slice(0, ORDER.indexOf(status) + 1) : [status];
  const now = new Date();
  for (const item of timeline.children) {
    const isReached = reached.includes(item.dataset.status);
    if (isReached && !item.classList.contains("is-reached")) {
      item.classList.add("is-reached");
      item.hidden = false;
      const time = item.querySelector("time");
      time.dateTime = now.toISOString();
      time.textContent = formatTime(now);
    }
    item.classList.toggle("is-current", item.dataset.status === status);
  }
}

function formatDuration(total) {
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const locale = navigator.language;
  if (typeof Intl.DurationFormat === "function") {
    return new Intl.DurationFormat(locale, { style: "short" }).format(minutes ? { minutes, seconds } : { seconds });
  }
  const unit = (value, name) => new Intl.NumberFormat(locale, { style: "unit", unit: name }).format(value);
  return minutes ? `${unit(minutes, "minute")} ${unit(seconds, "second")}` : unit(seconds, "second");
}

/** Once a second: the session's time left (under five minutes), and results past their time. */
function tickClock() {
  clockTimer = null;
  if (!current) return;
  const now = Date.now();
  const { session } = current;
  const left = Math.max(0, Math.ceil((Date.parse(session.expires_at) - now) / 1000));
  timeLeft.hidden = FINAL.includes(session.status) || left >= SHOW_TIME_LEFT_BELOW_S;
  if (!timeLeft.hidden) timeLeft.textContent = `Time left: ${formatDuration(left)}`;
  for (const button of resultBox.querySelectorAll("[data-expires-at]")) {
    if (Date.parse(button.dataset.expiresAt) <= now) expireDownload(button);
  }
  clockTimer = setTimeout(tickClock, 1000);
}

/** A download past its expires_at: the server has deleted the file, so the button says so. */
function expireDownload(link) {
  const gone = element("button", { class: "button", type: "button", disabled: "" },
    `${link.dataset.filename} expired`);
  link.replaceWith(gone);
}

function showResult(session) {
  const items = session.result || [];
  resultBox.replaceChildren();
  for (const item of items) {
    const href = fileHref(item.download_url);
    const media = item.content_type.startsWith("image/")
      ? element("img", { src: href, alt: `Result: ${item.filename}`, class: "result__media" })
      : element("div", { class: "result__document" });
    if (item.preview_url) {
      showPreview(media, item);
    } else if (!item.content_type.startsWith("image/")) {
      media.append(
        // strokes.json, a scan's text: their kind, from the name.
        element("div", { class: "document", role: "img", "aria-label": item.filename },
          item.filename.split(".").pop().toUpperCase()),
        element("p", { class: "document-note" }, "No preview: download the file to see it."),
      );
    }
    const facts = element("dl", { class: "result__facts" });
    const size = item.size >= 1024 ? `${(item.size / 1024).toFixed(1)} kB` : `${item.size} bytes`;
    for (const [term, value] of [["File", item.filename], ["Type", item.content_type],
      ["Size", size], ["SHA-256", item.sha256],
      ["Available until", formatTime(new Date(item.expires_at))]]) {
      facts.append(element("dt", {}, term), element("dd", {}, value));
    }
    const download = element("a", {
      class: "button button--primary", href, download: item.filename,
      "data-expires-at": item.expires_at, "data-filename": item.filename,
    }, `Download ${item.filename}`);
    const side = element("div", { class: "result__side" });
    side.append(facts, download);
    resultBox.append(media, side);
  }
  resultCard.hidden = false;
}

const TRANSPORT_NAMES = { websocket: "a websocket", polling: "long-polling" };

/** The QR code until the phone opens the link, "Phone connected" while it captures, neither after. */
function showConnection(status) {
  const open = OPEN.includes(status);
  const over = FINAL.includes(status);
  qrBox.hidden = open || over;
  invite.hidden = open || over;
  connected.hidden = !open;
}

function onChange(session, { transport }) {
  if (current) current.session = session;
  markTimeline(session.status);
  showConnection(session.status);
  if (session.status === "completed") showResult(session);
  if (FINAL.includes(session.status)) {
    cancelButton.hidden = session.status !== "completed";
    cancelButton.textContent = "Discard";
    againButton.hidden = false;
    transportNote.textContent = `Session ${session.status}; updates came by ${TRANSPORT_NAMES[transport]}.`;
  }
  if (session.status === "cancelled") resultCard.hidden = true;
  if (session.cancel_reason === "match_failed") {
    transportNote.textContent = "The phone picked a wrong number, so the session was cancelled: "
      + "the link may have reached someone else's phone.";
  }
}

function onTransport(name) {
  transportNote.textContent = name === "websocket"
    ? "Live updates over a websocket."
    : "Live updates by long-polling (websocket unavailable).";
  root.dataset.transport = name;
}

async function start(event) {
  event.preventDefault();
  startError.hidden = true;
  startButton.disabled = true;
  startButton.textContent = "Starting…";
  const data = new FormData(form);
  const body = {
    action_type: data.get("action_type"),
    output_format: data.get("output_format"),
    intro_text: data.get("intro_text").trim(),
    ...(data.get("action_type") === "scan" ? { document_mode: data.get("document_mode") } : {}),
    confirm_match: data.get("confirm_match") === "on",
  };
  try {
    const response = await fetch(root.dataset.createUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showStartError(answer.error || `The server answered ${response.status}.`);
      return;
    }
    await follow(answer);
  } catch {
    showStartError("The server could not be reached. Is it still running?");
  } finally {
    startButton.disabled = false;
    startButton.textContent = "Start";
  }
}

async function follow({ session, session_url: sessionUrl, events_url: eventsUrl, qr_url: qrUrl }) {
  await retire();
  current = { session, sessionUrl, secret: session.client_secret, watcher: null };
  qr.src = qrUrl;
  phoneLink.href = session.url;
  phoneLink.textContent = session.url;
  codeUrl.href = session.short_code_url;
  codeUrl.textContent = session.short_code_url.replace(/^https?:\/\//, "");
  shortCode.textContent = session.short_code;
  matchNumber.textContent = session.match_number || "";
  matchBox.hidden = !session.match_number;
  resetTimeline();
  resultCard.hidden = true;
  cancelButton.hidden = false;
  cancelButton.textContent = "Cancel";
  cancelButton.disabled = false;
  againButton.hidden = false;
  sessionCard.hidden = false;
  root.dataset.sessionId = session.id;
  markTimeline(session.status);
  showConnection(session.status);
  if (clockTimer === null) tickClock();
  current.watcher = watchSession({
    eventsUrl, sessionUrl, clientSecret: current.secret, onChange, onTransport,
    onError: (error) => { transportNote.textContent = error.message; },
  });
}

async function cancel() {
  if (!current) return;
  cancelButton.disabled = true;
  const response = await fetch(current.sessionUrl, {
    method: "DELETE", headers: { Authorization: `Bearer ${current.secret}` },
  }).catch(() => null);
  cancelButton.disabled = false;
  if (!response || !response.ok) {
    transportNote.textContent = "Cancelling failed; try again.";
    return;
  }
  // A completed session's watcher has already stopped: show the cancellation here.
  const session = await response.json();
  current.session = session;
  markTimeline(session.status);
  showConnection(session.status);
  transportNote.textContent = "Session cancelled; its result files are deleted.";
  cancelButton.hidden = true;
  resultCard.hidden = true;
  againButton.hidden = false;
}

/** Stop following the current session; one still waiting is cancelled, so its link dies. */
async function retire() {
  const previous = current;
  current = null;
  if (!previous) return;
  previous.watcher?.stop();
  if (!FINAL.includes(previous.session.status)) {
    await fetch(previous.sessionUrl, {
      method: "DELETE", headers: { Authorization: `Bearer ${previous.secret}` },
    }).catch(() => null);
  }
}

async function startAnother() {
  await retire();
  sessionCard.hidden = true;
  resultCard.hidden = true;
  form.elements.action_type[0].focus();
}

form.addEventListener("change", (event) => {
  if (event.target.name === "action_type") fillFormats();
});
form.addEventListener("submit", start);
cancelButton.addEventListener("click", cancel);
againButton.addEventListener("click", startAnother);
fillFormats();
