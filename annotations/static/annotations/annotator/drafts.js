// Drafts: what the analyst typed survives switching claims and reloading the page.
import { $ } from "./dom.js";

export const draftMethods = {
  draftKey(id) {
    return `annotator:draft:${this.articleId}:${id}`;
  },

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
  },

  restoreDraft(claim) {
    let draft = null;
    try {
      draft = JSON.parse(sessionStorage.getItem(this.draftKey(claim.id)) || "null");
    } catch {
      draft = null;
    }
    if (!draft || !this.can(claim, "edit")) return;
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
  },

  hasUnsavedInput() {
    const claim = this.claims.get(this.currentId);
    const typed = claim && $("rationale").value !== (claim.rationale || "");
    const evidenceTyped = $("ev-url").value || $("ev-note").value || $("ev-excerpt").value;
    return Boolean(typed || evidenceTyped || this.conflict || this.stagedVerdict);
  },
};
