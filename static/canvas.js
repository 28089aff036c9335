// Canvas helpers shared by the phone pages that scale photos down before sending.

/** A canvas of the given size. */
export function canvasOf(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** The canvas as a JPEG blob; rejects when the browser cannot encode it (out of memory). */
export function toBlob(canvas, quality = 0.92) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encoding failed"))),
      "image/jpeg", quality);
  });
}

/** ``[width, height]`` scaled down (never up) so the longest side is at most ``side``. */
export function fit(width, height, side) {
  const scale = Math.min(1, side / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}
