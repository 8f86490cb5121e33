// Offsets and selection: DOM points in the painted article text <-> code-point offsets.
import { $ } from "./dom.js";
import { cpLength, paragraphIndex, sentenceAround, spanOf, utf16Index } from "./text.js";

export const offsetMethods = {
  paragraphIndex(cp) {
    return paragraphIndex(this.paragraphs, cp);
  },

  /** Code-point offset in the body of a DOM point inside the article text. */
  pointToCp(node, offset) {
    if (!this.bodyEl.contains(node)) {
      const before = node.compareDocumentPosition(this.bodyEl) & Node.DOCUMENT_POSITION_FOLLOWING;
      return before ? 0 : this.bodyCps.length;
    }
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest("[data-o]");
      if (!seg) return this.edgeOf(node, offset > 0);
      // A segment holds one text node, so the offset counts from the segment's start.
      return Number(seg.dataset.o) + cpLength(node.data.slice(0, offset));
    }
    if (offset < node.childNodes.length) return this.edgeOf(node.childNodes[offset], false);
    return this.edgeOf(node, true);
  },

  /** The first (or, with atEnd, the last) code-point offset covered by a node. */
  edgeOf(node, atEnd) {
    const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    if (el.dataset && el.dataset.o !== undefined) {
      return Number(el.dataset.o) + (atEnd ? cpLength(el.textContent) : 0);
    }
    const segs = el.querySelectorAll("[data-o]");
    if (segs.length) {
      const seg = atEnd ? segs[segs.length - 1] : segs[0];
      return Number(seg.dataset.o) + (atEnd ? cpLength(seg.textContent) : 0);
    }
    if (el.dataset && el.dataset.start !== undefined) return Number(el.dataset.start);
    return atEnd ? this.bodyCps.length : 0;
  },

  /** The DOM point (text node, UTF-16 offset) of a code-point offset. */
  cpToPoint(cp) {
    const p = this.paragraphs[this.paragraphIndex(cp)];
    const clamped = Math.max(p.start, Math.min(cp, p.end));
    const segs = p.el.querySelectorAll("[data-o]");
    let seg = segs[0];
    for (const s of segs) {
      if (Number(s.dataset.o) <= clamped) seg = s;
      else break;
    }
    const text = seg.firstChild;
    return { node: text, offset: utf16Index(text.data, clamped - Number(seg.dataset.o)) };
  },

  selectCps(start, end) {
    const a = this.cpToPoint(start);
    const b = this.cpToPoint(end);
    document.getSelection().setBaseAndExtent(a.node, a.offset, b.node, b.offset);
  },

  /** The selection as a claim span: code points, trimmed of surrounding white space. */
  selectionSpan() {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(this.bodyEl)) return null;
    const start = this.pointToCp(range.startContainer, range.startOffset);
    const end = this.pointToCp(range.endContainer, range.endOffset);
    return spanOf(this.bodyCps, start, end);
  },

  placeCaret(cp) {
    const point = this.cpToPoint(cp);
    document.getSelection().collapse(point.node, point.offset);
  },

  caretCp() {
    const selection = document.getSelection();
    if (!selection.rangeCount || !this.bodyEl.contains(selection.focusNode)) return null;
    return this.pointToCp(selection.focusNode, selection.focusOffset);
  },

  /** Select the sentence around the caret (S). */
  selectSentence() {
    let cp = this.caretCp();
    if (cp === null) cp = this.currentId !== null ? this.claims.get(this.currentId).start : 0;
    const p = this.paragraphs[this.paragraphIndex(cp)];
    const [start, end] = sentenceAround(p.cps, cp - p.start);
    this.bodyEl.focus({ preventScroll: true });
    this.selectCps(p.start + start, p.start + end);
    this.onSelectionChange();
  },

  onSelectionChange() {
    if (this.selectionFrame) return;
    this.selectionFrame = requestAnimationFrame(() => {
      this.selectionFrame = null;
      const span = this.selectionSpan();
      this.pendingSelection = span;
      const toolbar = $("selection-toolbar");
      if (!span || !this.config.can_create) {
        toolbar.hidden = true;
      } else {
        const rect = document.getSelection().getRangeAt(0).getBoundingClientRect();
        toolbar.hidden = false;
        toolbar.style.top = `${rect.bottom + window.scrollY + 6}px`;
        toolbar.style.left = `${Math.max(8, Math.min(rect.left + window.scrollX, document.documentElement.clientWidth - toolbar.offsetWidth - 8))}px`;
        $("selection-info").textContent = `${span.end - span.start} characters`;
      }
      this.showCaret();
    });
  },

  showCaret() {
    const caret = $("caret");
    const selection = document.getSelection();
    if (
      document.activeElement !== this.bodyEl ||
      !selection.rangeCount ||
      !selection.isCollapsed ||
      !this.bodyEl.contains(selection.anchorNode)
    ) {
      caret.hidden = true;
      return;
    }
    const range = selection.getRangeAt(0);
    const rects = range.getClientRects();
    const rect = rects.length ? rects[0] : range.getBoundingClientRect();
    if (!rect || (!rect.height && !rect.top)) {
      caret.hidden = true;
      return;
    }
    caret.hidden = false;
    caret.style.top = `${rect.top + window.scrollY}px`;
    caret.style.left = `${rect.left + window.scrollX}px`;
    caret.style.height = `${rect.height || 18}px`;
  },
};
