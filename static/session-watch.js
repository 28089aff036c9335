// Watching the session from a phone page: ask GET /s/{token}/status until the
// session is completed, cancelled or expired. Network errors are ignored (the
// next poll tries again); a hidden tab asks again as soon as it is shown.

const ENDED = new Set(["completed", "cancelled", "expired"]);
const DEFAULT_POLL_MS = 2500;

/** The poll interval: the page's data-poll-ms, or ?poll=<ms> (at least 100 ms). */
export function pollInterval(fromPage) {
  const asked = Number(new URLSearchParams(window.location.search).get("poll"));
  return Math.max(100, asked || Number(fromPage) || DEFAULT_POLL_MS);
}

/**
 * Poll ``url`` every ``interval`` ms; ``onEnd(status)`` once the session ended,
 * ``onGone()`` when the link is no longer valid (404); no poll while ``paused()``.
 * Returns a function that stops watching.
 */
export function watchSession({ url, interval, onEnd, onGone, paused = () => false }) {
  let timer = null;
  let stopped = false;

  async function check() {
    timer = null;
    if (stopped) return;
    if (document.visibilityState === "visible" && !paused()) {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
        if (response.status === 404) {
          stop();
          onGone();
          return;
        }
        const { status } = await response.json();
        if (ENDED.has(status)) {
          stop();
          onEnd(status);
          return;
        }
      } catch {
        // Offline for a moment: keep the page as it is and ask again later.
      }
    }
    if (!stopped) timer = setTimeout(check, interval);
  }

  function onVisible() {
    if (document.visibilityState === "visible" && timer !== null) {
      clearTimeout(timer);
      check();
    }
  }

  function stop() {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisible);
  }

  document.addEventListener("visibilitychange", onVisible);
  timer = setTimeout(check, interval);
  return stop;
}
