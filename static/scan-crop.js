// The crop screen: the photo, a dimmed outside, four corner handles just outside
// the page (so a finger does not hide the corner) and a magnifier while dragging.
import { gettext } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
/** Space around the photo, in CSS pixels, so handles outside the page stay on screen. */
const MARGIN = 34;
/** How far a handle sits outside its corner, in CSS pixels. */
const HANDLE_OFFSET = 22;
const HANDLE_RADIUS = 15;
const MAGNIFIER_SIZE = 116;
const MAGNIFIER_ZOOM = 3;
/** Each handle's label, in corner order. */
const NAMES = [gettext("Move the top-left corner"), gettext("Move the top-right corner"),
  gettext("Move the bottom-right corner"), gettext("Move the bottom-left corner")];

function element(name, attributes = {}) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

export class CropEditor {
  constructor(stage, image, overlay, magnifier, onChange) {
    this.stage = stage;
    this.image = image;
    this.overlay = overlay;
    this.magnifier = magnifier;
    this.onChange = onChange;
    this.photo = null;
    this.corners = [];
    this.drag = null;
    this.shade = element("path", { class: "crop-shade", "fill-rule": "evenodd" });
    this.outline = element("polygon", { class: "crop-outline" });
    this.overlay.append(this.shade, this.outline);
    this.handles = NAMES.map((name, i) => this.makeHandle(name, i));
    // The stage changes size with the note below it and on rotation; the photo follows.
    new ResizeObserver(() => this.photo && !this.stage.closest("[hidden]") && this.layout())
      .observe(this.stage);
  }

  makeHandle(name, i) {
    const group = element("g", {
      class: "handle", tabindex: "0", role: "slider", "data-corner": String(i),
      "aria-label": name,
    });
    const stem = element("line", { class: "handle__stem" });
    const hit = element("circle", { class: "handle__hit" });
    const ring = element("circle", { class: "handle__ring" });
    const dot = element("circle", { class: "handle__dot" });
    group.append(stem, hit, ring, dot);
    group.addEventListener("pointerdown", (event) => this.grab(event, i));
    group.addEventListener("pointermove", (event) => this.move(event));
    group.addEventListener("pointerup", (event) => this.release(event));
    group.addEventListener("pointercancel", (event) => this.release(event));
    group.addEventListener("keydown", (event) => this.nudge(event, i));
    this.overlay.append(group);
    return { group, stem, hit, ring, dot };
  }

  /** Show ``photo`` (from loadPhoto) with the given corners in its pixels. */
  open(photo, corners) {
    this.photo = photo;
    this.touched = false;
    this.corners = corners.map(([x, y]) => [x, y]);
    this.image.src = photo.image.src;
    requestAnimationFrame(() => this.layout());
  }

  /** Fit the photo into the stage and size the overlay to it plus a margin. */
  layout() {
    const box = this.stage.getBoundingClientRect();
    const { width, height } = this.photo;
    const scale = Math.min((box.width - 2 * MARGIN) / width, (box.height - 2 * MARGIN) / height);
    this.scale = scale; // CSS pixels per photo pixel
    const shownW = width * scale, shownH = height * scale;
    const left = (box.width - shownW) / 2, top = (box.height - shownH) / 2;
    Object.assign(this.image.style, {
      width: `${shownW}px`, height: `${shownH}px`, left: `${left}px`, top: `${top}px`,
    });
    // The overlay covers the whole stage; its user units are photo pixels.
    this.overlay.setAttribute("viewBox",
      `${-left / scale} ${-top / scale} ${box.width / scale} ${box.height / scale}`);
    this.render();
  }

