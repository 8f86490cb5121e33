// Writes to claims: one after another, each sending the version the last one left.
import { errorText, NetworkError, request } from "./api.js";
import { isJudgment } from "./assessments.js";
import { $ } from "./dom.js";
import { byTextOrder } from "./segments.js";
import { clip } from "./text.js";

export const writeMethods = {
  sortClaims() {
    this.ordered = Array.from(this.claims.values()).sort(byTextOrder);
  },

  /** Run writes one after another, so that each one sends the version the last one left. */
  enqueue(task) {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  },

  /** Run a write; on a network failure offer to retry it with the same input. */
  async write(label, task) {
    try {
      const serial = this.alertSerial;
      const result = await this.enqueue(task);
      // A write that went through without a new error makes any earlier error stale.
      if (result !== null && result !== false && this.alertSerial === serial) this.clearAlert();
      return result;
    } catch (error) {
      if (error instanceof NetworkError) {
        this.alert(`${label} failed: the server cannot be reached. Nothing was saved and your input is kept.`, {
          retry: () => this.write(label, task),
        });
        return null;
      }
      throw error;
    }
  },

  storeClaim(claim) {
    const old = this.claims.get(claim.id);
    this.claims.set(claim.id, claim);
    this.sortClaims();
    this.repaint([...(old ? this.paragraphsOf(old) : []), ...this.paragraphsOf(claim)]);
    this.renderList();
  },

  forgetClaim(id) {
    const old = this.claims.get(id);
    if (!old) return;
    this.claims.delete(id);
    this.marks.delete(id);
    this.sortClaims();
    if (this.currentId === id) this.closeClaim();
    this.repaint(this.paragraphsOf(old));
    this.renderList();
  },

  async createClaim(span = this.selectionSpan() || this.pendingSelection, extra = {}, { undoable = true } = {}) {
    if (!span) {
      this.announce("Select some text in the article first.");
      return null;
    }
    if (!this.config.can_create) {
      this.alert("Your account cannot create claims.");
      return null;
    }
    const existing = this.ordered.find((c) => c.start === span.start && c.end === span.end);
    if (existing) {
      this.alert(`This passage is already a claim («${clip(existing.quote, 60)}»).`, {
        actions: [{ label: "Open the existing claim", run: () => this.openClaim(existing.id, { scroll: true, focus: true }) }],
      });
      return null;
    }
    const length = span.end - span.start;
    if (undoable && length > this.config.claim_confirm_chars) {
      const share = Math.round((100 * length) / this.bodyCps.length);
      const yes = await this.confirm({
        title: "Make this long selection one claim?",
        message: `The selection is ${length} characters long${share >= 95 ? ", the whole article" : `, ${share}% of the article`}. A claim is usually one sentence or statement.`,
        yes: "Create the claim",
        no: "Keep selecting",
      });
      if (!yes) return null;
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
  },

  /** PATCH a claim; a stale version opens the conflict view with the analyst's input kept. */
  async patchClaim(id, changes, { undo = null, quiet = false } = {}) {
    // A verdict or rationale is the writer's own assessment, not the desk's.
    if (isJudgment(changes)) return this.saveAssessment(id, changes, { undo, quiet });
    return this.write("Saving the claim", async () => {
      const claim = this.claims.get(id);
      if (!claim) return null;
      if (!(await this.confirmWithdrawal(claim, changes))) return false;
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
      const withdrew = Boolean(claim.signed_off_at && !saved.signed_off_at);
      if (undo) this.pushUndo(withdrew ? { ...undo, withdrewSignOff: true } : undo);
      this.storeClaim(saved);
      if (this.currentId === id) {
        this.clearConflict();
        this.renderDetail(saved, { keepInput: true });
        this.checkVerdict(saved.verdict);
        if ("rationale" in changes) {
          $("rationale").value = saved.rationale;
          $("rationale").dataset.saved = saved.rationale;
          $("rationale-error").textContent = "";
        }
        this.saveDraft(id);
      }
      const lapsed = withdrew ? " The sign-off is withdrawn: a reviewer must sign it off again." : "";
      if (!quiet) this.announce(`Saved: ${this.describeChanges(changes)}.${lapsed}`);
      return saved;
    });
  },

  describeChanges(changes) {
    return Object.entries(changes)
      .map(([field, value]) => (field === "verdict" ? `verdict ${this.verdictLabel(value)}` : field))
      .join(", ");
  },

  setVerdict(verdict, { next = false } = {}) {
    this.clearStagedVerdict();
    const claim = this.claims.get(this.currentId);
    if (!claim) {
      this.announce("Open a claim first (J for the next one).");
      return;
    }
    if (!this.canAssess(claim)) {
      this.alert("Your account cannot judge claims.");
      return;
    }
    this.checkVerdict(verdict);
    if (this.ownVerdict(claim) !== verdict) this.saveVerdict(claim, verdict);
    if (next) this.move(1);
  },

  saveVerdict(claim, verdict) {
    return this.patchClaim(claim.id, { verdict }, {
      undo: { kind: "claim", id: claim.id, before: { verdict: this.ownVerdict(claim) }, after: { verdict }, label: "the verdict" },
    });
  },

  saveRationale() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    const rationale = $("rationale").value;
    const own = this.ownRationale(claim);
    if (rationale === own) {
      this.announce("The rationale has not changed.");
      return;
    }
    this.patchClaim(claim.id, { rationale }, {
      undo: { kind: "claim", id: claim.id, before: { rationale: own }, after: { rationale }, label: "the rationale" },
    });
  },

  /** The delete button: say what goes with the claim, and ask. */
  async confirmDelete() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return false;
    const n = (claim.evidence || []).length;
    const yes = await this.confirm({
      title: "Delete this claim?",
      message: `«${clip(claim.quote, 80)}»${n ? ` and its ${n} evidence ${n === 1 ? "item" : "items"}` : ""} will be deleted. Ctrl+Z brings it back.`,
      yes: "Delete",
      no: "Keep the claim",
    });
    return yes ? this.deleteClaim() : false;
  },

  async deleteClaim({ undoable = true } = {}) {
    const claim = this.claims.get(this.currentId);
    if (!claim) return false;
    return this.write("Deleting the claim", async () => {
      const current = this.claims.get(claim.id);
      const result = await request("DELETE", `${this.api}claims/${claim.id}/`, { version: current.version });
      if (result.status === 412 && result.data && result.data.current) {
        this.storeClaim(result.data.current);
        this.renderDetail(result.data.current, { keepInput: true });
        this.alert("Not deleted: someone changed this claim meanwhile. Look at the newer version and delete again if you still want to.");
        return false;
      }
      if (!result.ok && result.status !== 404) {
        this.alert(`Not deleted: ${errorText(result)}`);
        return false;
      }
      this.clearAlert();
      this.forgetClaim(claim.id);
      if (undoable) this.pushUndo({ kind: "delete", id: claim.id, snapshot: current, label: "deleting the claim" });
      this.announce("Claim deleted. Ctrl+Z brings it back.");
      return true;
    });
  },

  async toggleSignOff() {
    const claim = this.claims.get(this.currentId);
    if (!claim || !this.config.can_sign_off) return;
    if (!(await this.confirmSignOff(claim))) return;
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
  },
};
