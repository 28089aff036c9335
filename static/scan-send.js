// The review screen's list, and sending: clear, upload each page in turn, finalize.
import { gettext, ngettext } from "./i18n.js";

/** Draw the pages grouped by document into ``list``. */
export function renderReview(list, documents, multi) {
  list.replaceChildren();
  documents.filter((pages) => pages.length).forEach((pages, doc, all) => {
    const group = document.createElement("section");
    group.className = "review__document";
    const title = document.createElement("h2");
    const count = ngettext("{n} page", "{n} pages", pages.length);
    title.textContent = all.length > 1 || multi
      ? gettext("Document {doc} · {count}", { doc: doc + 1, count }) : count;
    const grid = document.createElement("div");
    grid.className = "review__pages";
    pages.forEach((page, index) => {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = page.thumb;
      img.alt = gettext("Page {page}", { page: index + 1 });
      const caption = document.createElement("figcaption");
      caption.textContent = index + 1;
      figure.append(img, caption);
      grid.append(figure);
    });
    group.append(title, grid);
    list.append(group);
  });
}

/** A failed request; ``final`` when the session can no longer take pages. */
class SendError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.final = status === 410 || (status === 409 && code !== "upload_in_progress");
  }
}

async function call(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new SendError(gettext("The connection was lost."), 0);
  }
  if (response.ok) return response;
  const data = await response.json().catch(() => ({}));
  const reason = data.error ?? gettext("The server answered {status}.", { status: response.status });
  throw new SendError(reason, response.status, data.code);
}

/**
 * Send every page, then finalize. ``progress(text, done, total)`` reports each step.
 * Held pages of an earlier, interrupted attempt are dropped first, so deleting or
 * reordering pages between attempts cannot leave stale ones on the server.
 */
export async function sendAll(config, documents, progress) {
  const pages = documents.filter((p) => p.length)
    .flatMap((list, doc) => list.map((page, index) => ({ page, doc, index })));
  const total = pages.length + 1;
  progress(gettext("Preparing…"), 0, total);
  await call(config.pagesUrl, { method: "DELETE" });
  for (const [n, { page, doc, index }] of pages.entries()) {
    progress(gettext("Uploading page {page} of {total}", { page: n + 1, total: pages.length }), n, total);
    const body = new FormData();
    body.append("document_index", doc);
    body.append("page_index", index);
    body.append("rotation", String(page.rotation ?? 0)); // quarter turns clockwise: 0, 90, 180, 270
    body.append("filter", page.filter ?? "auto");
    body.append("corners", JSON.stringify(page.corners.map(([x, y]) => [+x.toFixed(1), +y.toFixed(1)])));
    body.append("file", page.photo.blob, `page-${doc + 1}-${index + 1}.jpg`);
    try {
      await call(config.uploadUrl, { method: "POST", body });
    } catch (error) {
      // Say which page, so the user knows which one to re-crop or retake.
      const where = documents.filter((p) => p.length).length > 1
        ? gettext("Page {page} of document {doc}", { page: index + 1, doc: doc + 1 })
        : gettext("Page {page}", { page: index + 1 });
      if (error.status >= 400 && error.status < 500 && !error.final) {
        error.message = gettext("{page}: {reason}", { page: where, reason: error.message });
      }
      throw error;
    }
  }
  progress(gettext("Finishing…"), pages.length, total);
  await call(config.finalizeUrl, { method: "POST" });
  progress(gettext("Sent."), total, total);
}
