// The review desk in the claim panel: the analyst's own assessment (what the verdict keys
// and the rationale write), the desk verdict, disagreement, the other analysts' assessments
// when the blind rule allows, and the reviewers' decision. The server says what is visible.
import { errorText, request } from "./api.js";
import { $, formatTime, h } from "./dom.js";

const JUDGMENT_FIELDS = new Set(["verdict", "rationale"]);

export const BLIND_NOTE = "Blind review: other judgments are hidden until you submit yours.";

/** True when a change touches only the writer's own judgment (verdict, rationale). */
export function isJudgment(changes) {
  const fields = Object.keys(changes);
  return fields.length > 0 && fields.every((field) => JUDGMENT_FIELDS.has(field));
}

export const assessmentMethods = {
  /** The reader's own verdict, what the verdict group shows and the keys change. */
  ownVerdict(claim) {
    return claim.my_assessment ? claim.my_assessment.verdict : "pending";
  },

  ownRationale(claim) {
    return claim.my_assessment ? claim.my_assessment.rationale : "";
  },

  /** Anyone on the desk judges a claim they can see (the server checks it again). */
  canAssess(claim) {
    return Boolean(claim) && Boolean(this.config.can_create);
  },

  /** The desk verdict's CSS and label; "hidden" while the blind rule hides it. */
  deskClass(claim) {
    return claim.verdict === null || claim.verdict === undefined ? "hidden" : claim.verdict;
  },

  deskLabel(claim) {
    return claim.verdict === null || claim.verdict === undefined ? "Desk verdict hidden" : this.verdictLabel(claim.verdict);
  },

  /** Record the reader's own verdict or rationale (PUT /claims/{id}/assessment/). */
  async saveAssessment(id, changes, { undo = null, quiet = false } = {}) {
    return this.write("Saving your assessment", async () => {
      const claim = this.claims.get(id);
      if (!claim) return null;
      if (!(await this.confirmWithdrawal(claim, changes))) return false;
      const mine = claim.my_assessment;
      const result = await request("PUT", `${this.api}claims/${id}/assessment/`, {
        body: changes,
        version: mine ? mine.version : undefined,
      });
      if (result.status === 412) {
        const fresh = await this.reloadClaim(id);
        if (fresh) this.showAssessmentConflict(fresh, changes, undo);
        return null;
      }
      if (!result.ok) {
        if (result.status === 400 && result.data && result.data.rationale) {
          $("rationale-error").textContent = [].concat(result.data.rationale).join(" ");
        }
        this.alert(`Not saved: ${errorText(result)}`);
        return null;
      }
      const saved = await this.reloadClaim(id);
      if (!saved) return null;
      const withdrew = Boolean(claim.signed_off_at && !saved.signed_off_at);
      if (undo) this.pushUndo(withdrew ? { ...undo, withdrewSignOff: true } : undo);
      if (this.currentId === id && "rationale" in changes) {
        $("rationale").value = this.ownRationale(saved);
        $("rationale").dataset.saved = this.ownRationale(saved);
        $("rationale-error").textContent = "";
        this.saveDraft(id);
      }
      const lapsed = withdrew ? " The sign-off is withdrawn: a reviewer must sign it off again." : "";
      if (!quiet) this.announce(`Saved: ${this.describeChanges(changes)}.${lapsed}`);
      return saved;
    });
  },

  /** Your assessment changed elsewhere (another tab, another device): compare, re-apply. */
  showAssessmentConflict(fresh, mine, undo) {
    const own = fresh.my_assessment || { verdict: "pending", rationale: "", version: 0, updated_at: fresh.updated_at };
    // reapply() sends `mine` again through patchClaim, now at the newer version.
    this.conflict = { current: { id: fresh.id, verdict: own.verdict, rationale: own.rationale }, mine, undo };
    const row = (dl, label, value) => dl.append(h("dt", {}, label), h("dd", {}, value === "" ? "(empty)" : value));
    const theirs = $("conflict-theirs");
    theirs.replaceChildren();
    row(theirs, "Changed by", `you, elsewhere, ${formatTime(own.updated_at)} (version ${own.version} of your assessment)`);
    row(theirs, "Verdict", this.verdictLabel(own.verdict));
    row(theirs, "Rationale", own.rationale || "");
    const yours = $("conflict-mine");
    yours.replaceChildren();
    for (const [field, value] of Object.entries(mine)) {
      row(yours, field === "verdict" ? "Verdict" : "Rationale", field === "verdict" ? this.verdictLabel(value) : value);
    }
    $("conflict").hidden = false;
    if (this.currentId === fresh.id) {
      this.checkVerdict("verdict" in mine ? mine.verdict : own.verdict);
      $("conflict-reapply").focus();
    }
    this.announce("Your assessment was changed elsewhere meanwhile: compare and re-apply your input.");
  },

  /** Read the claim again after a write elsewhere changed what it says. */
  async reloadClaim(id) {
    const result = await request("GET", `${this.api}claims/${id}/`);
    if (!result.ok) {
      this.alert(`Could not read the claim again: ${errorText(result)}`);
      return null;
    }
    this.storeClaim(result.data);
    if (this.currentId === id) {
      this.renderDetail(result.data, { keepInput: true });
      this.checkVerdict(this.ownVerdict(result.data));
    }
    return result.data;
  },

  /** Reviewers: decide the desk verdict with a reason, at the version on screen. */
  async decideClaim() {
    const claim = this.claims.get(this.currentId);
    if (!claim || !this.config.can_decide) return null;
    const body = { verdict: $("decide-verdict").value, reason: $("decide-reason").value };
    const comment = $("decide-comment").value.trim();
    if (comment) body.comment = comment;
    return this.write("Deciding", async () => {
      const current = this.claims.get(claim.id);
      const result = await request("POST", `${this.api}claims/${claim.id}/decide/`, { body, version: current.version });
      if (result.status === 412 && result.data && result.data.current) {
        this.storeClaim(result.data.current);
        this.renderDetail(result.data.current, { keepInput: true });
        this.alert("Not decided: someone changed this claim meanwhile. Look at the newer version and decide again.");
        return null;
      }
      if (!result.ok) {
        this.alert(`Not decided: ${errorText(result)}`);
        return null;
      }
      this.storeClaim(result.data);
      if (this.currentId === claim.id) this.renderDetail(result.data, { keepInput: true });
      $("decide-reason").value = "";
      $("decide-comment").value = "";
      if (comment && this.currentId === claim.id) await this.loadComments(claim.id);
      this.announce(`Decided: ${this.verdictLabel(result.data.verdict)}.`);
      return result.data;
    });
  },

  bindDesk() {
    if (this.deskBound) return;
    this.deskBound = true;
    $("decide-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.decideClaim();
    });
  },

  /** The desk part of the open claim's panel; called by renderDetail. */
  renderDesk(claim) {
    this.bindDesk();
    const judging = this.canAssess(claim);
    for (const input of document.querySelectorAll("#verdict-field input, #rationale-form textarea, #rationale-form button")) {
      input.disabled = !judging;
    }
    const visible = claim.judgments_visible !== false;
    $("blind-note").hidden = visible;
    $("blind-note").textContent = BLIND_NOTE;
    const desk = $("desk-verdict");
    desk.hidden = !visible;
    if (visible) {
      const decided = claim.decided_by ? ` · decided by ${claim.decided_by} ${formatTime(claim.decided_at)}` : "";
      desk.replaceChildren(
        "Desk verdict: ",
        h("span", { class: `verdict-badge v-${this.deskClass(claim)}` }, this.deskLabel(claim)),
        claim.in_disagreement ? h("span", { class: "disagreement-badge" }, "Disagreement") : null,
        decided,
        claim.decided_by && claim.rationale ? h("q", { class: "decision-reason" }, claim.rationale) : null,
      );
    }
    const mine = claim.my_assessment;
    const others = (claim.assessments || []).filter((a) => !mine || a.id !== mine.id);
    $("other-assessments-title").hidden = !visible || others.length === 0;
    $("other-assessments").replaceChildren(
      ...(visible ? others : []).map((a) =>
        h(
          "li",
          { class: "assessment", dataset: { analyst: a.analyst } },
          h("strong", {}, a.analyst),
          " ",
          h("span", { class: `verdict-badge v-${a.verdict}` }, this.verdictLabel(a.verdict)),
          a.rationale ? h("p", { class: "assessment-rationale" }, a.rationale) : null,
        ),
      ),
    );
    const form = $("decide-form");
    form.hidden = !this.config.can_decide;
    $("decide-legend").textContent = claim.in_disagreement ? "Decide (the analysts disagree)" : "Decide the desk verdict";
  },
};
