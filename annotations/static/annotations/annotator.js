// The annotator: paints claims over the article text and edits them through the REST API.
//
// Offsets sent to and received from the server count Unicode code points of the canonical
// body; JavaScript strings count UTF-16 units, so every conversion goes through the helpers
// below. All user and article text reaches the page through textContent, never as markup.

const VERDICTS = ["pending", "verified", "disputed", "unsourced"];
const VERDICT_LABELS = {
  pending: "Pending",
  verified: "Verified",
  disputed: "Disputed",
  unsourced: "Unsourced",
};
const VERDICT_KEYS = { p: "pending", v: "verified", d: "disputed", u: "unsourced" };
// One key each to judge and move on to the next claim.
const VERDICT_NEXT_KEYS = { 1: "verified", 2: "disputed", 3: "unsourced", 0: "pending" };
const STANCE_LABELS = { supports: "Supports", refutes: "Refutes", context: "Context" };
const LINK_BADGES = {
  pending: ["checking", "The link is being checked"],
  ok: ["ok", "The link answered"],
  redirected: ["redirected", "The link redirects elsewhere"],
  broken: ["broken", "The link is broken"],
  timeout: ["timeout", "The link did not answer in time"],
  unreachable: ["unreachable", "The link's server could not be reached"],
  blocked: ["blocked", "The link was blocked by the safety policy"],
  invalid: ["invalid", "The link is not a valid address"],
};
const CONTEXT_CHARS = 24;
const QUOTE_CONTEXT = 32;

// --- Code points ---------------------------------------------------------------------------

