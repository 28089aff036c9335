// A signature pad: pointer strokes (mouse, touch, pen) drawn as smooth curves whose
// width follows speed and pen pressure, kept as data so any resize redraws them.
//
// Points are [x, y, t, pressure] in "drawing" pixels: the pad's CSS size when the
// first stroke began; t in milliseconds since the signature's first point, pressure
// from 0 to 1 (0: the device does not measure it, as for fingers and mice). The
// server replays strokeWidths (handoff/capture/pen.py) on them: keep the two alike. After a resize or rotation the drawing is
// scaled uniformly to fit the new pad, and new points are mapped back, so the
// strokes sent stay in one coordinate system with the width and height sent.
// Ink drawn beyond the first size (more room after turning the phone) widens
// the drawing area, so nothing drawn is ever outside what is sent.

const MIN_WIDTH = 1.5;
const MAX_WIDTH = 4.2;
/** Speed (px/ms) at which the line reaches its thinnest. */
const FAST = 3.0;
/** Weight of the previous width: a low-pass filter so width changes are gradual. */
const WIDTH_SMOOTHING = 0.7;
const INK = "#111827";

/** Widths per point of one stroke, from speed and (for pens) pressure; deterministic. */
export function strokeWidths(stroke) {
  const widths = [];
  let width = (MIN_WIDTH + MAX_WIDTH) / 2;
  for (let i = 0; i < stroke.length; i++) {
    const [x, y, t, pressure] = stroke[i];
    let target = width;
    if (i > 0) {
      const [px, py, pt] = stroke[i - 1];
      const speed = Math.hypot(x - px, y - py) / Math.max(1, t - pt);
      target = MAX_WIDTH - (MAX_WIDTH - MIN_WIDTH) * Math.min(1, speed / FAST);
    }
    if (pressure > 0) target *= 0.4 + 1.2 * Math.min(pressure, 1);
    width = i === 0 ? target : WIDTH_SMOOTHING * width + (1 - WIDTH_SMOOTHING) * target;
    widths.push(width);
  }
  return widths;
}

/** Draw one stroke: quadratic curves through the midpoints, each at its local width. */
export function drawStroke(context, stroke) {
  const widths = strokeWidths(stroke);
  context.strokeStyle = INK;
  context.fillStyle = INK;
  if (stroke.length === 1) {
    context.beginPath();
    context.arc(stroke[0][0], stroke[0][1], widths[0] / 2, 0, Math.PI * 2);
    context.fill();
    return;
  }
  let [fromX, fromY] = stroke[0];
  for (let i = 1; i < stroke.length; i++) {
    const [x, y] = stroke[i];
    const last = i === stroke.length - 1;
    const [toX, toY] = last ? [x, y] : [(x + stroke[i + 1][0]) / 2, (y + stroke[i + 1][1]) / 2];
    context.beginPath();
    context.moveTo(fromX, fromY);
    context.quadraticCurveTo(x, y, toX, toY);
    context.lineWidth = (widths[i - 1] + widths[i]) / 2;
    context.stroke();
    [fromX, fromY] = [toX, toY];
  }
}

export class SignaturePad {
  /** ``onChange`` is called after every change with the pad itself. */
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.onChange = onChange;
    this.strokes = [];
    /** The pointer type ("touch", "pen", "mouse") of each stroke, beside it. */
    this.types = [];
    this.undone = [];
    /** event.timeStamp of the signature's first point: times are sent from there. */
    this.start = null;
    this.current = null;
    this.size = null; // drawing size {width, height}, fixed by the first stroke
    this.scale = 1;
    /** While true (e.g. during sending) the pad ignores new strokes. */
    this.locked = false;
    this.listen();
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  /** Match the canvas to its CSS box times devicePixelRatio, then redraw everything. */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.canvas.getBoundingClientRect();
    if (!width || !height) return;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.cssSize = { width, height };
    this.ratio = ratio;
    this.fit();
    this.redraw();
  }

  fit() {
    const { width, height } = this.cssSize;
    const area = this.area();
    this.scale = area ? Math.min(width / area.width, height / area.height) : 1;
  }

  /** The drawing area: the first size, widened to the ink drawn after a rotation. */
  area() {
    if (!this.size) return null;
    let { width, height } = this.size;
    for (const stroke of this.strokes) {
      for (const [x, y] of stroke) {
        if (x > width) width = x;
        if (y > height) height = y;
      }
    }
    return { width, height };
  }

  redraw() {
    const { context, ratio, scale } = this;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    context.setTransform(ratio * scale, 0, 0, ratio * scale, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const stroke of this.strokes) drawStroke(context, stroke);
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    // Pointer capture reports moves outside the pad too: keep them on its edge.
    const x = clamp(event.clientX - box.left, 0, box.width) / this.scale;
    const y = clamp(event.clientY - box.top, 0, box.height) / this.scale;
    if (this.start === null) this.start = event.timeStamp;
    const pressure = event.pointerType === "pen" && event.pressure > 0 ? round(event.pressure, 1000) : 0;
    // Never before the first point (a coalesced move may carry an earlier time stamp).
    return [round(x), round(y), Math.max(0, Math.round(event.timeStamp - this.start)), pressure];
  }

  listen() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || this.current || this.locked) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      if (!this.size) {
        this.size = { ...this.cssSize };
        this.fit();
      }
      this.current = { id: event.pointerId, points: [this.point(event)] };
      this.strokes.push(this.current.points);
      this.types.push(event.pointerType || "mouse");
      this.undone = [];
      this.redraw();
      this.onChange(this);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.current || event.pointerId !== this.current.id) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const each of events.length ? events : [event]) this.current.points.push(this.point(each));
      this.redraw();
    });
    const end = (event) => {
      if (!this.current || event.pointerId !== this.current.id) return;
      this.current = null;
      this.onChange(this);
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  /** True when the server would accept the ink: enough points spanning enough room
   * (its limits come with the page, as the canvas's data-min-points and data-min-extent). */
  get isSignature() {
    const points = this.strokes.flat();
    if (points.length < Number(this.canvas.dataset.minPoints)) return false;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const extent = Math.hypot(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    return extent >= Number(this.canvas.dataset.minExtent);
  }

  get canUndo() {
    return this.strokes.length > 0 && !this.current;
  }

  get canRedo() {
    return this.undone.length > 0 && !this.current;
  }

  undo() {
    if (!this.canUndo) return;
    this.undone.push([this.strokes.pop(), this.types.pop()]);
    this.changed();
  }

  redo() {
    if (!this.canRedo) return;
    const [stroke, type] = this.undone.pop();
    this.strokes.push(stroke);
    this.types.push(type);
    this.changed();
  }

  /** Clear keeps the strokes on the redo stack, so Redo brings them back one by one. */
  clear() {
    while (this.strokes.length) this.undone.push([this.strokes.pop(), this.types.pop()]);
    this.changed();
  }

  changed() {
    if (this.strokes.length === 0 && this.undone.length === 0) {
      this.size = null;
      this.start = null;
    }
    this.fit();
    this.redraw();
    this.onChange(this);
  }

  /** The body for ``POST /s/{token}/result``. */
  toJSON() {
    const area = this.area() || this.cssSize;
    const types = new Set(this.types);
    return {
      width: round(area.width), height: round(area.height), strokes: this.strokes,
      pointer_type: types.size === 1 ? [...types][0] : "mixed",
      device_pixel_ratio: this.ratio,
    };
  }
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function round(value, factor = 10) {
  return Math.round(value * factor) / factor;
}
