// Filmstrip thumbnails of scanned pages: kept as JPEG blobs, turned by the page's rotation.
import { canvasOf, toBlob } from "./canvas.js";

/** The thumbnail at ``url`` as a JPEG blob, to keep in IndexedDB. */
export async function keptThumb(url) {
  return drawn(await picture(url));
}

/** An object URL's image, decoded (the page's CSP lets images, not fetch, read blob: URLs). */
async function picture(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  return image;
}

/** An image as a JPEG blob, to keep. */
function drawn(image) {
  const canvas = canvasOf(image.naturalWidth, image.naturalHeight);
  canvas.getContext("2d").drawImage(image, 0, 0);
  return toBlob(canvas, 0.85);
}

/** Let go of a page's thumbnails (their object URLs). */
export function dropThumbs(page) {
  if (page.thumb !== page.base) URL.revokeObjectURL(page.thumb);
  URL.revokeObjectURL(page.base);
}

/** Turn the shown thumbnail by the page's rotation (the server turns the page itself). */
export async function showRotation(page) {
  const previous = page.thumb;
  if (!page.rotation) {
    page.thumb = page.base;
  } else {
    const image = await picture(page.base);
    const quarter = page.rotation % 180 !== 0;
    const [w, h] = [image.naturalWidth, image.naturalHeight];
    const canvas = canvasOf(quarter ? h : w, quarter ? w : h);
    const context = canvas.getContext("2d");
    context.translate(canvas.width / 2, canvas.height / 2);
    context.rotate((page.rotation * Math.PI) / 180);
    context.drawImage(image, -w / 2, -h / 2);
    page.thumb = URL.createObjectURL(await toBlob(canvas, 0.85));
  }
  if (previous && previous !== page.base && previous !== page.thumb) URL.revokeObjectURL(previous);
}
