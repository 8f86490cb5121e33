// Sign-offs that are not lost by accident: ask before a change withdraws one, let the arrow
// keys browse the verdicts without saving each step, and show reviewers what blocks a sign-off.
import { $, h } from "./dom.js";
import { clip } from "./text.js";

// The server withdraws a sign-off when one of these changes (services.withdraw_sign_off).
const WITHDRAWING_FIELDS = ["verdict", "rationale", "start", "end", "quote"];
const GROUP_MOVES = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End"]);

/** "YYYY-MM-DD" in the reader's time zone: a plain date, whatever the browser's locale. */
export function plainDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso || "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Whether sending `changes` would withdraw the claim's sign-off. */
export function withdrawsSignOff(claim, changes) {
  if (!claim || !claim.signed_off_at) return false;
  const judges = "verdict" in changes || "rationale" in changes;
  // A reviewer's decision stands over the analysts' assessments: changing one cannot move it.
  if (judges && claim.decided_at && !("start" in changes || "end" in changes)) return false;
  const own = claim.my_assessment;
  const before = (field) => (own && (field === "verdict" || field === "rationale") ? own[field] : claim[field]);
  return WITHDRAWING_FIELDS.some((field) => field in changes && changes[field] !== before(field));
}

export const signOffMethods = {
  /** Ask before a change withdraws a sign-off; Cancel (the default) changes nothing. */
  async confirmWithdrawal(claim, changes) {
    if (!withdrawsSignOff(claim, changes)) return true;
    const who = claim.signed_off_by ? claim.signed_off_by.username : "a reviewer";
    const yes = await this.confirm({
      title: `Withdraw the sign-off of «${clip(claim.quote, 50)}»?`,
      message: `This claim was signed off by ${who} on ${plainDate(claim.signed_off_at)}. Changing it withdraws the sign-off; a reviewer must sign it off again.`,
      yes: "Change it and withdraw the sign-off",
      no: "Cancel",
    });
    if (!yes) {
      if (this.currentId === claim.id) this.checkVerdict(this.ownVerdict(claim));
      const kept = "rationale" in changes && this.currentId === claim.id ? " Your rationale stays in the field, unsaved." : "";
      this.announce(`Nothing changed: the sign-off stands.${kept}`);
    }
    return yes;
  },

  /** What undoing a change that withdrew a sign-off must tell: undo cannot sign off again. */
  signOffUndoNote(entry) {
    if (!entry.withdrewSignOff) return "";
    return " The sign-off is not restored: only a reviewer can sign this claim off again, and it is in their review queue.";
  },

  // --- the verdict group: arrows select, Enter, Space or leaving the group saves

  onVerdictKey(event) {
    if (GROUP_MOVES.has(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey) {
      this.verdictKeyMove = true; // the browser checks the next radio and fires "change"
      return;
    }
    if ((event.key === "Enter" || event.key === " ") && event.target.name === "verdict") {
      event.preventDefault();
      event.stopPropagation();
      if (!this.commitVerdict()) this.setVerdict(event.target.value);
    }
  },

  onVerdictChange(event) {
    if (event.target.name !== "verdict") return;
    if (this.verdictKeyMove) {
      this.verdictKeyMove = false;
      this.stageVerdict(event.target.value);
    } else {
      this.setVerdict(event.target.value);
    }
  },

  onVerdictFocusOut(event) {
    if ($("verdict-field").contains(event.relatedTarget)) return;
    if (!event.relatedTarget && !document.hasFocus()) return; // another window: still here
    this.commitVerdict();
  },

  stageVerdict(verdict) {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    if (verdict === claim.verdict) {
      this.discardStagedVerdict({ quiet: true });
      this.announce(`${this.verdictLabel(verdict)}: the saved verdict.`);
      return;
    }
    this.stagedVerdict = { id: claim.id, verdict };
    $("verdict-field").classList.add("is-staged");
    $("verdict-staged").hidden = false;
    this.announce(`${this.verdictLabel(verdict)} selected, not saved yet: Enter saves, Escape cancels.`);
  },

  /** Save the verdict the arrow keys selected, once. False when none was waiting. */
  commitVerdict() {
    const staged = this.stagedVerdict;
    this.clearStagedVerdict();
    if (!staged) return false;
    const claim = this.claims.get(staged.id);
    if (!claim || claim.verdict === staged.verdict) return true;
    this.saveVerdict(claim, staged.verdict);
    return true;
  },

  discardStagedVerdict({ quiet = false } = {}) {
    const staged = this.stagedVerdict;
    this.clearStagedVerdict();
    if (!staged) return false;
    const claim = this.claims.get(staged.id);
    if (claim && this.currentId === claim.id) {
      this.checkVerdict(claim.verdict);
      // The arrows go on from the saved verdict, not from the one given up.
      if ($("verdict-field").contains(document.activeElement)) {
        const saved = $("verdict-field").querySelector("input[name=verdict]:checked");
        if (saved) saved.focus();
      }
    }
    if (!quiet) this.announce("Verdict not changed.");
    return true;
  },

  clearStagedVerdict() {
    this.stagedVerdict = null;
    $("verdict-field").classList.remove("is-staged");
    $("verdict-staged").hidden = true;
  },

  // --- what blocks a sign-off (reviewers; the server computes it: services.sign_off_blockers)

  renderBlockers(claim) {
    const blockers = claim.signed_off_at ? [] : claim.sign_off_blockers || [];
    $("sign-off-blockers").hidden = !blockers.length;
    $("sign-off-blockers-list").replaceChildren(
      ...blockers.map((b) => h("li", { class: b.hard ? "hard" : null, dataset: { code: b.code } }, b.message)),
    );
  },

  /** Signing off a claim with something in the way is a reviewer's call, made knowingly. */
  async confirmSignOff(claim) {
    const blockers = (claim.sign_off_blockers || []).filter((b) => !b.hard);
    if (claim.signed_off_at || !blockers.length) return true;
    return this.confirm({
      title: "Sign off despite this?",
      message: `${blockers.map((b) => b.message).join(" ")} Sign off anyway?`,
      yes: "Sign off anyway",
      no: "Cancel",
    });
  },
};
