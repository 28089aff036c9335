// Image work in the browser: scale photos down, ask for suggested corners, straighten pages.
import { canvasOf, fit, toBlob } from "./canvas.js";
import { gettext } from "./i18n.js";

/** Longest side of an uploaded page photo. */
export const MAX_SIDE = 3000;
/** Longest side of the copy sent for corner detection. */
const DETECT_SIDE = 800;
/** Longest side of the on-screen preview of a corrected page. */
const PREVIEW_SIDE = 1000;

/** Decode an image blob; an <img> applies the photo's EXIF orientation itself. */
export async function decode(blob) {
  const image = new Image();
  image.src = URL.createObjectURL(blob);
  try {
    await image.decode();
  } catch {
    URL.revokeObjectURL(image.src);
    throw new Error(gettext("This photo cannot be opened here. Please take it with the camera."));
  }
  return image;
}

/**
 * The camera's photo upright and at most MAX_SIDE pixels long, as a JPEG blob of
 * at most ``maxBytes``, with its size and a decoded <img> of it (whose pixels the
 * corners refer to).
 */
export async function loadPhoto(file, maxBytes = Infinity) {
  const original = await decode(file);
  let side = MAX_SIDE;
  let quality = 0.92;
  for (;;) {
    const [width, height] = fit(original.naturalWidth, original.naturalHeight, side);
    const canvas = canvasOf(width, height);
    canvas.getContext("2d").drawImage(original, 0, 0, width, height);
    const blob = await toBlob(canvas, quality);
    // Over the server's per-page limit: lower the quality a little, then the size.
    if (blob.size <= maxBytes || side < 400) {
      URL.revokeObjectURL(original.src);
      return { blob, width, height, image: await decode(blob) };
    }
    if (quality > 0.75) quality -= 0.08;
    else side = Math.round(side * 0.8);
  }
}

/** The rectangle a little inside the photo's edges: the fallback suggestion. */
export function insetCorners(width, height, inset = 0.08) {
  const dx = width * inset, dy = height * inset;
  return [[dx, dy], [width - dx, dy], [width - dx, height - dy], [dx, height - dy]];
}

/** Corners the server suggests for the photo, in the photo's pixels; inset ones when it cannot. */
export async function suggestCorners(url, photo) {
  try {
    const [width, height] = fit(photo.width, photo.height, DETECT_SIDE);
    const canvas = canvasOf(width, height);
    canvas.getContext("2d").drawImage(photo.image, 0, 0, width, height);
    const body = new FormData();
    body.append("file", await toBlob(canvas, 0.85), "detect.jpg");
    const response = await fetch(url, { method: "POST", body });
    if (!response.ok) throw new Error(`detection answered ${response.status}`);
    const data = await response.json();
    const sx = photo.width / data.width, sy = photo.height / data.height;
    return { corners: data.corners.map(([x, y]) => [x * sx, y * sy]), detected: data.detected };
  } catch (error) {
    console.warn("no suggested corners:", error);
    return { corners: insetCorners(photo.width, photo.height), detected: false };
  }
}

/** Width and height of the straightened page: the longer of each pair of opposite edges. */
export function pageSize(corners) {
  const [tl, tr, br, bl] = corners;
  const d = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  return [Math.max(d(tl, tr), d(bl, br)), Math.max(d(tl, bl), d(tr, br))];
}

/** Coefficients mapping a point of the w×h output rectangle into the photo (as the server does). */
function homography(corners, w, h) {
  const target = [[0, 0], [w, 0], [w, h], [0, h]];
  const rows = [];
  target.forEach(([u, v], i) => {
    const [x, y] = corners[i];
    rows.push([u, v, 1, 0, 0, 0, -u * x, -v * x, x]);
    rows.push([0, 0, 0, u, v, 1, -u * y, -v * y, y]);
  });
  // Gaussian elimination with partial pivoting on the 8×9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r][col]) > Math.abs(rows[pivot][col])) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot], rows[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = rows[r][col] / rows[col][col];
      for (let c = col; c < 9; c++) rows[r][c] -= f * rows[col][c];
    }
  }
  return rows.map((row, i) => row[8] / row[i]);
}

/** Convex, clockwise on screen, and not a sliver: what the server will accept. */
export function cornersProblem(corners) {
  for (let i = 0; i < 4; i++) {
    const [a, b, c] = [corners[i], corners[(i + 1) % 4], corners[(i + 2) % 4]];
    if ((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0]) <= 0) {
      return gettext("The corners cross over; drag each one onto its own corner of the page.");
    }
  }
  const [w, h] = pageSize(corners);
  if (Math.min(w, h) < 64) return gettext("The selected area is too small; include the whole page.");
  return null;
}

/** The page inside the corners, straightened, drawn onto ``canvas`` (bilinear sampling). */
export function straighten(photo, corners, canvas) {
  const [sw, sh] = fit(photo.width, photo.height, 1600);
  const scale = sw / photo.width;
  const source = canvasOf(sw, sh).getContext("2d", { willReadFrequently: true });
  source.drawImage(photo.image, 0, 0, sw, sh);
  const src = source.getImageData(0, 0, sw, sh).data;
  const scaled = corners.map(([x, y]) => [x * scale, y * scale]);
  const [pw, ph] = pageSize(scaled);
  const [w, h] = fit(pw, ph, PREVIEW_SIDE);
  const [a, b, c, d, e, f, g, k] = homography(scaled, w, h);
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext("2d");
  const out = context.createImageData(w, h);
  const px = out.data;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const uc = u + 0.5, vc = v + 0.5;
      const z = g * uc + k * vc + 1;
      const x = Math.min(Math.max((a * uc + b * vc + c) / z - 0.5, 0), sw - 1.001);
      const y = Math.min(Math.max((d * uc + e * vc + f) / z - 0.5, 0), sh - 1.001);
      const x0 = x | 0, y0 = y | 0, fx = x - x0, fy = y - y0;
      const i00 = (y0 * sw + x0) * 4, i10 = i00 + 4, i01 = i00 + sw * 4, i11 = i01 + 4;
      const o = (v * w + u) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const top = src[i00 + ch] + (src[i10 + ch] - src[i00 + ch]) * fx;
        const bottom = src[i01 + ch] + (src[i11 + ch] - src[i01 + ch]) * fx;
        px[o + ch] = top + (bottom - top) * fy;
      }
      px[o + 3] = 255;
    }
  }
  context.putImageData(out, 0, 0);
  return canvas;
}

/** A small JPEG of the straightened page for the filmstrip, as an object URL. */
export async function thumbnail(canvas, height = 160) {
  const [w, h] = fit(canvas.width, canvas.height, height * Math.max(1, canvas.width / canvas.height));
  const small = canvasOf(w, h);
  small.getContext("2d").drawImage(canvas, 0, 0, w, h);
  return URL.createObjectURL(await toBlob(small, 0.8));
}
