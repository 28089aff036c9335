// Document scan: capture pages, crop and straighten them, arrange them, send them one by one.
import { gettext, ngettext } from "./i18n.js";
import { CropEditor } from "./scan-crop.js";
import { cornersProblem, loadPhoto, straighten, suggestCorners, thumbnail } from "./scan-image.js";
import { renderReview, sendAll } from "./scan-send.js";
import { Filmstrip } from "./scan-strip.js";

const root = document.getElementById("scan");
const config = root.dataset;
const multi = config.mode === "multi";
const maxPages = Number(config.maxPages);
const $ = (id) => document.getElementById(id);
const camera = $("camera");

/** documents[d] is a list of pages {blob, width, height, corners, thumb}; new pages go to the last. */
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
  renderHome();
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
    const [page] = state.documents[doc].splice(index, 1);
    URL.revokeObjectURL(page.thumb);
    release(page.photo);
    state.selected = null;
    tidy();
    renderHome();
  } else if (act === "earlier") step(-1);
  else if (act === "later") step(1);
  else if (act === "recrop") {
    const page = state.documents[doc][index];
    openDraft({ photo: page.photo, corners: page.corners, replace: { doc, index } });
  }
});

$("next-document").addEventListener("click", () => {
  state.documents.push([]);
  state.selected = null;
  renderHome();
});

$("add-page").addEventListener("click", (event) => {
  if (pageCount() >= maxPages) event.preventDefault();
  else state.draft = null;
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
  say("home-error", null);
  cropHint = gettext("Finding the page…");
  try {
    const photo = await loadPhoto(file, Number(config.maxBytes));
    const { width, height } = photo;
    const draft = { photo, corners: [[0, 0], [width, 0], [width, height], [0, height]], replace };
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
  camera.click();
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
    straighten(state.draft.photo, state.draft.corners, $("preview"));
  }
});

$("screen-preview").addEventListener("click", async (event) => {
  const act = event.target.closest("[data-act]")?.dataset.act;
  if (act === "retake") retake();
  else if (act === "recrop") openDraft(state.draft);
  else if (act === "accept") {
    const { photo, corners, replace } = state.draft;
    const page = { photo, corners, thumb: await thumbnail($("preview")) };
    if (replace) {
      const old = state.documents[replace.doc][replace.index];
      URL.revokeObjectURL(old.thumb);
      state.documents[replace.doc][replace.index] = page;
      release(old.photo);
      state.selected = replace;
    } else {
      state.documents[state.documents.length - 1].push(page);
      state.selected = null;
    }
    state.draft = null;
    show("home");
    renderHome();
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
      window.location.reload();
    } catch (error) {
      state.sending = false;
      if (error.final) {
        window.location.reload(); // completed, cancelled or expired: the server's page says which
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

setInterval(async () => {
  if (state.sending || document.hidden) return;
  try {
    const response = await fetch(config.statusUrl);
    if (response.status === 404) return window.location.reload();
    const { status } = await response.json();
    if (["cancelled", "expired", "completed"].includes(status)) window.location.reload();
  } catch {
    // offline for a moment: the next poll or the send will tell
  }
}, 5000);

renderHome();
