// The filmstrip: numbered thumbnails per document; tap selects, long-press drags to reorder.

import { gettext } from "./i18n.js";

const LONG_PRESS_MS = 380;
/** A finger that moves this far before the long press is scrolling, not dragging. */
const SLOP = 8;

export class Filmstrip {
  /**
   * ``onSelect({doc, index})`` on tap; ``onMove(from, to)`` after a drag, where
   * ``to`` is ``{doc, index}`` of the insertion point before removal.
   */
  constructor(container, { multi, onSelect, onMove }) {
    this.container = container;
    this.multi = multi;
    this.onSelect = onSelect;
    this.onMove = onMove;
    this.press = null;
    this.drag = null;
    container.addEventListener("pointerdown", (event) => this.down(event));
    container.addEventListener("pointermove", (event) => this.moveTo(event));
    container.addEventListener("pointerup", (event) => this.up(event));
    container.addEventListener("pointercancel", () => this.cancel());
    container.addEventListener("contextmenu", (event) => event.preventDefault());
    // Enter or Space on a focused page (a click without a pointer) selects it too.
    container.addEventListener("click", (event) => {
      const item = event.target.closest(".thumb");
      if (item && event.detail === 0) {
        this.onSelect({ doc: Number(item.dataset.doc), index: Number(item.dataset.index) });
      }
    });
    // Once a drag has begun the page must not scroll under the finger.
    container.addEventListener("touchmove", (event) => {
      if (this.drag) event.preventDefault();
    }, { passive: false });
  }

  render(documents, selected) {
    this.container.replaceChildren();
    documents.forEach((pages, doc) => {
      if (this.multi && (doc > 0 || documents.length > 1)) {
        const label = document.createElement("div");
        label.className = "strip__separator";
        label.textContent = gettext("Doc {doc}", { doc: doc + 1 });
        label.setAttribute("role", "separator");
        this.container.append(label);
      }
      if (pages.length === 0) {
        const empty = document.createElement("div");
        empty.className = "strip__empty";
        empty.textContent = gettext("next page goes here");
        empty.dataset.doc = doc;
        empty.dataset.index = 0;
        this.container.append(empty);
      }
      pages.forEach((page, index) => {
        const item = document.createElement("button");
        item.type = "button";
        item.className = "thumb";
        item.dataset.doc = doc;
        item.dataset.index = index;
        item.setAttribute("role", "listitem");
        const isSelected = selected && selected.doc === doc && selected.index === index;
        item.setAttribute("aria-pressed", String(Boolean(isSelected)));
        item.setAttribute("aria-label", this.multi
          ? gettext("Page {page} of document {doc}", { page: index + 1, doc: doc + 1 })
          : gettext("Page {page}", { page: index + 1 }));
        const img = document.createElement("img");
        img.src = page.thumb;
        img.alt = "";
        img.draggable = false;
        const number = document.createElement("span");
        number.className = "thumb__number";
        number.textContent = index + 1;
        item.append(img, number);
        this.container.append(item);
      });
    });
    if (selected) {
      this.container.querySelector('[aria-pressed="true"]')?.scrollIntoView({ inline: "nearest", block: "nearest" });
    }
  }

  down(event) {
    const item = event.target.closest(".thumb");
    if (!item || event.button > 0) return;
    const timer = setTimeout(() => this.startDrag(event.pointerId), LONG_PRESS_MS);
    this.press = { item, timer, id: event.pointerId, x: event.clientX, y: event.clientY };
  }

  startDrag(pointerId) {
    const { item, x } = this.press;
    this.drag = { item, id: pointerId, startX: x, target: null };
    this.container.setPointerCapture(pointerId);
    item.classList.add("thumb--dragging");
    this.container.classList.add("strip--dragging");
    navigator.vibrate?.(15);
  }

  moveTo(event) {
    if (this.press && !this.drag) {
      if (Math.hypot(event.clientX - this.press.x, event.clientY - this.press.y) > SLOP) {
        clearTimeout(this.press.timer);
        this.press = null;
      }
      return;
    }
    if (!this.drag || event.pointerId !== this.drag.id) return;
    this.drag.item.style.transform = `translate(${event.clientX - this.drag.startX}px, -6px)`;
    this.edgeScroll(event.clientX);
    this.markTarget(event.clientX);
  }

  /** Scroll the strip while the dragged page is held near its ends. */
  edgeScroll(x) {
    const box = this.container.getBoundingClientRect();
    if (x < box.left + 30) this.container.scrollLeft -= 12;
    else if (x > box.right - 30) this.container.scrollLeft += 12;
  }

  /** The insertion point under ``x``: before or after the nearest other page. */
  markTarget(x) {
    this.container.querySelectorAll(".drop-before, .drop-after")
      .forEach((node) => node.classList.remove("drop-before", "drop-after"));
    let best = null;
    for (const node of this.container.querySelectorAll(".thumb, .strip__empty")) {
      if (node === this.drag.item) continue;
      const box = node.getBoundingClientRect();
      const distance = Math.abs(x - (box.left + box.width / 2));
      if (!best || distance < best.distance) best = { node, distance, after: x > box.left + box.width / 2 };
    }
    if (!best) return;
    const doc = Number(best.node.dataset.doc);
    const index = Number(best.node.dataset.index) + (best.after && best.node.classList.contains("thumb") ? 1 : 0);
    best.node.classList.add(best.after ? "drop-after" : "drop-before");
    this.drag.target = { doc, index };
  }

  up(event) {
    if (this.press && !this.drag) {
      clearTimeout(this.press.timer);
      const { item } = this.press;
      this.press = null;
      this.onSelect({ doc: Number(item.dataset.doc), index: Number(item.dataset.index) });
      return;
    }
    if (!this.drag || event.pointerId !== this.drag.id) return;
    const { item, target } = this.drag;
    this.finish();
    if (target) {
      this.onMove({ doc: Number(item.dataset.doc), index: Number(item.dataset.index) }, target);
    }
  }

  cancel() {
    if (this.press) clearTimeout(this.press.timer);
    this.press = null;
    if (this.drag) this.finish();
  }

  finish() {
    this.drag.item.classList.remove("thumb--dragging");
    this.drag.item.style.transform = "";
    this.container.classList.remove("strip--dragging");
    this.container.querySelectorAll(".drop-before, .drop-after")
      .forEach((node) => node.classList.remove("drop-before", "drop-after"));
    this.drag = null;
  }
}
