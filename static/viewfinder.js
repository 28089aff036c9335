// The live viewfinder: where the browser lets the page use the camera (a secure context:
// HTTPS, or localhost), taking a photo opens the camera inside the page instead of the file
// input. With ``outline``, the page's outline is found on small frames and drawn live, and the
// photo is taken by itself once the outline has held still for about a second. The shutter
// always works, and the phone's own camera app stays one tap away. The photo taken is handed
// to the file input as if the user had chosen it, so the page's usual path takes it from there.
import { canvasOf, fit, toBlob } from "./canvas.js";
import { gettext } from "./i18n.js";
import { findOutline } from "./scan-outline.js";

/** Longest side of the frames the outline is found on. */
const OUTLINE_SIDE = 200;
/** Pause between two outline searches, so the phone stays cool and responsive. */
const PAUSE_MS = 120;
/** How long the outline must hold still before the photo is taken. */
const HOLD_MS = 1000;
/** "Still": no corner moves more than this share of the frame's diagonal. */
const STILL = 0.025;

/** Whether this page may open the camera itself. */
export function liveCameraAvailable() {
  return window.isSecureContext && typeof navigator.mediaDevices?.getUserMedia === "function";
}

/**
 * A live camera for ``input`` (a file input), or null where the browser offers none.
 * ``open()`` shows it; when the camera cannot be opened (refused, missing), it opens
 * the file input instead, then and from then on.
 */
export function liveCapture(input, { outline = false } = {}) {
  if (!liveCameraAvailable()) return null;
  let view = null, broken = false;
  return {
    async open() {
      if (broken) return input.click();
      view ??= new Viewfinder(input, outline);
      try {
        await view.start();
      } catch (error) {
        console.warn("no live camera:", error);
        broken = true;
        view.stop();
        input.click();
      }
    },
  };
}

class Viewfinder {
  constructor(input, outline) {
    this.input = input;
    this.outline = outline;
    this.root = element("div", "live", { role: "dialog", "aria-modal": "true", "aria-label": gettext("Camera") });
    this.root.hidden = true;
    this.video = element("video", "live__video", { playsinline: "", muted: "", autoplay: "" });
    this.video.muted = true;
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.svg.classList.add("live__outline");
    this.svg.setAttribute("preserveAspectRatio", "xMidYMid slice"); // as the video's object-fit: cover
    this.polygon = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
    this.svg.append(this.polygon);
    this.status = element("p", "live__status", { "aria-live": "polite" });
    const close = element("button", "live__close", { type: "button", "aria-label": gettext("Close the camera") });
    close.textContent = "✕";
    close.addEventListener("click", () => this.stop());
    const app = element("label", "live__app", { for: input.id });
    app.textContent = gettext("Camera app");
    app.addEventListener("click", () => this.stop()); // the label itself opens the input
    this.shutter = element("button", "live__shutter", { type: "button", "aria-label": gettext("Take the photo") });
    this.shutter.addEventListener("click", () => this.take());
    const top = element("div", "live__top");
    top.append(this.status, close);
    const bar = element("div", "live__bar");
    bar.append(app, this.shutter, element("span", "live__spacer"));
    this.root.append(this.video, this.svg, top, bar);
    this.root.addEventListener("keydown", (event) => { if (event.key === "Escape") this.stop(); });
    document.body.append(this.root);
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1440 } },
    });
    this.video.srcObject = this.stream;
    this.root.hidden = false;
    document.body.classList.add("live-open");
    await this.video.play();
    this.svg.setAttribute("viewBox", `0 0 ${this.video.videoWidth} ${this.video.videoHeight}`);
    this.polygon.removeAttribute("points");
    this.steady = null;
    this.taking = false;
    this.status.textContent = this.outline ? gettext("Point the camera at the page; it is taken when it holds still.") : "";
    this.shutter.focus();
    if (this.outline) this.timer = setTimeout(() => this.look(), PAUSE_MS);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.root.hidden = true;
    document.body.classList.remove("live-open");
  }

  /** Find the outline on a small frame, draw it, and take the photo once it holds still. */
  look() {
    if (!this.stream || this.taking) return;
    const { videoWidth: vw, videoHeight: vh } = this.video;
    if (vw && vh) {
      const [w, h] = fit(vw, vh, OUTLINE_SIDE);
      const context = (this.small ??= canvasOf(w, h)).getContext("2d", { willReadFrequently: true });
      this.small.width = w;
      this.small.height = h;
      context.drawImage(this.video, 0, 0, w, h);
      const started = performance.now();
      const corners = findOutline(context.getImageData(0, 0, w, h).data, w, h);
      this.root.dataset.outlineMs = (performance.now() - started).toFixed(1); // read by the tests
      const scaled = corners?.map(([x, y]) => [(x * vw) / w, (y * vh) / h]) ?? null;
      this.polygon.setAttribute("points", scaled ? scaled.map((p) => p.join(",")).join(" ") : "");
      if (this.held(scaled, Math.hypot(vw, vh))) {
        this.take();
        return;
      }
    }
    this.timer = setTimeout(() => this.look(), PAUSE_MS);
  }

  /** Whether the outline has stayed within STILL of where it was HOLD_MS ago. */
  held(corners, diagonal) {
    const now = performance.now();
    const moved = (a, b) => Math.max(...a.map((p, i) => Math.hypot(p[0] - b[i][0], p[1] - b[i][1])));
    if (!corners) {
      this.steady = null;
      this.status.textContent = gettext("Point the camera at the page; it is taken when it holds still.");
      return false;
    }
    if (!this.steady || moved(corners, this.steady.corners) > STILL * diagonal) {
      this.steady = { corners, since: now };
      this.status.textContent = gettext("Page found. Hold still…");
      return false;
    }
    return now - this.steady.since >= HOLD_MS;
  }

  /** The current frame at full resolution, handed to the file input as a JPEG. */
  async take() {
    if (this.taking || !this.stream || !this.video.videoWidth) return; // no frame yet
    this.taking = true;
    const canvas = canvasOf(this.video.videoWidth, this.video.videoHeight);
    canvas.getContext("2d").drawImage(this.video, 0, 0);
    this.stop();
    const blob = await toBlob(canvas, 0.92);
    const transfer = new DataTransfer();
    transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
    this.input.files = transfer.files;
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

function element(tag, className, attributes = {}) {
  const node = document.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}
