// The page's outline in a small camera frame, found in the browser for the live viewfinder:
// the server's detection (handoff/capture/scan/detect.py) without its sub-pixel refinement
// and its whole-photo fallback. The table's colour is modelled from the frame's edges; pixels
// far from it (Otsu's threshold) are page; holes (text) are filled; the largest part's convex
// hull gives the largest quadrilateral. The photo taken still goes to the server's detection.

/** Least colour distance (0–441) between page and table worth trusting (as the server). */
const MIN_STEP = 8;
/** ... and how many times the table's own spread the step must be. */
const NOISE_FACTOR = 2.5;
const MAX_HULL = 48;

/**
 * Corners (top-left, top-right, bottom-right, bottom-left) of the page in an RGBA frame of
 * ``width``×``height``, in its pixels, or null when nothing page-like stands out.
 */
export function findOutline(rgba, width, height) {
  const n = width * height;
  const band = Math.max(2, Math.floor(Math.min(width, height) / 40));
  const table = tableOf(rgba, width, height, band);
  const distance = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const dr = rgba[i * 4] - table[i * 3], dg = rgba[i * 4 + 1] - table[i * 3 + 1], db = rgba[i * 4 + 2] - table[i * 3 + 2];
    distance[i] = Math.sqrt(dr * dr + dg * dg + db * db);
  }
  // The step to the page must stand out of the table's own grain at the frame's edges.
  const edge = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y < band || y >= height - band || x < band || x >= width - band) edge.push(distance[y * width + x]);
    }
  }
  const least = Math.max(MIN_STEP, NOISE_FACTOR * percentile(edge, 0.9));
  // Capped, so black ink cannot draw the threshold between ink and paper.
  const cap = percentile(distance, 0.9);
  const threshold = otsu(distance.map((d) => Math.min(d, cap)));
  if (threshold < least) return null;
  let mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = distance[i] > threshold ? 1 : 0;
  // A 5×5 median (on the thresholded mask, where it is a majority vote) takes out text, grid
  // lines and grain, which could otherwise join page and table; an opening drops specks.
  mask = majority5(mask, width, height);
  mask = rank(rank(mask, width, height, 0), width, height, 1);
  // Whatever the border's background cannot reach is page, text holes included.
  const outside = flood(mask, width, height, 0, borderSeeds(width, height));
  const page = largestPart(outside, width, height);
  if (!page || page.size < 0.08 * n) return null;
  const hull = convexHull(outlineOf(page.mask, width, height));
  if (hull.length < 4) return null;
  const quad = largestQuad(simplify(hull, MAX_HULL));
  const area = polygonArea(quad);
  if (area < 0.08 * n || area > 0.985 * n) return null;
  if (page.size < 0.88 * area || area < 0.9 * polygonArea(hull)) return null;
  const cx = quad.reduce((s, p) => s + p[0], 0) / 4, cy = quad.reduce((s, p) => s + p[1], 0) / 4;
  return quad.map(([x, y]) => [x + 0.5 + 0.5 * Math.sign(x - cx), y + 0.5 + 0.5 * Math.sign(y - cy)]);
}

function percentile(values, share) {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

/**
 * The table's colour at each pixel (RGB triples), spread inwards from the frame's four
 * edges as a Coons patch of their colours, each a running median over an eighth of the
 * edge, so a shadow across the table stays table (as the server's ``_table``).
 */
function tableOf(rgba, width, height, band) {
  const top = edgeProfile(rgba, width, band, (i, k) => k * width + i);
  const bottom = edgeProfile(rgba, width, band, (i, k) => (height - 1 - k) * width + i);
  const left = edgeProfile(rgba, height, band, (i, k) => i * width + k);
  const right = edgeProfile(rgba, height, band, (i, k) => i * width + width - 1 - k);
  const last = (width - 1) * 3, table = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const v = y / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) {
      const u = x / Math.max(1, width - 1), at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const corners = (1 - u) * (1 - v) * top[c] + u * (1 - v) * top[last + c]
          + (1 - u) * v * bottom[c] + u * v * bottom[last + c];
        table[at + c] = (1 - v) * top[x * 3 + c] + v * bottom[x * 3 + c]
          + (1 - u) * left[y * 3 + c] + u * right[y * 3 + c] - corners;
      }
    }
  }
  return table;
}

/** One edge's colours (RGB triples along it): the median across the band, then a running median. */
function edgeProfile(rgba, length, band, pixel) {
  const raw = new Float32Array(length * 3), across = new Float32Array(band);
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < band; k++) across[k] = rgba[pixel(i, k) * 4 + c];
      raw[i * 3 + c] = across.sort()[band >> 1];
    }
  }
  const reach = Math.max(1, Math.floor(length / 16)), window = new Float32Array(2 * reach + 1);
  const out = new Float32Array(length * 3);
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < 3; c++) {
      for (let j = -reach; j <= reach; j++) window[j + reach] = raw[Math.min(Math.max(i + j, 0), length - 1) * 3 + c];
      out[i * 3 + c] = window.sort()[reach];
    }
  }
  return out;
}

