// Document scan: capture pages, crop and straighten them, arrange them, send them one by one.
import { gettext, ngettext } from "./i18n.js";
import { CropEditor } from "./scan-crop.js";
import { canvasOf } from "./canvas.js";
import { cornersProblem, decode, loadPhoto, straighten, suggestCorners, thumbnail } from "./scan-image.js";
import { qualityHint } from "./quality.js";
import { applyLook } from "./scan-looks.js";
import { forget, load, save } from "./scan-saved.js";
import { pollInterval, watchSession } from "./session-watch.js";
import { renderReview, sendAll } from "./scan-send.js";
import { Filmstrip } from "./scan-strip.js";
import { dropThumbs, keptThumb, showRotation } from "./scan-thumbs.js";
import { liveCapture } from "./viewfinder.js";

const root = document.getElementById("scan");
const config = root.dataset;
const multi = config.mode === "multi";
const maxPages = Number(config.maxPages);
const $ = (id) => document.getElementById(id);
const camera = $("camera");
/** The camera inside the page, where the browser allows it; else the file input alone. */
const live = liveCapture(camera, { outline: true });

/**
 * documents[d] is a list of pages {photo, corners, rotation, filter, base, thumb}; new pages go
 * to the last. ``base`` is the upright thumbnail, ``thumb`` the one shown (turned by ``rotation``).
 */
const state = { documents: [[]], selected: null, draft: null, sending: false, started: false };

const strip = new Filmstrip($("strip"), {
  multi,
  onSelect: (at) => {
    const same = state.selected && state.selected.doc === at.doc && state.selected.index === at.index;
    state.selected = same ? null : at;
    renderHome();
  },
  onMove: (from, to) => movePage(from, to),
});
/** What the crop screen says while the corners are fine. */
let cropHint = "";
const crop = new CropEditor($("crop-stage"), $("crop-image"), $("crop-overlay"), $("magnifier"),
  (corners) => { $("crop-note").textContent = cornersProblem(corners) ?? cropHint; });

function show(name) {
  for (const screen of root.querySelectorAll(".screen")) screen.hidden = screen.id !== `screen-${name}`;
  document.body.classList.toggle("scan-dark", name === "crop" || name === "preview");
  window.scrollTo(0, 0);
}

function pageCount() {
  return state.documents.reduce((sum, pages) => sum + pages.length, 0);
}

function say(id, message) {
  $(id).textContent = message ?? "";
  $(id).hidden = !message;
}

// -- home: filmstrip, selection and the capture buttons -------------------------------

function renderHome() {
  const count = pageCount();
  const last = state.documents[state.documents.length - 1];
  $("strip").hidden = count === 0;
  strip.render(state.documents, state.selected);
  const full = count >= maxPages;
  const add = $("add-page");
  add.textContent = count === 0 ? gettext("Take first page") : multi && last.length === 0
    ? gettext("Take first page of document {doc}", { doc: state.documents.length }) : gettext("Add page");
  add.classList.toggle("button--disabled", full);
  add.setAttribute("aria-disabled", String(full));
  $("next-document").hidden = !multi || count === 0;
  $("next-document").disabled = last.length === 0;
  $("to-review").hidden = count === 0;
  $("to-review").textContent = ngettext("Review and send ({n} page)", "Review and send ({n} pages)", count);
  $("to-review").classList.toggle("button--primary", count > 0);
  add.classList.toggle("button--primary", count === 0);
  say("home-error", full ? gettext("That is the most pages one scan can hold ({max}).", { max: maxPages }) : null);
  $("strip-hint").hidden = count < 2 || Boolean(state.selected);
  const selection = $("selection");
  selection.hidden = !state.selected;
  if (state.selected) {
    const { doc, index } = state.selected;
    $("selection-label").textContent = multi
      ? gettext("Page {page} of document {doc}", { page: index + 1, doc: doc + 1 })
      : gettext("Page {page} selected", { page: index + 1 });
  }
}

/** Free a photo's decoded image unless a page still shows it. */
function release(photo) {
  if (photo && !state.documents.some((pages) => pages.some((page) => page.photo === photo))) {
    URL.revokeObjectURL(photo.image.src);
  }
}

function tidy() {
  // Empty documents vanish, except the last one, which may be waiting for its first page.
  state.documents = state.documents.filter((pages, d) => pages.length || d === state.documents.length - 1);
  if (state.documents.length === 0) state.documents = [[]];
}

function movePage(from, to) {
  const [page] = state.documents[from.doc].splice(from.index, 1);
  let index = to.index;
  if (to.doc === from.doc && to.index > from.index) index -= 1;
  state.documents[to.doc].splice(index, 0, page);
  tidy();
  const doc = state.documents.findIndex((pages) => pages.includes(page));
  state.selected = { doc, index: state.documents[doc].indexOf(page) };
  changed();
}

