// Keyboard: shortcuts on the page, and the caret and selection in the article text.
import { $, isTyping } from "./dom.js";
import { claimsAt } from "./segments.js";
import { clip } from "./text.js";

// One key each to judge and move on to the next claim.
const VERDICT_NEXT_KEYS = { 1: "verified", 2: "disputed", 3: "unsourced", 0: "pending" };
const BODY_MOVES = {
  ArrowLeft: ["backward", "character"],
  ArrowRight: ["forward", "character"],
  ArrowUp: ["backward", "line"],
  ArrowDown: ["forward", "line"],
  Home: ["backward", "lineboundary"],
  End: ["forward", "lineboundary"],
};

export const keyboardMethods = {
  /** Arrow keys in the article text move a caret and, with Shift, select. */
  onBodyKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      this.openClaimAtCaret();
      return;
    }
    const move = BODY_MOVES[event.key];
    if (!move || event.altKey || event.metaKey) return;
    const selection = document.getSelection();
    if (!selection.rangeCount || !this.bodyEl.contains(selection.anchorNode)) this.placeCaret(0);
    const direction = move[0];
    let granularity = move[1];
    if (event.ctrlKey && granularity === "character") granularity = "word";
    if (event.ctrlKey && granularity === "line") granularity = "paragraph";
    selection.modify(event.shiftKey ? "extend" : "move", direction, granularity);
    event.preventDefault();
    this.onSelectionChange();
  },

  /** Enter in the article text opens the innermost claim under the caret (again: the next one). */
  openClaimAtCaret() {
    const cp = this.caretCp();
    if (cp === null) {
      this.announce("No caret in the text yet: press an arrow key to place it, or J to open the next claim.");
      return;
    }
    const here = claimsAt(this.ordered, cp);
    if (!here.length) {
      this.announce("No claim at the caret.");
      return;
    }
    const at = here.findIndex((c) => c.id === this.currentId);
    const claim = here[(at + 1) % here.length];
    this.openClaim(claim.id);
    this.announce(`Claim opened: «${clip(claim.quote, 60)}», ${this.verdictLabel(claim.verdict)}.`);
  },

  verdictForKey(lower) {
    return Object.keys(this.config.verdicts).find((value) => value[0] === lower) || null;
  },

  onKey(event) {
    if ($("shortcuts").open || $("confirm-dialog").open) return; // dialogs handle their own keys
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
    if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "z") {
      event.preventDefault();
      this.discardStagedVerdict({ quiet: true });
      if (event.shiftKey) this.redo();
      else this.undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const lower = key.length === 1 ? key.toLowerCase() : key;
    const verdict = key.length === 1 ? this.verdictForKey(lower) : null;
    if (verdict) {
      event.preventDefault();
      this.setVerdict(verdict, { next: event.shiftKey });
      return;
    }
    if (VERDICT_NEXT_KEYS[key]) {
      event.preventDefault();
      this.setVerdict(VERDICT_NEXT_KEYS[key], { next: true });
      return;
    }
    switch (lower) {
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
        if (this.discardStagedVerdict()) return; // first Escape: back to the saved verdict
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
  },
};
