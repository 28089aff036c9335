// Signature pad: pointer strokes in pad pixels, sent as JSON for the server to render.
const wrap = document.getElementById("pad-wrap");
const canvas = document.getElementById("pad");
const send = document.getElementById("send");
const clear = document.getElementById("clear");
const error = document.getElementById("error");
const context = canvas.getContext("2d");
const strokes = [];
let current = null;

function resize() {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * ratio;
  canvas.height = canvas.clientHeight * ratio;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  redraw();
}

function redraw() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of strokes) {
    context.beginPath();
    stroke.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
    context.stroke();
  }
  send.disabled = strokes.reduce((n, s) => n + s.length, 0) < 3;
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top, Math.round(event.timeStamp)];
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.setPointerCapture(event.pointerId);
  current = [point(event)];
  strokes.push(current);
  redraw();
});
canvas.addEventListener("pointermove", (event) => {
  if (!current) return;
  current.push(point(event));
  redraw();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, () => { current = null; });
}
clear.addEventListener("click", () => { strokes.length = 0; redraw(); });

send.addEventListener("click", async () => {
  send.disabled = true;
  const body = JSON.stringify({ width: canvas.clientWidth, height: canvas.clientHeight, strokes });
  const response = await fetch(wrap.dataset.uploadUrl, {
    method: "POST", headers: { "Content-Type": "application/json" }, body,
  });
  if (response.ok) {
    window.location.reload();
    return;
  }
  const data = await response.json().catch(() => ({ error: "Sending failed; please try again." }));
  error.textContent = data.error;
  error.hidden = false;
  send.disabled = false;
});

window.addEventListener("resize", resize);
resize();
