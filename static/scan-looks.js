// The page looks the server applies (handoff/capture/scan/filters.py), approximated on the
// preview canvas so the user sees the choice before sending; the server redoes it in full.

/** The ``filter`` values of scan/upload; ``auto`` is the default. */
export const LOOKS = ["auto", "color", "grayscale", "bw"];

/** Cells along the page's longer side in which the paper's brightness is read (as the server). */
const GRID = 96;
/** In ``auto``, anything this bright relative to the paper becomes white. */
const WHITE = 0.9;
/** The paper is never taken as darker than this share of its brightest level. */
const FLOOR = 0.35;

/** Draw ``source`` (the straightened page) onto ``canvas`` with look ``name``. */
export function applyLook(source, canvas, name) {
  canvas.width = source.width;
  canvas.height = source.height;
  const context = canvas.getContext("2d");
  context.drawImage(source, 0, 0);
  if (name === "color") return canvas;
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const px = image.data;
  const n = canvas.width * canvas.height;
  if (name === "grayscale") {
    for (let i = 0; i < n * 4; i += 4) px[i] = px[i + 1] = px[i + 2] = luma(px, i);
  } else if (name === "bw") {
    const grey = new Float32Array(n);
    for (let i = 0; i < n; i++) grey[i] = luma(px, i * 4);
    const ratio = divided(grey, canvas.width, canvas.height);
    const threshold = Math.min(Math.max(otsu(ratio), 0.55), 0.85);
    for (let i = 0; i < n; i++) px[i * 4] = px[i * 4 + 1] = px[i * 4 + 2] = ratio[i] >= threshold ? 255 : 0;
  } else {
    const ratios = [0, 1, 2].map((c) => {
      const channel = new Float32Array(n);
      for (let i = 0; i < n; i++) channel[i] = px[i * 4 + c];
      return divided(channel, canvas.width, canvas.height);
    });
    const light = new Float32Array(Math.ceil(n / 16));
    for (let i = 0, j = 0; i < n; i += 16, j++) {
      light[j] = 0.299 * ratios[0][i] + 0.587 * ratios[1][i] + 0.114 * ratios[2][i];
    }
    light.sort();
    const black = Math.min(light[Math.floor(light.length * 0.005)], 0.5);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < n; i++) {
        const stretched = Math.min(Math.max((ratios[c][i] - black) / (WHITE - black), 0), 1);
        px[i * 4 + c] = 255 * stretched ** 1.2; // a little gamma keeps text black
      }
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

function luma(px, i) {
  return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
}

/** Each value over the paper's brightness around it, at most 1. */
function divided(values, width, height) {
  const cell = Math.max(1, Math.ceil(Math.max(width, height) / GRID));
  const cols = Math.ceil(width / cell), rows = Math.ceil(height / cell);
  let grid = new Float32Array(cols * rows);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = ((y / cell) | 0) * cols + ((x / cell) | 0);
      grid[at] = Math.max(grid[at], values[y * width + x]);
    }
  }
  // Closing over 7 cells: text and lines vanish, the paper stays; then a light smoothing.
  grid = rank(rank(grid, cols, rows, 3, Math.max), cols, rows, 3, Math.min);
  grid = rank(grid, cols, rows, 1, (a, b) => a + b, 1 / 9);
  let top = 0;
  for (const v of grid) top = Math.max(top, v);
  const floor = Math.max(1, FLOOR * top);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(Math.max((y + 0.5) / cell - 0.5, 0), rows - 1);
    const y0 = gy | 0, y1 = Math.min(y0 + 1, rows - 1), fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = Math.min(Math.max((x + 0.5) / cell - 0.5, 0), cols - 1);
      const x0 = gx | 0, x1 = Math.min(x0 + 1, cols - 1), fx = gx - x0;
      const top2 = grid[y0 * cols + x0] + (grid[y0 * cols + x1] - grid[y0 * cols + x0]) * fx;
      const bottom = grid[y1 * cols + x0] + (grid[y1 * cols + x1] - grid[y1 * cols + x0]) * fx;
      const paper = Math.max(top2 + (bottom - top2) * fy, floor);
      out[y * width + x] = Math.min(values[y * width + x] / paper, 1);
    }
  }
  return out;
}

/** A (2r+1)² window over the grid folded with ``fold`` (max, min, or a sum times ``scale``). */
function rank(grid, cols, rows, r, fold, scale = 1) {
  const out = new Float32Array(grid.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let acc = null;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const v = grid[Math.min(Math.max(y + dy, 0), rows - 1) * cols + Math.min(Math.max(x + dx, 0), cols - 1)];
          acc = acc === null ? v : fold(acc, v);
        }
      }
      out[y * cols + x] = acc * scale;
    }
  }
  return out;
}

/** Otsu's threshold of values in [0, 1]. */
function otsu(values) {
  const histogram = new Float64Array(256);
  for (const v of values) histogram[Math.min(255, (v * 256) | 0)]++;
  let total = 0, grand = 0;
  for (let i = 0; i < 256; i++) { total += histogram[i]; grand += histogram[i] * (i + 0.5) / 256; }
  let below = 0, meanBelow = 0, best = 0, at = 0;
  for (let i = 0; i < 255; i++) {
    below += histogram[i];
    meanBelow += histogram[i] * (i + 0.5) / 256;
    const above = total - below;
    if (!below || !above) continue;
    const between = (grand * below / total - meanBelow) ** 2 / (below * above);
    if (between > best) { best = between; at = i; }
  }
  return (at + 0.5) / 256;
}
