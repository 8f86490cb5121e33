// Painting highlights: each paragraph is split into segments at every claim boundary.
import { h } from "./dom.js";
import { segmentsOf } from "./segments.js";

const MAX_DEPTH = 3;

export const paintMethods = {
  paragraphsOf(claim) {
    const result = [];
    if (claim.is_orphaned) return result;
    for (let i = this.paragraphIndex(claim.start); i < this.paragraphs.length; i++) {
      const p = this.paragraphs[i];
      if (p.start >= claim.end) break;
      if (p.end > claim.start) result.push(i);
    }
    return result;
  },

  paintAll() {
    const perParagraph = this.paragraphs.map(() => []);
    for (const claim of this.ordered) {
      for (const i of this.paragraphsOf(claim)) perParagraph[i].push(claim);
    }
    this.marks = new Map();
    perParagraph.forEach((claims, i) => this.paintParagraph(i, claims));
    this.markCurrent();
  },

  repaint(indexes) {
    for (const i of new Set(indexes)) {
      const p = this.paragraphs[i];
      const claims = this.ordered.filter((c) => !c.is_orphaned && c.start < p.end && c.end > p.start);
      for (const [id, list] of this.marks) {
        this.marks.set(
          id,
          list.filter((m) => m.parentNode !== p.el),
        );
      }
      this.paintParagraph(i, claims);
    }
    this.markCurrent();
  },

  paintParagraph(index, claims) {
    const p = this.paragraphs[index];
    const fragment = document.createDocumentFragment();
    for (const seg of segmentsOf(p.start, p.end, claims)) {
      const text = p.cps.slice(seg.start - p.start, seg.end - p.start).join("");
      if (!seg.claims.length) {
        fragment.append(h("span", { dataset: { o: seg.start } }, text));
        continue;
      }
      // The innermost claim gives the colour; depth shows how many overlap.
      const inner = seg.claims[0];
      const depth = Math.min(seg.claims.length, MAX_DEPTH);
      const classes = [`hl v-${inner.verdict ?? "hidden"}`];
      if (depth > 1) classes.push(`depth-${depth}`);
      if (seg.begins.length) classes.push("claim-begins");
      if (seg.ends.length) classes.push("claim-ends");
      const mark = h(
        "mark",
        {
          class: classes.join(" "),
          dataset: {
            o: seg.start,
            claims: seg.claims.map((c) => c.id).join(" "),
            begins: seg.begins.length ? seg.begins.join(" ") : null,
            ends: seg.ends.length ? seg.ends.join(" ") : null,
          },
        },
        text,
      );
      fragment.append(mark);
      for (const c of seg.claims) {
        if (!this.marks.has(c.id)) this.marks.set(c.id, []);
        this.marks.get(c.id).push(mark);
      }
    }
    p.el.replaceChildren(fragment);
  },

  markCurrent() {
    for (const el of this.bodyEl.querySelectorAll("mark.is-current")) el.classList.remove("is-current");
    if (this.currentId === null) return;
    for (const el of this.marks.get(this.currentId) || []) el.classList.add("is-current");
  },
};