/** 1 where most of the 5×5 neighbourhood is 1 (summed with an integral image). */
function majority5(mask, width, height) {
  const stride = width + 1;
  const sums = new Uint32Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += mask[y * width + x];
      sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(y - 2, 0), y1 = Math.min(y + 3, height);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(x - 2, 0), x1 = Math.min(x + 3, width);
      const count = sums[y1 * stride + x1] - sums[y0 * stride + x1] - sums[y1 * stride + x0] + sums[y0 * stride + x0];
      out[y * width + x] = 2 * count > (y1 - y0) * (x1 - x0) ? 1 : 0;
    }
  }
  return out;
}

function otsu(values) {
  let top = 0;
  for (const v of values) top = Math.max(top, v);
  const bins = 128, width = (top + 1e-6) / bins, counts = new Float64Array(bins);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))]++;
  let total = 0, grand = 0;
  for (let i = 0; i < bins; i++) { total += counts[i]; grand += counts[i] * (i + 0.5) * width; }
  let weight = 0, mean = 0, best = -1, at = 0;
  for (let i = 0; i < bins - 1; i++) {
    weight += counts[i];
    mean += counts[i] * (i + 0.5) * width;
    if (!weight || weight === total) continue;
    const between = (grand * weight / total - mean) ** 2 / (weight * (total - weight));
    if (between > best) { best = between; at = i; }
  }
  return (at + 1) * width;
}

/** 3×3 minimum (``max`` 0) or maximum (``max`` 1) of a 0/1 mask. */
function rank(mask, width, height, max) {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = max ? 0 : 1;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = Math.min(Math.max(y + dy, 0), height - 1);
        for (let dx = -1; dx <= 1; dx++) {
          const v = mask[yy * width + Math.min(Math.max(x + dx, 0), width - 1)];
          value = max ? value | v : value & v;
        }
      }
      out[y * width + x] = value;
    }
  }
  return out;
}

function borderSeeds(width, height) {
  const seeds = [];
  for (let x = 0; x < width; x++) seeds.push(x, (height - 1) * width + x);
  for (let y = 0; y < height; y++) seeds.push(y * width, y * width + width - 1);
  return seeds;
}

/** Every pixel whose mask value is ``value`` connected to a seed (4-neighbours), as a 0/1 mask. */
function flood(mask, width, height, value, seeds) {
  const reached = new Uint8Array(mask.length);
  const stack = seeds.filter((i) => mask[i] === value);
  for (const i of stack) reached[i] = 1;
  const visit = (j) => {
    if (!reached[j] && mask[j] === value) {
      reached[j] = 1;
      stack.push(j);
    }
  };
  while (stack.length) {
    const i = stack.pop(), x = i % width;
    if (x > 0) visit(i - 1);
    if (x < width - 1) visit(i + 1);
    if (i >= width) visit(i - width);
    if (i + width < mask.length) visit(i + width);
  }
  return reached;
}

/** The largest connected part of the pixels ``outside`` is 0 at (among the first few found). */
function largestPart(outside, width, height, tries = 6) {
  let best = null;
  const seen = Uint8Array.from(outside);
  for (let i = 0; i < seen.length && tries > 0; i++) {
    if (seen[i]) continue;
    tries--;
    const part = flood(outside, width, height, 0, [i]);
    let size = 0;
    for (let j = 0; j < part.length; j++) if (part[j]) { size++; seen[j] = 1; }
    if (!best || size > best.size) best = { mask: part, size };
  }
  return best;
}

function outlineOf(mask, width, height) {
  const points = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1
          || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width]) points.push([x, y]);
    }
  }
  return points;
}

function cross(o, a, b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** Andrew's monotone chain, clockwise on screen (as fit.py). */
function convexHull(points) {
  const sorted = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const chain = (sequence) => {
    const out = [];
    for (const p of sequence) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    return out.slice(0, -1);
  };
  return chain(sorted).concat(chain(sorted.slice().reverse()));
}

function simplify(hull, keep) {
  const points = hull.slice();
  while (points.length > keep) {
    let least = Infinity, at = 0;
    for (let i = 0; i < points.length; i++) {
      const area = Math.abs(cross(points.at(i - 1), points[i], points[(i + 1) % points.length]));
      if (area < least) { least = area; at = i; }
    }
    points.splice(at, 1);
  }
  return points;
}

/** The four hull vertices spanning the largest area, starting at the top-left. */
function largestQuad(hull) {
  const n = hull.length;
  let best = -Infinity, quad = null;
  for (let a = 0; a < n; a++) {
    for (let c = a + 2; c < n; c++) {
      let left = -Infinity, right = -Infinity, b = 0, d = 0;
      for (let j = a + 1; j < c; j++) {
        const t = cross(hull[a], hull[j], hull[c]);
        if (t > left) { left = t; b = j; }
      }
      for (let l = c + 1; l < n + a; l++) {
        const t = cross(hull[a], hull[c], hull[l % n]);
        if (t > right) { right = t; d = l % n; }
      }
      if (left + right > best) { best = left + right; quad = [hull[a], hull[b], hull[c], hull[d]]; }
    }
  }
  let start = 0;
  quad.forEach((p, i) => { if (p[0] + p[1] < quad[start][0] + quad[start][1]) start = i; });
  return quad.slice(start).concat(quad.slice(0, start));
}

function polygonArea(points) {
  let twice = 0;
  points.forEach((p, i) => { const q = points[(i + 1) % points.length]; twice += p[0] * q[1] - p[1] * q[0]; });
  return Math.abs(twice) / 2;
}
