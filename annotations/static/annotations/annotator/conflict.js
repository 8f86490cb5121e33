// A change refused as stale: show the newer version beside the analyst's input.
import { $, formatTime, h } from "./dom.js";

export const conflictMethods = {
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
    row(theirs, "Verdict", this.verdictLabel(current.verdict));
    row(theirs, "Rationale", current.rationale || "");
    const yours = $("conflict-mine");
    yours.replaceChildren();
    for (const [field, value] of Object.entries(mine)) {
      if (field === "verdict") row(yours, "Verdict", this.verdictLabel(value));
      else row(yours, field === "rationale" ? "Rationale" : field, value);
    }
    $("conflict").hidden = false;
    if (this.currentId === current.id) {
      // The form keeps what the analyst typed; only the read-only parts show the newer state.
      this.renderDetail(this.claims.get(current.id), { keepInput: true });
      this.checkVerdict("verdict" in mine ? mine.verdict : current.verdict);
      $("conflict-reapply").focus();
    }
    this.announce("Someone changed this claim meanwhile: compare and re-apply your input.");
  },

  clearConflict() {
    this.conflict = null;
    $("conflict").hidden = true;
  },

  reapply() {
    if (!this.conflict) return;
    const { current, mine, undo } = this.conflict;
    const before = {};
    for (const field of Object.keys(mine)) before[field] = current[field];
    this.clearConflict();
    this.patchClaim(current.id, mine, { undo: undo ? { ...undo, before } : null });
  },

  discardMine() {
    if (!this.conflict) return;
    const { current } = this.conflict;
    this.clearConflict();
    if (this.currentId === current.id) {
      this.renderDetail(this.claims.get(current.id), { keepInput: false });
      this.saveDraft(current.id);
    }
    this.announce("Kept the newer version.");
  },
};
