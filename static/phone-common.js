// What every capture page shares: watching the session, switching screens,
// showing the server's error sentence with a way to try again, and sending.

import { gettext } from "./i18n.js";
import { pollInterval, watchSession } from "./session-watch.js";

const root = document.getElementById("capture-screen");
const errorBox = document.getElementById("error");
const errorText = document.getElementById("error-text");
const retryButton = document.getElementById("retry");
const FINAL_SCREENS = { completed: "done", cancelled: "cancelled", expired: "expired" };
let retryAction = null;
let stopWatching = () => {};

export const uploadUrl = root.dataset.uploadUrl;

/** Mark the script as running: the "did not finish loading" notice never shows. */
export function ready() {
  document.getElementById("script-fallback")?.remove();
}

let started = false;

/**
 * Tell the desktop the user has begun (first stroke, photo chosen): once per page.
 * Best effort: the upload itself still completes the session if this is lost.
 */
export function markStarted(url = root.dataset.startedUrl) {
  if (started) return;
  started = true;
  fetch(url, { method: "POST", headers: { Accept: "application/json" } }).catch(() => {});
}

/** Replace the capture screen by the done, cancelled or expired screen, for good. */
export function showScreen(name) {
  const screen = document.getElementById(`screen-${name}`);
  if (!screen || !root.isConnected) return;
  stopWatching();
  root.remove();
  screen.hidden = false;
  screen.focus();
  document.title = screen.querySelector("h1").textContent;
}

/** Show a sentence; with ``retry`` the button (labelled ``label``) calls it, without it the button is hidden. */
export function showError(message, retry = null, label = gettext("Try again")) {
  errorText.textContent = message;
  retryAction = retry;
  retryButton.hidden = retry === null;
  retryButton.textContent = label;
  errorBox.hidden = false;
  errorBox.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

export function hideError() {
  errorBox.hidden = true;
  retryAction = null;
}

retryButton.addEventListener("click", () => {
  const action = retryAction;
  hideError();
  action?.();
});

/** Switch to the done, cancelled or expired screen when the session ends while the page is open. */
export function watchStatus() {
  stopWatching = watchSession({
    url: root.dataset.statusUrl,
    interval: pollInterval(root.dataset.pollMs),
    onEnd: (status) => showScreen(FINAL_SCREENS[status]),
    onGone: () => showError(gettext("This link is no longer valid. Ask for a new QR code on your computer.")),
  });
}

/**
 * POST ``body`` to the upload URL with XHR (fetch cannot report upload progress).
 * Resolves with ``{status, data}``; status 0 means the request never got an answer.
 */
export function send(body, { contentType = null, onProgress = () => {} } = {}) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("Accept", "application/json");
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      resolve({ status: xhr.status, data });
    });
    const failed = () => resolve({ status: 0, data: null });
    xhr.addEventListener("error", failed);
    xhr.addEventListener("timeout", failed);
    xhr.addEventListener("abort", failed);
    xhr.send(body);
  });
}

/** Errors about what was sent (bad, too large, unusable): sending it again cannot help. */
export function isContentError(status) {
  return [400, 413, 415, 422].includes(status);
}

/**
 * Act on an upload's answer. Success and final states switch screens and
 * return true; any other error shows the server's sentence with ``retry``.
 */
export function settle({ status, data }, retry, label = gettext("Try again")) {
  if (status >= 200 && status < 300) {
    showScreen("done");
    return true;
  }
  if (status === 409 && data?.code === "already_completed") {
    showScreen("done");
    return true;
  }
  if (status === 410) {
    showScreen(data?.status === "cancelled" ? "cancelled" : "expired");
    return true;
  }
  if (status === 404) {
    showError(data?.error || gettext("This link is no longer valid. Ask for a new QR code on your computer."));
    return false;
  }
  const sentence = status === 0
    ? gettext("Sending failed: the connection was lost. Check your connection and try again.")
    : data?.error || gettext("Sending failed (error {status}). Please try again.", { status });
  showError(sentence, retry, label);
  return false;
}
