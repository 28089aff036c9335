// Photo capture: take one with the camera or choose one from the library, preview it,
// scale it down, send it with progress.
import { canvasOf, fit, toBlob } from "./canvas.js";
import { formatBytes, formatPercent, gettext } from "./i18n.js";
import {
  hideError, isContentError, markStarted, ready, send, settle, showError, watchStatus,
} from "./phone-common.js";
import { qualityHint } from "./quality.js";
import { liveCapture } from "./viewfinder.js";

/** Longest side sent; the server keeps at most 4096, so this loses nothing a desktop needs. */
const MAX_SIDE = 2560;
/** A JPEG already this small and within MAX_SIDE goes as it is (re-encoding only loses quality). */
const PASS_THROUGH_BYTES = 1.5 * 1024 * 1024;
const JPEG_QUALITY = 0.85;

const form = document.getElementById("capture");
const camera = document.getElementById("camera");
const library = document.getElementById("library");
const inputs = [camera, library];
const chooseStep = document.getElementById("choose-step");
const previewStep = document.getElementById("preview-step");
const preview = document.getElementById("preview");
const previewNote = document.getElementById("preview-note");
const info = document.getElementById("file-info");
const qualityNote = document.getElementById("quality-hint");
const progress = document.getElementById("progress");
const progressBar = document.getElementById("progress-bar");
const progressLabel = document.getElementById("progress-label");
const retake = document.getElementById("retake");
const sendButton = document.getElementById("send");

let prepared = null;
let choices = 0;
let previewUrl = null;
let sending = false;

/**
 * The photo as it will be sent: at most MAX_SIDE px on its longest side, turned
 * upright by its EXIF orientation, as JPEG. Files the browser cannot decode
 * (HEIC on some phones, or not an image at all) go as they are: the server judges.
 * ``hint`` warns of blur or glare (quality.js), or is null.
 */
async function downscale(file) {
  if (typeof createImageBitmap !== "function") return { file, width: null, height: null, hint: null };
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return { file, width: null, height: null, hint: null };
  }
  const hint = qualityHint(bitmap, bitmap.width, bitmap.height);
  const [width, height] = fit(bitmap.width, bitmap.height, MAX_SIDE);
  if (width === bitmap.width && height === bitmap.height
      && file.type === "image/jpeg" && file.size <= PASS_THROUGH_BYTES) {
    bitmap.close();
    return { file, width, height, hint };
  }
  try {
    const canvas = canvasOf(width, height);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // JPEG has no transparency: flatten onto white, not black
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await toBlob(canvas, JPEG_QUALITY);
    return { file: new File([blob], "photo.jpg", { type: "image/jpeg" }), width, height, hint };
  } catch {
    // A phone short of memory for the canvas: the original still works, only larger.
  } finally {
    bitmap.close();
  }
  return { file, width: null, height: null, hint };
}

function showPreview(file) {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  preview.hidden = false;
  previewNote.hidden = true;
  preview.src = previewUrl;
  chooseStep.hidden = true;
  previewStep.hidden = false;
  progress.hidden = true;
  info.textContent = gettext("Preparing the photo…");
  qualityNote.hidden = true;
}

preview.addEventListener("error", () => {
  preview.hidden = true;
  previewNote.hidden = false;
});

/** Image types a phone may hand over without a MIME type (HEIC from some galleries). */
const IMAGE_NAME = /\.(jpe?g|png|webp|heic|heif)$/i;

function isImage(file) {
  return file.type ? file.type.startsWith("image/") : IMAGE_NAME.test(file.name);
}

function chosen(input) {
  const file = input.files[0];
  if (!file || sending) return;
  hideError();
  if (!isImage(file)) {
    input.value = "";
    showError(gettext("This file is not a photo. Choose a JPEG, PNG, WebP or HEIC image."));
    return;
  }
  markStarted();
  // Retake opens what the user used: the camera again, or the library.
  retake.htmlFor = input.id;
  retake.textContent = input === camera ? gettext("Retake") : gettext("Choose another");
  showPreview(file);
  sendButton.disabled = true;
  const choice = ++choices;
  prepared = downscale(file).then((result) => {
    if (choice === choices) { // a photo chosen since then has its own preparation
      const size = formatBytes(result.file.size);
      info.textContent = result.width
        ? gettext("Ready to send: {width} × {height}, {size}.", { width: result.width, height: result.height, size })
        : gettext("Ready to send: {size}.", { size });
      // A warning only: the user may know better (a blank wall is not sharp either).
      qualityNote.textContent = result.hint ?? "";
      qualityNote.hidden = !result.hint;
      sendButton.disabled = false;
    }
    return result.file;
  });
}

for (const input of inputs) input.addEventListener("change", () => chosen(input));

// Where the browser allows it, Take a photo and its Retake open the camera inside the page.
const live = liveCapture(camera);
for (const label of [document.getElementById("take"), retake]) {
  label.addEventListener("click", (event) => {
    if (!live || label.htmlFor !== camera.id || label.getAttribute("aria-disabled") === "true") return;
    event.preventDefault();
    live.open();
  });
}

async function upload() {
  if (!prepared || sending) return;
  sending = true;
  hideError();
  sendButton.disabled = true;
  retake.setAttribute("aria-disabled", "true");
  for (const input of inputs) input.disabled = true;
  const file = await prepared;
  const body = new FormData();
  body.append("file", file, file.name || "photo.jpg");
  progress.hidden = false;
  progressBar.value = 0;
  progressLabel.textContent = gettext("Sending… {percent}", { percent: formatPercent(0) });
  const answer = await send(body, {
    onProgress: (fraction) => {
      const percent = formatPercent(fraction);
      progressBar.value = Math.round(fraction * 100);
      progressBar.textContent = percent;
      progressLabel.textContent = fraction < 1 ? gettext("Sending… {percent}", { percent })
        : gettext("Processing on the server…");
    },
  });
  sending = false;
  const resend = !isContentError(answer.status);
  const label = resend ? gettext("Try again") : gettext("Choose another photo");
  if (settle(answer, resend ? upload : chooseAgain, label)) return;
  progress.hidden = true;
  sendButton.disabled = false;
  retake.removeAttribute("aria-disabled");
  for (const input of inputs) input.disabled = false;
}

/** Open the camera or file picker again (the click on the error's button allows it). */
function chooseAgain() {
  document.getElementById(retake.htmlFor).click();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  upload();
});

// The script runs: Send waits for a photo, and the page watches the session.
ready();
watchStatus();
