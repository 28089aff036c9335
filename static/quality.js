// Photo quality hints: is a photo blurry, or is part of it lost in glare? Measured on a small
// grey copy; the thresholds come from the tests' sharp, blurred and glare images (docs/scan.md).
import { canvasOf, fit } from "./canvas.js";
import { gettext } from "./i18n.js";

/** Longest side of the copy measured. */
export const SIDE = 640;
/** Below this variance of the Laplacian a photo is blurry. */
export const BLURRY_BELOW = 100;
/** A level this bright (of 255) is clipped: whatever was there is lost. */
const CLIPPED = 250;
/** More than this share of the photo clipped on the paper is glare. */
export const GLARE_ABOVE = 0.015;
/** A level this bright is paper (or another light surface). */
const PAPER = 200;
/** Clipped pixels are a hot spot when they are at most this share of the paper's. */
const HOT_SPOT = 0.5;

/**
 * ``sharpness`` (the variance of the Laplacian) and ``glare`` (the share of the photo
 * that is clipped while its surroundings are bright) of an image, canvas or bitmap.
 */
export function measure(source, width, height) {
  const [w, h] = fit(width, height, SIDE);
  const context = canvasOf(w, h).getContext("2d", { willReadFrequently: true });
  context.imageSmoothingQuality = "high"; // an area average, so the measure does not depend on the photo's size
  context.drawImage(source, 0, 0, w, h);
  const px = context.getImageData(0, 0, w, h).data;
  const grey = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) grey[i] = 0.299 * px[i * 4] + 0.587 * px[i * 4 + 1] + 0.114 * px[i * 4 + 2];
  return { sharpness: laplacianVariance(grey, w, h), glare: glare(grey) };
}

function laplacianVariance(grey, w, h) {
  let sum = 0, squares = 0, n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const value = grey[i - 1] + grey[i + 1] + grey[i - w] + grey[i + w] - 4 * grey[i];
      sum += value;
      squares += value * value;
      n++;
    }
  }
  return n ? squares / n - (sum / n) ** 2 : 0;
}

/**
 * The clipped share of the photo, when it is a part of the photo's bright area (a
 * highlight on the paper), not nearly all of it (a page that is itself white all over).
 */
function glare(grey) {
  let clipped = 0, bright = 0;
  for (const value of grey) {
    if (value >= PAPER) bright++;
    if (value >= CLIPPED) clipped++;
  }
  return clipped && clipped <= HOT_SPOT * bright ? clipped / grey.length : 0;
}

/** The sentence warning about the photo's quality, or null when it looks fine. */
export function qualityHint(source, width, height) {
  const { sharpness, glare: share } = measure(source, width, height);
  const blurry = sharpness < BLURRY_BELOW, shiny = share > GLARE_ABOVE;
  if (blurry && shiny) return gettext("This photo looks blurry and has glare. You can take it again or send it as it is.");
  if (blurry) return gettext("This photo looks blurry. You can take it again or send it as it is.");
  if (shiny) return gettext("Part of this photo is lost in glare. You can take it again or send it as it is.");
  return null;
}
