// Signature capture: the pad, its Undo/Redo/Clear buttons, and sending the strokes.
import { gettext } from "./i18n.js";
import { hideError, markStarted, ready, send, settle, watchStatus } from "./phone-common.js";
import { SignaturePad } from "./signature-pad.js";

const canvas = document.getElementById("pad");
const placeholder = document.getElementById("pad-placeholder");
const undoButton = document.getElementById("undo");
const redoButton = document.getElementById("redo");
const clearButton = document.getElementById("clear");
const sendButton = document.getElementById("send");
const sendHint = document.getElementById("send-hint");
let sending = false;

function update(pad) {
  placeholder.hidden = !pad.isEmpty;
  // Send waits for a signature the server accepts; say why while what is drawn falls short.
  const tooSmall = !pad.isEmpty && !pad.isSignature && !pad.current;
  sendHint.textContent = tooSmall ? gettext("Send is off: the signature is too small. Sign across the pad.") : "";
  sendHint.hidden = !tooSmall;
  undoButton.disabled = sending || !pad.canUndo;
  redoButton.disabled = sending || !pad.canRedo;
  clearButton.disabled = sending || pad.isEmpty;
  sendButton.disabled = sending || !pad.isSignature || Boolean(pad.current);
}

const pad = new SignaturePad(canvas, { onChange: update });

// The first touch on the pad is when the user starts signing.
canvas.addEventListener("pointerdown", () => markStarted(), { once: true });
undoButton.addEventListener("click", () => pad.undo());
redoButton.addEventListener("click", () => pad.redo());
clearButton.addEventListener("click", () => pad.clear());

async function upload() {
  if (sending || !pad.isSignature) return;
  sending = true;
  pad.locked = true;
  hideError();
  update(pad);
  sendButton.textContent = gettext("Sending…");
  const answer = await send(JSON.stringify(pad), { contentType: "application/json" });
  sending = false;
  pad.locked = false;
  sendButton.textContent = gettext("Send");
  if (!settle(answer, upload)) update(pad);
}

sendButton.addEventListener("click", upload);

ready();
update(pad);
watchStatus();