/** Number of code points in a JS string. */
export function cpLength(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-16 index of the code point number `cp` within `text`. */
export function utf16Index(text, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

// --- DOM helpers ---------------------------------------------------------------------------

/** Build an element; strings become text nodes, so data is never parsed as markup. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const $ = (id) => document.getElementById(id);

function clip(text, max) {
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : text;
}

function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

// --- API -----------------------------------------------------------------------------------

class NetworkError extends Error {}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function request(method, url, { body, version } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (version !== undefined && version !== null) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return { status: response.status, ok: response.ok, data };
}

/** Turn a DRF error body into one readable line. */
function errorText(result) {
  const data = result.data;
  if (!data) return `The server answered ${result.status}.`;
  if (typeof data === "string") return data;
  if (Array.isArray(data)) return data.join(" ");
  if (data.detail) return String(data.detail);
  return Object.entries(data)
    .filter(([field]) => field !== "codes") // codes are for programs, the messages for people
    .map(([field, messages]) =>
      `${field === "non_field_errors" ? "" : field + ": "}${[].concat(messages).join(" ")}`,
    )
    .join(" ");
}

// --- The annotator -------------------------------------------------------------------------

class Annotator {
  constructor(root) {
    this.root = root;
    this.articleId = Number(root.dataset.articleId);
    this.api = root.dataset.apiRoot;
    this.pollMs = Number(root.dataset.pollMs) || 3000;
    this.body = JSON.parse($("article-body-text").textContent);
    this.bodyCps = Array.from(this.body);
    this.bodyEl = $("article-body");
    this.claims = new Map(); // id -> claim
    this.ordered = []; // claims in text order
    this.marks = new Map(); // claim id -> [mark elements]
    this.currentId = null;
    this.me = null;
    this.undoStack = [];
    this.queue = Promise.resolve();
    this.pollTimer = null;
    this.pendingSelection = null;
    this.editingEvidenceId = null;
    this.conflict = null;
    this.retry = null;
    this.paragraphs = [];
  }

  // ---- set-up

  async start() {
    this.prepareParagraphs();
    this.bindEvents();
    try {
      const [me, claims] = await Promise.all([this.loadMe(), this.loadClaims()]);
      this.me = me;
      this.root.classList.toggle("read-only", !this.canCreate());
      performance.mark("annotator:paint-start");
      for (const claim of claims) this.claims.set(claim.id, claim);
      this.sortClaims();
      this.paintAll();
      void this.bodyEl.offsetHeight; // force style and layout, so that the measure holds them
      performance.mark("annotator:painted");
      performance.measure("annotator:highlights", "annotator:paint-start", "annotator:painted");
      this.renderList();
      performance.measure("annotator:list", "annotator:painted");
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark("annotator:frame");
          performance.measure("annotator:highlights-frame", "annotator:paint-start", "annotator:frame");
          performance.measure("annotator:load-to-frame", undefined, "annotator:frame");
          this.root.dataset.ready = "1";
        }, 0),
      );
      const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("claim"));
      if (wanted && this.claims.has(wanted)) this.openClaim(wanted, { scroll: true });
    } catch (error) {
      this.alert(
        error instanceof NetworkError
          ? "Could not load the claims: the server cannot be reached. Reload to try again."
          : `Could not load the claims: ${error.message}`,
      );
      this.root.dataset.ready = "error";
    }
  }

  async loadMe() {
    const result = await request("GET", `${this.api}me/`);
    if (!result.ok) throw new Error(errorText(result));
    return result.data;
  }

  async loadClaims() {
    const claims = [];
    let url = `${this.api}claims/?article=${this.articleId}&page_size=1000`;
    while (url) {
      const result = await request("GET", url);
      if (!result.ok) throw new Error(errorText(result));
      const data = result.data;
      if (Array.isArray(data)) {
        claims.push(...data);
        break;
      }
      claims.push(...data.results);
      url = data.next;
    }
    return claims;
  }

  canCreate() {
    return Boolean(this.me && this.me.roles && this.me.roles.length);
  }

  canEdit(claim) {
    if (!this.me || !claim) return false;
    const roles = this.me.roles || [];
    if (roles.includes("reviewer")) return true;
    return roles.includes("analyst") && claim.created_by && claim.created_by.id === this.me.id;
  }

  prepareParagraphs() {
    // Drop the template's whitespace between paragraphs: only paragraph text is article text.
    for (const node of Array.from(this.bodyEl.childNodes)) {
      if (node.nodeType === Node.TEXT_NODE) node.remove();
    }
    this.paragraphs = Array.from(this.bodyEl.querySelectorAll("p[data-start]")).map((el) => {
      const text = el.textContent;
      const cps = Array.from(text);
      const start = Number(el.dataset.start);
      return { el, start, end: start + cps.length, cps };
    });
  }

  sortClaims() {
    this.ordered = Array.from(this.claims.values()).sort(
      (a, b) => a.start - b.start || a.end - b.end || a.id - b.id,
    );
  }

  // ---- painting

  /** Index of the paragraph holding code point `cp` (or the one just after a gap). */
  paragraphIndex(cp) {
    let lo = 0;
    let hi = this.paragraphs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.paragraphs[mid].start <= cp) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  paragraphsOf(claim) {
    const result = [];
    if (claim.is_orphaned) return result;
    for (let i = this.paragraphIndex(claim.start); i < this.paragraphs.length; i++) {
      const p = this.paragraphs[i];
      if (p.start >= claim.end) break;
      if (p.end > claim.start) result.push(i);
    }
    return result;
  }

  paintAll() {
    const perParagraph = this.paragraphs.map(() => []);
    for (const claim of this.ordered) {
      for (const i of this.paragraphsOf(claim)) perParagraph[i].push(claim);
    }
    this.marks = new Map();
    perParagraph.forEach((claims, i) => this.paintParagraph(i, claims));
    this.markCurrent();
  }

  repaint(indexes) {
    for (const i of new Set(indexes)) {
      const p = this.paragraphs[i];
      const claims = this.ordered.filter((c) => !c.is_orphaned && c.start < p.end && c.end > p.start);
      // Forget this paragraph's old marks before painting new ones.
      for (const [id, list] of this.marks) {
        this.marks.set(
          id,
          list.filter((m) => m.parentNode !== p.el),
        );
      }
      this.paintParagraph(i, claims);
    }
    this.markCurrent();
  }

  /**
   * Split the paragraph at every claim boundary: each segment is covered by a fixed set of
   * claims, so overlapping and nested claims paint without breaking each other.
   */
  paintParagraph(index, claims) {
    const p = this.paragraphs[index];
    const fragment = document.createDocumentFragment();
    const starts = new Map();
    const bounds = new Set([p.start, p.end]);
    for (const claim of claims) {
      const s = Math.max(claim.start, p.start);
      const e = Math.min(claim.end, p.end);
      bounds.add(s);
      bounds.add(e);
      if (!starts.has(s)) starts.set(s, []);
      starts.get(s).push(claim);
    }
    const points = Array.from(bounds).sort((a, b) => a - b);
    let active = [];
    for (let k = 0; k < points.length - 1; k++) {
      const a = points[k];
      const b = points[k + 1];
      active = active.filter((c) => Math.min(c.end, p.end) > a);
      if (starts.has(a)) active.push(...starts.get(a));
      const text = p.cps.slice(a - p.start, b - p.start).join("");
      if (!active.length) {
        fragment.append(h("span", { dataset: { o: a } }, text));
        continue;
      }
      // The innermost (shortest) claim gives the colour; depth shows how many overlap.
      const covering = active.slice().sort((x, y) => x.end - x.start - (y.end - y.start) || y.start - x.start);
      const inner = covering[0];
      const depth = Math.min(covering.length, 3);
      const mark = h(
        "mark",
        {
          class: `hl v-${inner.verdict}${depth > 1 ? ` depth-${depth}` : ""}`,
          dataset: { o: a, claims: covering.map((c) => c.id).join(" ") },
        },
        text,
      );
      fragment.append(mark);
      for (const c of covering) {
        if (!this.marks.has(c.id)) this.marks.set(c.id, []);
        this.marks.get(c.id).push(mark);
      }
    }
    p.el.replaceChildren(fragment);
  }

  markCurrent() {
    for (const el of this.bodyEl.querySelectorAll("mark.is-current")) el.classList.remove("is-current");
    if (this.currentId === null) return;
    for (const el of this.marks.get(this.currentId) || []) el.classList.add("is-current");
  }

  // ---- selection and offsets

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
  }

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
  }

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
  }

  selectCps(start, end) {
    const a = this.cpToPoint(start);
    const b = this.cpToPoint(end);
    const selection = document.getSelection();
    selection.setBaseAndExtent(a.node, a.offset, b.node, b.offset);
  }

  /** The selection as a claim span: code points, trimmed of surrounding white space. */
  selectionSpan() {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(this.bodyEl)) return null;
    let start = this.pointToCp(range.startContainer, range.startOffset);
    let end = this.pointToCp(range.endContainer, range.endOffset);
    while (start < end && /\s/u.test(this.bodyCps[start])) start++;
    while (end > start && /\s/u.test(this.bodyCps[end - 1])) end--;
    if (start >= end) return null;
    return {
      start,
      end,
      quote: this.bodyCps.slice(start, end).join(""),
      prefix: this.bodyCps.slice(Math.max(0, start - QUOTE_CONTEXT), start).join(""),
      suffix: this.bodyCps.slice(end, end + QUOTE_CONTEXT).join(""),
    };
  }

  onSelectionChange() {
    if (this.selectionFrame) return;
    this.selectionFrame = requestAnimationFrame(() => {
      this.selectionFrame = null;
      const span = this.selectionSpan();
      this.pendingSelection = span;
      const toolbar = $("selection-toolbar");
      if (!span || !this.canCreate()) {
        toolbar.hidden = true;
      } else {
        const rect = document.getSelection().getRangeAt(0).getBoundingClientRect();
        toolbar.hidden = false;
        toolbar.style.top = `${rect.bottom + window.scrollY + 6}px`;
        toolbar.style.left = `${Math.max(8, rect.left + window.scrollX)}px`;
        $("selection-info").textContent = `${span.end - span.start} characters`;
      }
      this.showCaret();
    });
  }

  /** Arrow keys in the article text move a caret and, with Shift, select. */
  onBodyKey(event) {
    const keys = {
      ArrowLeft: ["backward", "character"],
      ArrowRight: ["forward", "character"],
      ArrowUp: ["backward", "line"],
      ArrowDown: ["forward", "line"],
      Home: ["backward", "lineboundary"],
      End: ["forward", "lineboundary"],
    };
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      this.openClaimAtCaret();
      return;
    }
    const move = keys[event.key];
    if (!move || event.altKey || event.metaKey) return;
    const selection = document.getSelection();
    if (!selection.rangeCount || !this.bodyEl.contains(selection.anchorNode)) this.placeCaret(0);
    let [direction, granularity] = move;
    if (event.ctrlKey && granularity === "character") granularity = "word";
    if (event.ctrlKey && granularity === "line") granularity = "paragraph";
    selection.modify(event.shiftKey ? "extend" : "move", direction, granularity);
    event.preventDefault();
    this.onSelectionChange();
  }

  /** Enter in the article text opens the innermost claim under the caret (again: the next one). */
  openClaimAtCaret() {
    const cp = this.caretCp();
    if (cp === null) return;
    const here = this.ordered
      .filter((c) => !c.is_orphaned && c.start <= cp && cp < c.end)
      .sort((a, b) => a.end - a.start - (b.end - b.start));
    if (!here.length) {
      this.announce("No claim at the caret.");
      return;
    }
    const at = here.findIndex((c) => c.id === this.currentId);
    const claim = here[(at + 1) % here.length];
    this.openClaim(claim.id);
    this.announce(`Claim opened: «${clip(claim.quote, 60)}», ${VERDICT_LABELS[claim.verdict]}.`);
  }

  placeCaret(cp) {
    const point = this.cpToPoint(cp);
    document.getSelection().collapse(point.node, point.offset);
  }

  caretCp() {
    const selection = document.getSelection();
    if (!selection.rangeCount || !this.bodyEl.contains(selection.focusNode)) return null;
    return this.pointToCp(selection.focusNode, selection.focusOffset);
  }

  /** Select the sentence around the caret (S). */
  selectSentence() {
    let cp = this.caretCp();
    if (cp === null) cp = this.currentId !== null ? this.claims.get(this.currentId).start : 0;
    const p = this.paragraphs[this.paragraphIndex(cp)];
    const text = p.cps;
    let rel = Math.max(0, Math.min(cp - p.start, text.length - 1));
    const isEnd = (i) => /[.!?…]/u.test(text[i]) && (i + 1 >= text.length || /\s/u.test(text[i + 1]));
    let start = rel;
    while (start > 0 && !isEnd(start - 1)) start--;
    let end = rel;
    while (end < text.length && !isEnd(end)) end++;
    end = Math.min(text.length, end + 1);
    this.bodyEl.focus({ preventScroll: true });
    this.selectCps(p.start + start, p.start + end);
    this.onSelectionChange();
  }

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
  }

  // ---- the claim list

  renderList() {
    const filter = $("verdict-filter").value;
    const list = $("claim-list");
    const items = [];
    let shown = 0;
    for (const claim of this.ordered) {
      if (filter && claim.verdict !== filter) continue;
      shown++;
      const after = this.bodyCps.slice(claim.end, claim.end + CONTEXT_CHARS).join("").replace(/\s+/gu, " ");
      items.push(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `claim-item${claim.id === this.currentId ? " is-current" : ""}${claim.is_orphaned ? " orphaned" : ""}`,
              dataset: { id: claim.id },
              "aria-current": claim.id === this.currentId ? "true" : null,
            },
            h("span", { class: `verdict-badge v-${claim.verdict}` }, VERDICT_LABELS[claim.verdict] || claim.verdict),
            " ",
            h("q", { class: "claim-item-quote", lang: this.bodyEl.lang }, clip(claim.quote, 90)),
            h("span", { class: "claim-item-context" }, after ? `${after}…` : ""),
            claim.is_orphaned ? h("span", { class: "orphan-flag" }, " (lost after a text change)") : null,
            claim.signed_off_at ? h("span", { class: "signed-flag" }, " ✓ signed off") : null,
          ),
        ),
      );
    }
    list.replaceChildren(...items);
    $("claim-count").textContent = filter
      ? `(${shown} of ${this.ordered.length})`
      : `(${this.ordered.length})`;
    $("claim-list-empty").hidden = this.ordered.length > 0;
  }

  visibleOrdered() {
    const filter = $("verdict-filter").value;
    return this.ordered.filter((c) => !filter || c.verdict === filter);
  }

  move(step) {
    const list = this.visibleOrdered();
    if (!list.length) return;
    let index = list.findIndex((c) => c.id === this.currentId);
    if (index === -1) {
      const current = this.claims.get(this.currentId);
      index = step > 0 ? -1 : list.length;
      if (current) {
        // Keep our place in the text when the current claim is filtered out.
        index = step > 0
          ? list.filter((c) => c.start < current.start).length - 1
          : list.filter((c) => c.start <= current.start).length;
      }
    }
    const next = list[Math.max(0, Math.min(list.length - 1, index + step))];
    const inList = document.activeElement && document.activeElement.classList.contains("claim-item");
    this.openClaim(next.id, { scroll: true });
    if (inList) {
      // Keyboard users walking the list keep their focus on the current item.
      const item = $("claim-list").querySelector(`.claim-item[data-id="${next.id}"]`);
      if (item) item.focus();
    }
    this.announce(`Claim ${list.indexOf(next) + 1} of ${list.length}: ${VERDICT_LABELS[next.verdict]}.`);
  }

  // ---- the claim panel

  openClaim(id, { scroll = false, focus = false } = {}) {
    const claim = this.claims.get(id);
    if (!claim) return;
    const switching = this.currentId !== id;
    if (switching) {
      if (this.currentId !== null) this.saveDraft(this.currentId);
      this.clearConflict();
      this.resetEvidenceForm();
      $("history").open = false;
    }
    this.currentId = id;
    this.markCurrent();
    this.renderDetail(claim, { keepInput: !switching });
    if (switching) this.restoreDraft(claim);
    for (const el of $("claim-list").querySelectorAll(".claim-item")) {
      const on = Number(el.dataset.id) === id;
      el.classList.toggle("is-current", on);
      if (on) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
    }
    const marks = this.marks.get(id);
    if (scroll && marks && marks.length) marks[0].scrollIntoView({ block: "center", behavior: "instant" });
    history.replaceState(null, "", `#claim=${id}`);
    if (focus) $("claim-detail").focus();
    this.schedulePoll();
  }

  closeClaim() {
    if (this.currentId === null) return;
    const closing = this.currentId;
    this.saveDraft(closing);
    this.currentId = null;
    this.clearConflict();
    $("claim-detail").hidden = true;
    this.markCurrent();
    history.replaceState(null, "", location.pathname + location.search);
    const button = $("claim-list").querySelector(`[data-id="${closing}"]`);
    if (button) button.classList.remove("is-current");
    if (button && $("panel").contains(document.activeElement)) button.focus();
    this.stopPoll();
  }

  renderDetail(claim, { keepInput }) {
    $("claim-detail").hidden = false;
    const before = this.bodyCps.slice(Math.max(0, claim.start - CONTEXT_CHARS), claim.start).join("");
    const after = this.bodyCps.slice(claim.end, claim.end + CONTEXT_CHARS).join("");
    $("detail-quote").replaceChildren(
      h("span", { class: "ctx" }, before ? `…${before}` : ""),
      h("mark", { class: `hl v-${claim.verdict}` }, claim.quote),
      h("span", { class: "ctx" }, after ? `${after}…` : ""),
    );
    const meta = [
      `${VERDICT_LABELS[claim.verdict] || claim.verdict}`,
      `version ${claim.version}`,
      claim.created_by ? `by ${claim.created_by.username}` : "",
      claim.updated_by && claim.updated_at ? `changed ${formatTime(claim.updated_at)} by ${claim.updated_by.username}` : "",
      claim.signed_off_at ? `signed off ${formatTime(claim.signed_off_at)}` : "not signed off",
      claim.is_orphaned ? "lost after a text change" : "",
    ].filter(Boolean);
    $("detail-meta").textContent = meta.join(" · ");
    const editable = this.canEdit(claim);
    $("detail-readonly").hidden = editable;
    for (const input of $("claim-detail").querySelectorAll("input, textarea, select, #rationale-form button, #evidence-form button, #delete-claim")) {
      input.disabled = !editable;
    }
    if (!keepInput) {
      for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === claim.verdict;
      $("rationale").value = claim.rationale || "";
      $("rationale").dataset.saved = claim.rationale || "";
      $("rationale-error").textContent = "";
    }
    const signOff = $("sign-off");
    signOff.hidden = !(this.me && this.me.can_sign_off);
    signOff.textContent = claim.signed_off_at ? "Withdraw sign-off" : "Sign off";
    signOff.disabled = !claim.signed_off_at && (claim.verdict === "pending" || claim.is_orphaned);
    this.renderEvidence(claim);
    if ($("history").open) this.loadHistory(claim.id);
  }

  renderEvidence(claim) {
    const editable = this.canEdit(claim);
    const items = (claim.evidence || []).map((ev) =>
      h(
        "li",
        { class: "evidence-item", dataset: { id: ev.id } },
        h(
          "div",
          { class: "evidence-head" },
          h("span", { class: `stance stance-${ev.stance}` }, STANCE_LABELS[ev.stance] || ev.stance),
          " ",
          h("a", { href: safeHref(ev.url), rel: "noopener noreferrer nofollow", target: "_blank" }, ev.title || ev.url),
          " ",
          this.linkBadges(ev),
        ),
        ev.title ? h("div", { class: "evidence-url muted" }, ev.url) : null,
        ev.excerpt ? h("blockquote", { class: "evidence-excerpt" }, ev.excerpt) : null,
        ev.note ? h("p", { class: "evidence-note" }, ev.note) : null,
        editable
          ? h(
              "div",
              { class: "evidence-actions" },
              h("button", { type: "button", dataset: { action: "edit-evidence", id: ev.id }, "aria-label": `Edit evidence ${ev.title || ev.url}` }, "Edit"),
              " ",
              h("button", { type: "button", class: "danger", dataset: { action: "remove-evidence", id: ev.id }, "aria-label": `Remove evidence ${ev.title || ev.url}` }, "Remove"),
            )
          : null,
      ),
    );
    if (!items.length) items.push(h("li", { class: "muted" }, "No evidence yet."));
    $("evidence-list").replaceChildren(...items);
  }

  linkBadges(evidence) {
    const span = h("span", { class: "link-badges" });
    this.fillBadges(span, evidence);
    return span;
  }

  // The link's latest check, plus "changed" when this citation's source moved on since it was
  // cited: its text changed, or the quoted excerpt is no longer on the page.
  fillBadges(container, evidence) {
    const link = evidence && evidence.link;
    const outcome = (link && link.outcome) || "pending";
    const [label, description] = LINK_BADGES[outcome] || [outcome, outcome];
    const details = [description];
    if (link && link.http_status) details.push(`HTTP ${link.http_status}`);
    if (link && link.final_url && link.final_url !== link.url) details.push(`now at ${link.final_url}`);
    if (link && link.last_checked_at) details.push(`checked ${formatTime(link.last_checked_at)}`);
    const badges = [
      h("span", { class: `link-badge link-${outcome}`, title: details.join(", "), dataset: { outcome } }, label),
    ];
    const changes = [];
    if (evidence && evidence.source_changed_at) changes.push(`the page's text changed (${formatTime(evidence.source_changed_at)}) since it was cited`);
    if (evidence && evidence.excerpt_found === false) changes.push("the excerpt is no longer on the page");
    if (changes.length) {
      badges.push(h("span", { class: "link-badge link-changed", title: changes.join("; "), dataset: { outcome: "changed" } }, "changed"));
    }
    container.replaceChildren(...badges);
    container.setAttribute("aria-label", `Link check: ${badges.map((b) => b.textContent).join(", ")}`);
  }

  // ---- polling link checks

  schedulePoll() {
    this.stopPoll();
    const claim = this.claims.get(this.currentId);
    if (!claim || !(claim.evidence || []).some((ev) => !ev.link || ev.link.outcome === "pending")) return;
    this.pollTimer = setTimeout(() => this.poll(claim.id), this.pollMs);
  }

  stopPoll() {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  async poll(id) {
    this.pollTimer = null;
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/`);
    } catch {
      result = null; // Offline for a moment: try again on the next tick.
    }
    const claim = this.claims.get(id);
    if (result && result.ok && claim) {
      // Only the link states are taken over: the analyst's unsaved input stays as it is.
      const fresh = new Map((result.data.evidence || []).map((ev) => [ev.id, ev]));
      for (const ev of claim.evidence || []) {
        const newer = fresh.get(ev.id);
        if (!newer) continue;
        ev.link = newer.link;
        ev.source_changed_at = newer.source_changed_at;
        ev.excerpt_found = newer.excerpt_found;
        const badges = $("evidence-list").querySelector(`[data-id="${ev.id}"] .link-badges`);
        if (badges && this.currentId === id) this.fillBadges(badges, ev);
      }
    }
    if (this.currentId === id) this.schedulePoll();
  }

  // ---- writes

  /** Run writes one after another, so that each one sends the version the last one left. */
  enqueue(task) {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Run a write; on a network failure offer to retry it with the same input. */
  async write(label, task) {
    try {
      return await this.enqueue(task);
    } catch (error) {
      if (error instanceof NetworkError) {
        this.alert(`${label} failed: the server cannot be reached. Nothing was saved and your input is kept.`, {
          retry: () => this.write(label, task),
        });
        return null;
      }
      throw error;
    }
  }

  storeClaim(claim) {
    const old = this.claims.get(claim.id);
    this.claims.set(claim.id, claim);
    this.sortClaims();
    const touched = [...(old ? this.paragraphsOf(old) : []), ...this.paragraphsOf(claim)];
    this.repaint(touched);
    this.renderList();
  }

  forgetClaim(id) {
    const old = this.claims.get(id);
    if (!old) return;
    this.claims.delete(id);
    this.marks.delete(id);
    this.sortClaims();
    if (this.currentId === id) this.closeClaim();
    this.repaint(this.paragraphsOf(old));
    this.renderList();
  }

  async createClaim(span = this.selectionSpan() || this.pendingSelection, extra = {}, { undoable = true } = {}) {
    if (!span) {
      this.announce("Select some text in the article first.");
      return null;
    }
    if (!this.canCreate()) {
      this.alert("Your account cannot create claims.");
      return null;
    }
    const payload = { article: this.articleId, start: span.start, end: span.end, quote: span.quote, prefix: span.prefix, suffix: span.suffix, ...extra };
    return this.write("Creating the claim", async () => {
      const result = await request("POST", `${this.api}claims/`, { body: payload });
      if (result.status !== 201) {
        this.alert(`The claim was not created. ${errorText(result)}`);
        return null;
      }
      const claim = result.data;
      $("selection-toolbar").hidden = true;
      this.pendingSelection = null;
      document.getSelection().removeAllRanges();
      this.storeClaim(claim);
      if (undoable) this.pushUndo({ kind: "create", id: claim.id, label: "creating the claim" });
      this.openClaim(claim.id);
      this.announce(`Claim created: «${clip(claim.quote, 60)}». Set its verdict with P, V, D or U.`);
      const radio = document.querySelector(`input[name=verdict][value="${claim.verdict}"]`);
      if (radio && !radio.disabled) radio.focus();
      return claim;
    });
  }

  /** PATCH a claim; a stale version opens the conflict view with the analyst's input kept. */
  async patchClaim(id, changes, { undo = null, quiet = false } = {}) {
    return this.write("Saving the claim", async () => {
      const claim = this.claims.get(id);
      if (!claim) return null;
      const result = await request("PATCH", `${this.api}claims/${id}/`, { body: changes, version: claim.version });
      if (result.status === 412) {
        const current = result.data && result.data.current;
        if (current) this.showConflict(current, changes, undo);
        else this.alert("Someone changed this claim meanwhile. Reload it to see the newer version.");
        return null;
      }
      if (!result.ok) {
        if (result.status === 400 && result.data && result.data.rationale) {
          $("rationale-error").textContent = [].concat(result.data.rationale).join(" ");
        }
        this.alert(`Not saved: ${errorText(result)}`);
        return null;
      }
      this.clearAlert();
      const saved = result.data;
      if (undo) this.pushUndo(undo);
      this.storeClaim(saved);
      if (this.currentId === id) {
        this.clearConflict();
        this.renderDetail(saved, { keepInput: true });
        for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === saved.verdict;
        if ("rationale" in changes) {
          $("rationale").value = saved.rationale;
          $("rationale").dataset.saved = saved.rationale;
          $("rationale-error").textContent = "";
        }
      }
      if (this.currentId === id) this.saveDraft(id);
      if (!quiet) this.announce(`Saved: ${describeChanges(changes)}.`);
      return saved;
    });
  }

  setVerdict(verdict, { next = false } = {}) {
    const claim = this.claims.get(this.currentId);
    if (!claim) {
      this.announce("Open a claim first (J for the next one).");
      return;
    }
    if (!this.canEdit(claim)) {
      this.alert("Only the claim's author or a reviewer can change it.");
      return;
    }
    for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === verdict;
    if (claim.verdict !== verdict) {
      this.patchClaim(claim.id, { verdict }, {
        undo: { kind: "claim", id: claim.id, before: { verdict: claim.verdict }, label: "the verdict" },
      });
    }
    if (next) this.move(1);
  }

  saveRationale() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    const rationale = $("rationale").value;
    if (rationale === (claim.rationale || "")) {
      this.announce("The rationale has not changed.");
      return;
    }
    this.patchClaim(claim.id, { rationale }, {
      undo: { kind: "claim", id: claim.id, before: { rationale: claim.rationale || "" }, label: "the rationale" },
    });
  }

  async deleteClaim() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    await this.write("Deleting the claim", async () => {
      const current = this.claims.get(claim.id);
      const result = await request("DELETE", `${this.api}claims/${claim.id}/`, { version: current.version });
      if (result.status === 412 && result.data && result.data.current) {
        this.storeClaim(result.data.current);
        this.renderDetail(result.data.current, { keepInput: true });
        this.alert("Not deleted: someone changed this claim meanwhile. Look at the newer version and delete again if you still want to.");
        return;
      }
      if (!result.ok) {
        this.alert(`Not deleted: ${errorText(result)}`);
        return;
      }
      this.forgetClaim(claim.id);
      this.pushUndo({ kind: "delete", snapshot: current, label: "deleting the claim" });
      this.announce(`Claim deleted. Ctrl+Z brings it back.`);
    });
  }

  // ---- drafts: what the analyst typed survives switching claims and reloading the page

  draftKey(id) {
    return `annotator:draft:${this.articleId}:${id}`;
  }

  saveDraft(id) {
    const claim = this.claims.get(id);
    if (!claim || this.currentId !== id) return;
    const draft = {};
    const rationale = $("rationale").value;
    if (rationale !== (claim.rationale || "")) draft.rationale = rationale;
    const evidence = this.evidenceInput();
    if (evidence.url || evidence.title || evidence.excerpt || evidence.note) {
      draft.evidence = { ...evidence, editing: this.editingEvidenceId };
    }
    try {
      if (Object.keys(draft).length) sessionStorage.setItem(this.draftKey(id), JSON.stringify(draft));
      else sessionStorage.removeItem(this.draftKey(id));
    } catch {
      // Storage may be full or disabled; the page still holds the input while it is open.
    }
  }

  restoreDraft(claim) {
    let draft = null;
    try {
      draft = JSON.parse(sessionStorage.getItem(this.draftKey(claim.id)) || "null");
    } catch {
      draft = null;
    }
    if (!draft || !this.canEdit(claim)) return;
    if (typeof draft.rationale === "string") $("rationale").value = draft.rationale;
    if (draft.evidence) {
      const ev = draft.evidence;
      if (ev.editing && (claim.evidence || []).some((e) => e.id === ev.editing)) this.startEvidenceEdit(ev.editing, { focus: false });
      $("ev-url").value = ev.url || "";
      $("ev-title").value = ev.title || "";
      $("ev-excerpt").value = ev.excerpt || "";
      $("ev-note").value = ev.note || "";
      if (ev.stance) $("ev-stance").value = ev.stance;
    }
    this.announce("Your unsaved input for this claim is back in the form.");
  }

  // ---- sign-off (reviewers)

  async toggleSignOff() {
    const claim = this.claims.get(this.currentId);
    if (!claim || !(this.me && this.me.can_sign_off)) return;
    const method = claim.signed_off_at ? "DELETE" : "POST";
    await this.write("Signing off", async () => {
      const current = this.claims.get(claim.id);
      const result = await request(method, `${this.api}claims/${claim.id}/sign-off/`, { version: current.version });
      if (result.status === 412 && result.data && result.data.current) {
        this.storeClaim(result.data.current);
        this.renderDetail(result.data.current, { keepInput: true });
        this.alert("Not signed off: someone changed this claim meanwhile. Check the newer version and sign off again.");
        return;
      }
      if (!result.ok) {
        this.alert(`Not signed off: ${errorText(result)}`);
        return;
      }
      this.clearAlert();
      this.storeClaim(result.data);
      if (this.currentId === claim.id) this.renderDetail(result.data, { keepInput: true });
      this.announce(result.data.signed_off_at ? "Signed off." : "Sign-off withdrawn.");
    });
  }

  // ---- conflicts

  showConflict(current, mine, undo) {
    this.conflict = { current, mine, undo };
    const claim = this.claims.get(current.id);
    this.claims.set(current.id, { ...current });
    this.sortClaims();
    this.repaint([...(claim ? this.paragraphsOf(claim) : []), ...this.paragraphsOf(current)]);
    this.renderList();
    const row = (dl, label, value) => dl.append(h("dt", {}, label), h("dd", {}, value === "" ? "(empty)" : value));
    const theirs = $("conflict-theirs");
    theirs.replaceChildren();
    row(theirs, "Changed by", `${current.updated_by ? current.updated_by.username : "someone"}, ${formatTime(current.updated_at)} (version ${current.version})`);
    row(theirs, "Verdict", VERDICT_LABELS[current.verdict] || current.verdict);
    row(theirs, "Rationale", current.rationale || "");
    const yours = $("conflict-mine");
    yours.replaceChildren();
    for (const [field, value] of Object.entries(mine)) {
      row(yours, field === "verdict" ? "Verdict" : field === "rationale" ? "Rationale" : field, field === "verdict" ? VERDICT_LABELS[value] || value : value);
    }
    $("conflict").hidden = false;
    if (this.currentId === current.id) {
      // The form keeps what the analyst typed; only the read-only parts show the newer state.
      this.renderDetail(this.claims.get(current.id), { keepInput: true });
      const verdict = "verdict" in mine ? mine.verdict : current.verdict;
      for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === verdict;
      $("conflict-reapply").focus();
    }
    this.announce("Someone changed this claim meanwhile: compare and re-apply your input.");
  }

  clearConflict() {
    this.conflict = null;
    $("conflict").hidden = true;
  }

  reapply() {
    if (!this.conflict) return;
    const { current, mine, undo } = this.conflict;
    const before = {};
    for (const field of Object.keys(mine)) before[field] = current[field];
    this.clearConflict();
    this.patchClaim(current.id, mine, { undo: undo ? { ...undo, before } : null });
  }

  discardMine() {
    if (!this.conflict) return;
    const { current } = this.conflict;
    this.clearConflict();
    if (this.currentId === current.id) {
      this.renderDetail(this.claims.get(current.id), { keepInput: false });
      this.saveDraft(current.id);
    }
    this.announce("Kept the newer version.");
  }

  // ---- evidence

  evidenceInput() {
    return {
      url: $("ev-url").value.trim(),
      title: $("ev-title").value,
      excerpt: $("ev-excerpt").value,
      note: $("ev-note").value,
      stance: $("ev-stance").value,
    };
  }

  resetEvidenceForm() {
    this.editingEvidenceId = null;
    $("evidence-form").reset();
    $("evidence-form-legend").textContent = "Add evidence";
    $("evidence-submit").textContent = "Add evidence";
    $("evidence-cancel").hidden = true;
    $("evidence-error").textContent = "";
  }

  startEvidenceEdit(id, { focus = true } = {}) {
    const claim = this.claims.get(this.currentId);
    const ev = claim && (claim.evidence || []).find((e) => e.id === id);
    if (!ev) return;
    this.editingEvidenceId = id;
    $("ev-url").value = ev.url;
    $("ev-title").value = ev.title || "";
    $("ev-excerpt").value = ev.excerpt || "";
    $("ev-note").value = ev.note || "";
    $("ev-stance").value = ev.stance;
    $("evidence-form-legend").textContent = "Edit evidence";
    $("evidence-submit").textContent = "Save evidence";
    $("evidence-cancel").hidden = false;
    if (focus) $("ev-url").focus();
  }

  async submitEvidence() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    const input = this.evidenceInput();
    if (!input.url) {
      $("evidence-error").textContent = "Give the source's URL.";
      $("ev-url").focus();
      return;
    }
    const editing = this.editingEvidenceId;
    await this.write(editing ? "Saving the evidence" : "Adding the evidence", async () => {
      const result = editing
        ? await request("PATCH", `${this.api}evidence/${editing}/`, { body: input })
        : await request("POST", `${this.api}evidence/`, { body: { claim: claim.id, ...input } });
      if (!result.ok) {
        $("evidence-error").textContent = errorText(result);
        this.alert(`The evidence was not saved. ${errorText(result)}`);
        return;
      }
      this.clearAlert();
      const ev = result.data;
      const target = this.claims.get(claim.id);
      const list = (target.evidence || []).slice();
      const index = list.findIndex((e) => e.id === ev.id);
      let previous = null;
      if (index >= 0) {
        previous = list[index];
        list[index] = ev;
      } else {
        list.push(ev);
      }
      target.evidence = list;
      if (editing) {
        const before = {};
        for (const field of Object.keys(input)) before[field] = previous ? previous[field] : "";
        this.pushUndo({ kind: "evidence-update", claimId: claim.id, id: ev.id, before, label: "the evidence change" });
      } else {
        this.pushUndo({ kind: "evidence-add", claimId: claim.id, id: ev.id, label: "adding the evidence" });
      }
      this.resetEvidenceForm();
      if (this.currentId === claim.id) {
        this.saveDraft(claim.id);
        this.renderEvidence(target);
        this.schedulePoll();
        if ($("history").open) this.loadHistory(claim.id);
      }
      this.announce(editing ? "Evidence saved." : "Evidence added; its link is being checked.");
    });
  }

  async removeEvidence(id, { undoable = true } = {}) {
    const claimId = this.currentId;
    const claim = this.claims.get(claimId);
    const ev = claim && (claim.evidence || []).find((e) => e.id === id);
    if (!ev) return;
    await this.write("Removing the evidence", async () => {
      const result = await request("DELETE", `${this.api}evidence/${id}/`);
      if (!result.ok && result.status !== 404) {
        this.alert(`The evidence was not removed. ${errorText(result)}`);
        return;
      }
      claim.evidence = claim.evidence.filter((e) => e.id !== id);
      if (undoable) this.pushUndo({ kind: "evidence-remove", claimId, snapshot: ev, label: "removing the evidence" });
      if (this.editingEvidenceId === id) this.resetEvidenceForm();
      if (this.currentId === claimId) this.renderEvidence(claim);
      this.announce("Evidence removed. Ctrl+Z brings it back.");
    });
  }

  // ---- undo

  pushUndo(entry) {
    this.undoStack.push(entry);
    if (this.undoStack.length > 100) this.undoStack.shift();
  }

  async undo() {
    const entry = this.undoStack.pop();
    if (!entry) {
      this.announce("Nothing to undo.");
      return;
    }
    const done = () => this.announce(`Undone: ${entry.label}.`);
    switch (entry.kind) {
      case "claim": {
        if (!this.claims.has(entry.id)) return this.announce("That claim no longer exists.");
        if (this.currentId !== entry.id) this.openClaim(entry.id, { scroll: true });
        const saved = await this.patchClaim(entry.id, entry.before, { quiet: true });
        if (saved) {
          for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === saved.verdict;
          $("rationale").value = saved.rationale;
          done();
        }
        return;
      }
      case "create": {
        const claim = this.claims.get(entry.id);
        if (!claim) return;
        this.currentId = entry.id;
        await this.write("Undoing", async () => {
          const result = await request("DELETE", `${this.api}claims/${entry.id}/`, { version: this.claims.get(entry.id).version });
          if (!result.ok && result.status !== 404) return this.alert(`Could not undo: ${errorText(result)}`);
          this.forgetClaim(entry.id);
          done();
        });
        return;
      }
      case "delete": {
        const s = entry.snapshot;
        const created = await this.createClaim(
          { start: s.start, end: s.end, quote: s.quote, prefix: s.prefix, suffix: s.suffix },
          { verdict: s.verdict, rationale: s.rationale },
          { undoable: false },
        );
        if (created) {
          for (const ev of s.evidence || []) {
            await request("POST", `${this.api}evidence/`, {
              body: { claim: created.id, url: ev.url, title: ev.title, excerpt: ev.excerpt, note: ev.note, stance: ev.stance },
            }).then((r) => r.ok && (this.claims.get(created.id).evidence = [...(this.claims.get(created.id).evidence || []), r.data]));
          }
          this.openClaim(created.id);
          done();
        }
        return;
      }
      case "evidence-add": {
        if (this.currentId !== entry.claimId) this.openClaim(entry.claimId, { scroll: true });
        await this.removeEvidence(entry.id, { undoable: false });
        done();
        return;
      }
      case "evidence-remove": {
        if (this.currentId !== entry.claimId) this.openClaim(entry.claimId, { scroll: true });
        const ev = entry.snapshot;
        await this.write("Undoing", async () => {
          const result = await request("POST", `${this.api}evidence/`, {
            body: { claim: entry.claimId, url: ev.url, title: ev.title, excerpt: ev.excerpt, note: ev.note, stance: ev.stance },
          });
          if (!result.ok) return this.alert(`Could not undo: ${errorText(result)}`);
          const claim = this.claims.get(entry.claimId);
          claim.evidence = [...(claim.evidence || []), result.data];
          if (this.currentId === entry.claimId) {
            this.renderEvidence(claim);
            this.schedulePoll();
          }
          done();
        });
        return;
      }
      case "evidence-update": {
        await this.write("Undoing", async () => {
          const result = await request("PATCH", `${this.api}evidence/${entry.id}/`, { body: entry.before });
          if (!result.ok) return this.alert(`Could not undo: ${errorText(result)}`);
          const claim = this.claims.get(entry.claimId);
          claim.evidence = (claim.evidence || []).map((e) => (e.id === entry.id ? result.data : e));
          if (this.currentId === entry.claimId) this.renderEvidence(claim);
          done();
        });
        return;
      }
      default:
        return;
    }
  }

  // ---- history

  async loadHistory(id) {
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/history/`);
    } catch {
      $("history-list").replaceChildren(h("li", { class: "error" }, "Could not load the history: the server cannot be reached."));
      return;
    }
    if (this.currentId !== id) return;
    if (!result.ok) {
      $("history-list").replaceChildren(h("li", { class: "error" }, errorText(result)));
      return;
    }
    const entries = Array.isArray(result.data) ? result.data : result.data.results || [];
    $("history-list").replaceChildren(
      ...entries.map((entry) =>
        h(
          "li",
          {},
          h("time", { datetime: entry.at }, formatTime(entry.at)),
          " ",
          h("strong", {}, entry.actor ? entry.actor.username : "system"),
          ` ${entry.action.replaceAll("_", " ")} ${entry.subject}`,
          h(
            "ul",
            { class: "changes" },
            Object.entries(entry.changes || {}).map(([field, pair]) =>
              h("li", {}, `${field}: `, h("del", {}, showValue(Array.isArray(pair) ? pair[0] : null)), " → ", h("ins", {}, showValue(Array.isArray(pair) ? pair[1] : pair))),
            ),
          ),
        ),
      ),
    );
    if (!entries.length) $("history-list").replaceChildren(h("li", { class: "muted" }, "No history yet."));
  }

  // ---- messages

  announce(text) {
    $("messages").textContent = text;
  }

  alert(text, { retry = null } = {}) {
    this.retry = retry;
    const box = $("alerts");
    box.replaceChildren(
      h("p", {}, text),
      retry ? h("button", { type: "button", dataset: { action: "retry" } }, "Try again") : null,
      h("button", { type: "button", dataset: { action: "dismiss" }, "aria-label": "Dismiss the message" }, "Dismiss"),
    );
    box.hidden = false;
  }

  clearAlert() {
    this.retry = null;
    $("alerts").replaceChildren();
  }

  // ---- events

  bindEvents() {
    document.addEventListener("selectionchange", () => this.onSelectionChange());
    this.bodyEl.addEventListener("keydown", (e) => this.onBodyKey(e));
    this.bodyEl.addEventListener("focus", () => this.showCaret());
    this.bodyEl.addEventListener("blur", () => ($("caret").hidden = true));
    this.bodyEl.addEventListener("click", (event) => {
      const mark = event.target.closest("mark.hl");
      if (!mark || !document.getSelection().isCollapsed) return;
      const ids = mark.dataset.claims.split(" ").map(Number);
      // Clicking again on the same place cycles through the claims stacked there.
      const at = ids.indexOf(this.currentId);
      const id = at >= 0 ? ids[(at + 1) % ids.length] : ids[0];
      this.openClaim(id);
    });
    const toolbar = $("selection-toolbar");
    toolbar.addEventListener("mousedown", (e) => e.preventDefault()); // keep the selection
    toolbar.addEventListener("click", (e) => {
      if (e.target.closest("[data-action=create]")) this.createClaim();
    });
    $("claim-list").addEventListener("click", (e) => {
      const button = e.target.closest(".claim-item");
      if (button) this.openClaim(Number(button.dataset.id), { scroll: true });
    });
    $("verdict-filter").addEventListener("change", () => this.renderList());
    $("close-detail").addEventListener("click", () => this.closeClaim());
    $("verdict-field").addEventListener("change", (e) => {
      if (e.target.name === "verdict") this.setVerdict(e.target.value);
    });
    $("rationale-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.saveRationale();
    });
    $("rationale").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.saveRationale();
      }
    });
    $("evidence-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submitEvidence();
    });
    $("evidence-cancel").addEventListener("click", () => {
      this.resetEvidenceForm();
      if (this.currentId !== null) this.saveDraft(this.currentId);
    });
    $("evidence-list").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      if (!button) return;
      const id = Number(button.dataset.id);
      if (button.dataset.action === "edit-evidence") this.startEvidenceEdit(id);
      if (button.dataset.action === "remove-evidence") this.removeEvidence(id);
    });
    $("history").addEventListener("toggle", () => {
      if ($("history").open && this.currentId !== null) this.loadHistory(this.currentId);
    });
    $("delete-claim").addEventListener("click", () => this.deleteClaim());
    $("sign-off").addEventListener("click", () => this.toggleSignOff());
    $("claim-detail").addEventListener("input", () => {
      if (this.currentId !== null) this.saveDraft(this.currentId);
    });
    $("conflict-reapply").addEventListener("click", () => this.reapply());
    $("conflict-discard").addEventListener("click", () => this.discardMine());
    $("alerts").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      if (!button) return;
      const retry = this.retry;
      this.clearAlert();
      if (button.dataset.action === "retry" && retry) retry();
    });
    for (const button of document.querySelectorAll("[data-action=help]")) {
      button.addEventListener("click", () => $("shortcuts").showModal());
    }
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("beforeunload", (e) => {
      const claim = this.claims.get(this.currentId);
      const typed = claim && $("rationale").value !== (claim.rationale || "");
      const evidenceTyped = $("ev-url").value || $("ev-note").value || $("ev-excerpt").value;
      if (typed || evidenceTyped || this.conflict) e.preventDefault();
    });
  }

  onKey(event) {
    if ($("shortcuts").open) return; // the dialog handles its own keys
    const target = event.target;
    if (isTyping(target)) {
      // Escape leaves the field (nothing typed is lost); no other shortcut fires while typing.
      if (event.key === "Escape" && $("panel").contains(target)) {
        event.preventDefault();
        target.blur();
        $("claim-detail").focus();
      }
      return;
    }
    const key = event.key;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "z" && !event.shiftKey) {
      event.preventDefault();
      this.undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const lower = key.length === 1 ? key.toLowerCase() : key;
    if (VERDICT_KEYS[lower]) {
      event.preventDefault();
      this.setVerdict(VERDICT_KEYS[lower], { next: event.shiftKey });
      return;
    }
    if (VERDICT_NEXT_KEYS[key]) {
      event.preventDefault();
      this.setVerdict(VERDICT_NEXT_KEYS[key], { next: true });
      return;
    }
    switch (key) {
      case "?":
        event.preventDefault();
        $("shortcuts").showModal();
        return;
      case "c":
        event.preventDefault();
        this.createClaim();
        return;
      case "s":
        event.preventDefault();
        this.selectSentence();
        return;
      case "j":
        event.preventDefault();
        this.move(1);
        return;
      case "k":
        event.preventDefault();
        this.move(-1);
        return;
      case "r":
        if (this.currentId === null) return;
        event.preventDefault();
        $("rationale").focus();
        return;
      case "e":
        if (this.currentId === null) return;
        event.preventDefault();
        $("ev-url").focus();
        return;
      case "h":
        if (this.currentId === null) return;
        event.preventDefault();
        $("history").open = !$("history").open;
        return;
      case "Escape":
        if (!$("selection-toolbar").hidden) {
          document.getSelection().removeAllRanges();
          $("selection-toolbar").hidden = true;
          return;
        }
        this.closeClaim();
        return;
      default:
        return;
    }
  }
}

function isTyping(el) {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  if (el.tagName !== "INPUT") return false;
  return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file"].includes(el.type);
}

function safeHref(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function showValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return clip(value, 120) || "(empty)";
  return JSON.stringify(value);
}

function describeChanges(changes) {
  return Object.entries(changes)
    .map(([field, value]) => (field === "verdict" ? `verdict ${VERDICT_LABELS[value] || value}` : field))
    .join(", ");
}

const root = document.getElementById("annotator");
if (root) {
  const annotator = new Annotator(root);
  window.annotator = annotator; // for the browser tests and the console
  annotator.start();
}
