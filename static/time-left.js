// The time left before the link expires, shown once under five minutes remain.
// The server says how many seconds were left when it made the page; counting from
// then on this phone's monotonic clock keeps a wrong phone clock out of it.
import { gettext, lang } from "./i18n.js";

const SHOW_BELOW_S = 5 * 60;
const box = document.getElementById("time-left");

function formatDuration(total) {
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (typeof Intl.DurationFormat === "function") {
    return new Intl.DurationFormat(lang, { style: "short" })
      .format(minutes ? { minutes, seconds } : { seconds });
  }
  const unit = (value, name) => new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "short" })
    .format(value);
  return minutes ? `${unit(minutes, "minute")} ${unit(seconds, "second")}` : unit(seconds, "second");
}

if (box) {
  const deadline = performance.now() + Number(box.dataset.secondsLeft) * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
    // Once the page shows done, cancelled or expired, the time no longer matters.
    if (document.querySelector(".message:not([hidden])")) {
      box.hidden = true;
      return;
    }
    if (left < SHOW_BELOW_S) {
      box.textContent = gettext("Time left: {time}", { time: formatDuration(left) });
      box.hidden = false;
      box.classList.toggle("time-left--urgent", left < 60);
    }
    if (left > 0) setTimeout(tick, (deadline - performance.now()) % 1000 || 1000);
  };
  tick();
}