  render() {
    const k = 1 / this.scale;
    const { width, height } = this.photo;
    const quad = this.corners.map(([x, y]) => `${x},${y}`).join(" ");
    this.shade.setAttribute("d",
      `M0 0H${width}V${height}H0Z M${this.corners.map(([x, y]) => `${x} ${y}`).join("L")}Z`);
    this.outline.setAttribute("points", quad);
    const cx = this.corners.reduce((s, [x]) => s + x, 0) / 4;
    const cy = this.corners.reduce((s, [, y]) => s + y, 0) / 4;
    this.handles.forEach((handle, i) => {
      const [x, y] = this.corners[i];
      const length = Math.hypot(x - cx, y - cy) || 1;
      const hx = x + ((x - cx) / length) * HANDLE_OFFSET * k;
      const hy = y + ((y - cy) / length) * HANDLE_OFFSET * k;
      handle.position = [hx, hy];
      for (const [node, r] of [[handle.hit, HANDLE_RADIUS * 1.7], [handle.ring, HANDLE_RADIUS],
        [handle.dot, 3.5]]) {
        node.setAttribute("cx", node === handle.dot ? x : hx);
        node.setAttribute("cy", node === handle.dot ? y : hy);
        node.setAttribute("r", r * k);
      }
      Object.entries({ x1: x, y1: y, x2: hx, y2: hy })
        .forEach(([key, value]) => handle.stem.setAttribute(key, value));
      handle.group.setAttribute("aria-valuetext", `${Math.round(x)}, ${Math.round(y)}`);
    });
    this.onChange?.(this.corners);
  }

  /** A pointer position in photo pixels. */
  toPhoto(event) {
    const point = new DOMPoint(event.clientX, event.clientY)
      .matrixTransform(this.overlay.getScreenCTM().inverse());
    return [point.x, point.y];
  }

  grab(event, i) {
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    const [px, py] = this.toPhoto(event);
    const [x, y] = this.corners[i];
    this.drag = { i, id: event.pointerId, dx: x - px, dy: y - py };
    this.handles[i].group.classList.add("handle--active");
    this.showMagnifier(event);
  }

  move(event) {
    if (!this.drag || event.pointerId !== this.drag.id) return;
    const [px, py] = this.toPhoto(event);
    this.place(this.drag.i, px + this.drag.dx, py + this.drag.dy);
    this.showMagnifier(event);
  }

  release(event) {
    if (!this.drag || event.pointerId !== this.drag.id) return;
    this.handles[this.drag.i].group.classList.remove("handle--active");
    this.drag = null;
    this.magnifier.hidden = true;
  }

  nudge(event, i) {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const step = steps[event.key];
    if (!step) return;
    event.preventDefault();
    const amount = (event.shiftKey ? 10 : 2) / this.scale;
    const [x, y] = this.corners[i];
    this.place(i, x + step[0] * amount, y + step[1] * amount);
  }

  place(i, x, y) {
    const { width, height } = this.photo;
    this.touched = true;
    this.corners[i] = [Math.min(Math.max(x, 0), width), Math.min(Math.max(y, 0), height)];
    this.render();
  }

  /** The exact point under the corner, enlarged, shown away from the finger. */
  showMagnifier(event) {
    const canvas = this.magnifier;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = canvas.height = MAGNIFIER_SIZE * ratio;
    canvas.hidden = false;
    const box = this.stage.getBoundingClientRect();
    const fingerX = event.clientX - box.left, fingerY = event.clientY - box.top;
    // Above the finger, or below it near the top; never off the stage.
    let top = fingerY - MAGNIFIER_SIZE - 56;
    if (top < 4) top = fingerY + 56;
    const left = Math.min(Math.max(fingerX - MAGNIFIER_SIZE / 2, 4), box.width - MAGNIFIER_SIZE - 4);
    Object.assign(canvas.style, { left: `${left}px`, top: `${top}px` });

    const [x, y] = this.corners[this.drag.i];
    const span = MAGNIFIER_SIZE / (this.scale * MAGNIFIER_ZOOM); // photo pixels across
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const unit = canvas.width / span;
    ctx.drawImage(this.photo.image, (-x + span / 2) * unit, (-y + span / 2) * unit,
      this.photo.width * unit, this.photo.height * unit);
    ctx.strokeStyle = "#2563eb";
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    this.corners.forEach(([qx, qy], n) => {
      const sx = (qx - x + span / 2) * unit, sy = (qy - y + span / 2) * unit;
      if (n === 0) ctx.moveTo(sx, sy); else ctx.lineTo(sx, sy);
    });
    ctx.closePath();
    ctx.stroke();
    // A crosshair that shows on light paper and dark tables alike.
    const c = canvas.width / 2;
    for (const [colour, width] of [["#000", 3.5], ["#fff", 1.5]]) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width * ratio;
      ctx.beginPath();
      ctx.moveTo(c - 12 * ratio, c); ctx.lineTo(c + 12 * ratio, c);
      ctx.moveTo(c, c - 12 * ratio); ctx.lineTo(c, c + 12 * ratio);
      ctx.stroke();
    }
  }
}