/** Move the selected page one place earlier or later, across documents at their ends. */
function step(offset) {
  const from = state.selected;
  const flat = state.documents.flatMap((pages, doc) => pages.map((_, index) => ({ doc, index })));
  const at = flat.findIndex((p) => p.doc === from.doc && p.index === from.index);
  const next = flat[at + offset];
  if (!next) return;
  const same = next.doc === from.doc;
  // Insertion points count positions before the page is taken out.
  const index = offset > 0 ? next.index + (same ? 1 : 0) : next.index + (same ? 0 : 1);
  movePage(from, { doc: next.doc, index });
}

$("selection").addEventListener("click", (event) => {
  const act = event.target.closest("[data-act]")?.dataset.act;
  if (!act || !state.selected) return;
  const { doc, index } = state.selected;
  if (act === "delete") {
    const last = doc === state.documents.length - 1;
    const emptied = state.documents[doc].length === 1 && !last;
    const [page] = state.documents[doc].splice(index, 1);
    state.selected = null;
    tidy();
    offerUndo(page, { doc, index, emptied });
    changed();
  } else if (act === "rotate") {
    const page = state.documents[doc][index];
    page.rotation = ((page.rotation ?? 0) + 90) % 360;
    showRotation(page).then(changed);
  } else if (act === "earlier") step(-1);
  else if (act === "later") step(1);
  else if (act === "recrop") {
    const page = state.documents[doc][index];
    openDraft({ photo: page.photo, corners: page.corners, filter: page.filter, replace: { doc, index } });
  }
});

$("next-document").addEventListener("click", () => {
  state.documents.push([]);
  state.selected = null;
  changed();
});

$("add-page").addEventListener("click", (event) => {
  if (pageCount() >= maxPages) {
    event.preventDefault();
    return;
  }
  state.draft = null;
  if (live) {
    event.preventDefault();
    live.open();
  }
});

// -- capture, crop and preview ----------------------------------------------------------

camera.addEventListener("change", async () => {
  const file = camera.files[0];
  camera.value = "";
  if (!file) return;
  if (!state.started) { // the first photo: the desktop sees the user capturing
    state.started = true;
    fetch(config.startedUrl, { method: "POST" }).catch(() => {});
  }
  const replace = state.draft?.replace ?? null;
  const previous = state.draft?.photo;
  const filter = state.draft?.filter ?? "auto"; // a retake keeps the look chosen
  say("home-error", null);
  cropHint = gettext("Finding the page…");
  try {
    const photo = await loadPhoto(file, Number(config.maxBytes));
    const { width, height } = photo;
    const draft = { photo, corners: [[0, 0], [width, 0], [width, height], [0, height]], filter, replace };
    openDraft(draft);
    release(previous); // a retaken photo that no page shows
    const { corners, detected } = await suggestCorners(config.detectUrl, photo);
    cropHint = detected ? gettext("Page found. Adjust the corners if needed.")
      : gettext("No page edges found: drag the corners onto the page's corners.");
    // Only if the user is still on this photo's crop screen and has not moved a corner yet.
    if (state.draft === draft && !$("screen-crop").hidden && !crop.touched) {
      draft.corners = corners;
      crop.open(photo, corners);
    }
  } catch (error) {
    show("home");
    say("home-error", error.message);
  }
});

function openDraft(draft) {
  state.draft = draft;
  show("crop");
  crop.open(draft.photo, draft.corners);
}

function retake() {
  if (live) live.open();
  else camera.click();
}

$("screen-crop").addEventListener("click", (event) => {
  const act = event.target.closest("[data-act]")?.dataset.act;
  if (act === "retake") retake();
  else if (act === "cancel") {
    release(state.draft.photo);
    state.draft = null;
    show("home");
    renderHome();
  } else if (act === "reset") {
    const { width, height } = state.draft.photo;
    crop.open(state.draft.photo, [[0, 0], [width, 0], [width, height], [0, height]]);
  } else if (act === "crop-done") {
    const problem = cornersProblem(crop.corners);
    if (problem) {
      $("crop-note").textContent = problem;
      return;
    }
    state.draft.corners = crop.corners.map(([x, y]) => [x, y]);
    show("preview");
    const straight = straighten(state.draft.photo, state.draft.corners, canvasOf(1, 1));
    state.draft.straight = straight;
    showLook();
    // Measured on the page itself, so a dark table neither hides glare nor lowers sharpness.
    say("preview-hint", qualityHint(straight, straight.width, straight.height));
  }
});

/** The straightened draft in its chosen look, and the choice marked. */
function showLook() {
  const look = state.draft.filter ?? "auto";
  for (const button of $("looks").querySelectorAll("[data-look]")) {
    button.setAttribute("aria-checked", String(button.dataset.look === look));
  }
  applyLook(state.draft.straight, $("preview"), look);
}

$("looks").addEventListener("click", (event) => {
  const look = event.target.closest("[data-look]")?.dataset.look;
  if (!look || !state.draft?.straight) return;
  state.draft.filter = look;
  showLook();
});

