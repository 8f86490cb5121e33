// Undo and redo of the analyst's own changes, and the claim's history.
import { errorText, request } from "./api.js";
import { $, formatTime, h } from "./dom.js";
import { clip } from "./text.js";

const EVIDENCE_FIELDS = ["url", "title", "excerpt", "note", "stance"];

function evidenceBody(ev) {
  return Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, ev[field]]));
}

function showValue(value) {
  return clip(value, 120);
}

export const historyMethods = {
  pushUndo(entry) {
    this.undoStack.push(entry);
  },

  async undo() {
    const entry = this.undoStack.takeUndo();
    if (!entry) return this.announce("Nothing to undo.");
    const ok = await this.applyUndo(entry, "undo");
    if (ok) this.announce(`Undone: ${entry.label}.${this.signOffUndoNote(entry)}`);
    else this.undoStack.restore(entry, "undo");
  },

  async redo() {
    const entry = this.undoStack.takeRedo();
    if (!entry) return this.announce("Nothing to redo.");
    const ok = await this.applyUndo(entry, "redo");
    if (ok) this.announce(`Redone: ${entry.label}.`);
    else this.undoStack.restore(entry, "redo");
  },

  /** Apply an entry backwards (undo) or forwards again (redo). True when it worked. */
  async applyUndo(entry, direction) {
    const back = direction === "undo";
    switch (entry.kind) {
      case "claim": {
        if (!this.claims.has(entry.id)) {
          this.announce("That claim no longer exists.");
          return false;
        }
        if (this.currentId !== entry.id) this.openClaim(entry.id, { scroll: true });
        const saved = await this.patchClaim(entry.id, back ? entry.before : entry.after, { quiet: true });
        if (saved) {
          this.checkVerdict(this.ownVerdict(saved));
          $("rationale").value = this.ownRationale(saved);
        }
        return Boolean(saved);
      }
      case "create":
      case "delete": {
        const remove = (entry.kind === "create") === back;
        if (remove) {
          if (!this.claims.has(entry.id)) return false;
          entry.snapshot = this.claims.get(entry.id);
          this.openClaim(entry.id, { scroll: true });
          return Boolean(await this.deleteClaim({ undoable: false }));
        }
        return this.restoreClaim(entry);
      }
      case "evidence-add":
      case "evidence-remove": {
        if (this.currentId !== entry.claimId) this.openClaim(entry.claimId, { scroll: true });
        const remove = (entry.kind === "evidence-add") === back;
        if (remove) return Boolean(await this.removeEvidence(entry.id, { undoable: false }));
        return this.write("Undoing", async () => {
          const result = await request("POST", `${this.api}evidence/`, { body: { claim: entry.claimId, ...evidenceBody(entry.snapshot) } });
          if (!result.ok) {
            this.alert(`Could not undo: ${errorText(result)}`);
            return false;
          }
          entry.id = result.data.id;
          entry.snapshot = result.data;
          this.storeEvidence(entry.claimId, result.data);
          return true;
        });
      }
      case "evidence-update":
        return this.write("Undoing", async () => {
          const result = await request("PATCH", `${this.api}evidence/${entry.id}/`, { body: back ? entry.before : entry.after });
          if (!result.ok) {
            this.alert(`Could not undo: ${errorText(result)}`);
            return false;
          }
          this.storeEvidence(entry.claimId, result.data);
          return true;
        });
      default:
        return false;
    }
  },

  /** Bring a deleted claim back as itself: same id, evidence and history (the server keeps it). */
  async restoreClaim(entry) {
    return this.write("Restoring the claim", async () => {
      const result = await request("POST", `${this.api}claims/${entry.id}/restore/`);
      if (!result.ok) {
        const why = result.status === 404 ? "it is no longer kept (deleted claims are purged after their retention period)." : errorText(result);
        this.alert(`Could not restore the claim: ${why}`);
        return false;
      }
      this.clearAlert();
      this.storeClaim(result.data);
      this.openClaim(result.data.id, { scroll: true });
      return true;
    });
  },

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
    // The server renders each line (names, labels, plain dates); the page only lays it out.
    $("history-list").replaceChildren(
      ...entries.map((entry) =>
        h(
          "li",
          {},
          h("time", { datetime: entry.at }, formatTime(entry.at)),
          " ",
          h("strong", {}, entry.actor),
          ` ${entry.summary.toLowerCase()}`,
          h(
            "ul",
            { class: "changes" },
            entry.changes.map((change) =>
              h(
                "li",
                {},
                `${change.title}: `,
                change.before === null ? null : h("del", {}, showValue(change.before)),
                change.before === null ? null : " → ",
                change.after === null ? h("em", {}, "removed") : h("ins", {}, showValue(change.after)),
              ),
            ),
          ),
        ),
      ),
    );
    if (!entries.length) $("history-list").replaceChildren(h("li", { class: "muted" }, "No history yet."));
  },
};