$("screen-preview").addEventListener("click", async (event) => {
  const act = event.target.closest("[data-act]")?.dataset.act;
  if (act === "retake") retake();
  else if (act === "recrop") openDraft(state.draft);
  else if (act === "accept") {
    const { photo, corners, filter, replace } = state.draft;
    const base = await thumbnail($("preview"));
    const page = { photo, corners, rotation: 0, filter, base, thumb: base };
    if (replace) {
      const old = state.documents[replace.doc][replace.index];
      page.rotation = old.rotation ?? 0;
      await showRotation(page);
      dropThumbs(old);
      state.documents[replace.doc][replace.index] = page;
      release(old.photo);
      state.selected = replace;
    } else {
      state.documents[state.documents.length - 1].push(page);
      state.selected = null;
    }
    state.draft = null;
    show("home");
    changed();
  }
});

// -- review and send ----------------------------------------------------------------------

$("to-review").addEventListener("click", () => {
  state.selected = null;
  say("review-error", null);
  renderReview($("review-list"), state.documents, multi);
  show("review");
});

$("screen-review").addEventListener("click", async (event) => {
  const act = event.target.closest("[data-act]")?.dataset.act;
  if (act === "back") {
    show("home");
    renderHome();
  } else if (act === "send") {
    state.sending = true;
    show("sending");
    try {
      await sendAll(config, state.documents, (text, done, total) => {
        $("sending-status").textContent = text;
        $("sending-progress").max = total;
        $("sending-progress").value = done;
      });
      await leave();
    } catch (error) {
      state.sending = false;
      if (error.final) {
        await leave(); // completed, cancelled or expired: the server's page says which
        return;
      }
      renderReview($("review-list"), state.documents, multi);
      show("review");
      say("review-error", gettext("Sending stopped: {reason} Nothing is lost; press Send to try again.",
        { reason: error.message }));
    }
  }
});

// -- the desktop may cancel, or the link expire, while the phone is busy ------------------

watchSession({
  url: config.statusUrl,
  interval: pollInterval(config.pollMs),
  onEnd: leave, // the server's page for the link says which
  onGone: leave,
  paused: () => state.sending, // the send itself tells
});

// -- kept pages, undo, rotation and leaving ---------------------------------------------

/** Write the pages to IndexedDB, one write at a time, the latest state winning. */
let saving = Promise.resolve();
function persist() {
  const documents = state.documents;
  saving = saving.then(async () => {
    const kept = [];
    for (const pages of documents) {
      const list = [];
      for (const page of pages) {
        const thumb = page.baseBlob ?? (page.baseBlob = await keptThumb(page.base));
        const { blob, width, height } = page.photo;
        list.push({ blob, width, height, corners: page.corners, rotation: page.rotation ?? 0,
          filter: page.filter ?? "auto", thumb });
      }
      kept.push(list);
    }
    await save(kept);
  }).catch((error) => console.warn("pages not kept:", error));
  return saving;
}

/** After every change to the pages: keep them, then show them. */
function changed() {
  persist();
  renderHome();
}

async function restore() {
  const kept = await load();
  if (!kept || !kept.some((pages) => pages.length)) return;
  const documents = [];
  for (const pages of kept) {
    const list = [];
    for (const { blob, width, height, corners, rotation, filter, thumb } of pages) {
      const base = URL.createObjectURL(thumb);
      const photo = { blob, width, height, image: await decode(blob) };
      const page = { photo, corners, rotation, filter: filter ?? "auto", base, baseBlob: thumb, thumb: base };
      await showRotation(page);
      list.push(page);
    }
    documents.push(list);
  }
  state.documents = documents;
  state.started = true; // these pages were taken: capturing had begun
}

/** A deleted page can be put back until the snackbar goes (or another page is deleted). */
const UNDO_MS = 8000;
let undoable = null;
function offerUndo(page, where) {
  settleUndo();
  undoable = { page, where, timer: setTimeout(settleUndo, UNDO_MS) };
  $("snackbar-text").textContent = gettext("Page deleted.");
  $("snackbar").hidden = false;
}

function settleUndo() {
  if (!undoable) return;
  clearTimeout(undoable.timer);
  dropThumbs(undoable.page);
  const { photo } = undoable.page;
  undoable = null;
  $("snackbar").hidden = true;
  release(photo);
}

$("undo-delete").addEventListener("click", () => {
  if (!undoable) return;
  const { page, where: { doc, index, emptied } } = undoable;
  clearTimeout(undoable.timer);
  undoable = null;
  $("snackbar").hidden = true;
  if (emptied) state.documents.splice(doc, 0, [page]);
  else state.documents[Math.min(doc, state.documents.length - 1)].splice(index, 0, page);
  state.selected = { doc, index };
  changed();
});

let leaving = false;
/** Go to the server's page for this link (done, cancelled, expired); nothing kept is needed. */
async function leave() {
  leaving = true;
  await saving;
  await forget();
  window.location.reload();
}

// Unsent pages survive a reload, but the user may not know that: ask before leaving.
window.addEventListener("beforeunload", (event) => {
  if (leaving || state.sending || pageCount() === 0) return;
  event.preventDefault();
  event.returnValue = "";
});

restore().finally(renderHome);
