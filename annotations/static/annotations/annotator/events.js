// Wiring: which event calls which method, and the messages area.
import { $, h } from "./dom.js";

export const eventMethods = {
  announce(text) {
    $("messages").textContent = text;
  },

  /** Show an error; `actions` are extra buttons ({label, run}) such as "Open the existing claim". */
  alert(text, { retry = null, actions = [] } = {}) {
    this.alertSerial = (this.alertSerial || 0) + 1;
    this.alertActions = [...(retry ? [{ label: "Try again", run: retry }] : []), ...actions];
    const buttons = this.alertActions.map((action, i) =>
      h("button", { type: "button", dataset: { action: "run", index: i } }, action.label),
    );
    $("alerts").replaceChildren(
      h("p", {}, text),
      ...buttons,
      h("button", { type: "button", dataset: { action: "dismiss" }, "aria-label": "Dismiss the message" }, "Dismiss"),
    );
  },

  clearAlert() {
    this.alertActions = [];
    $("alerts").replaceChildren();
  },

  /** Ask before something hard to take back; resolves true when the user confirms. */
  confirm({ title, message, yes, no }) {
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-message").textContent = message;
    $("confirm-yes").textContent = yes;
    $("confirm-no").textContent = no;
    const back = document.activeElement;
    return new Promise((resolve) => {
      dialog.addEventListener(
        "close",
        () => {
          if (back && back.isConnected) back.focus();
          resolve(dialog.returnValue === "yes");
        },
        { once: true },
      );
      dialog.returnValue = "";
      dialog.showModal();
      $("confirm-no").focus();
    });
  },

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
      this.openClaim(at >= 0 ? ids[(at + 1) % ids.length] : ids[0], { reveal: true });
    });
    // Hovering a highlight outlines the whole of its innermost claim, however it is split.
    this.bodyEl.addEventListener("mouseover", (event) => {
      const mark = event.target.closest("mark.hl");
      const id = mark ? Number(mark.dataset.claims.split(" ")[0]) : null;
      if (id === this.hoverId) return;
      for (const el of this.marks.get(this.hoverId) || []) el.classList.remove("is-hover");
      this.hoverId = id;
      for (const el of this.marks.get(id) || []) el.classList.add("is-hover");
    });
    for (const tab of document.querySelectorAll(".pane-tabs [role=tab]")) {
      tab.addEventListener("click", () => this.showPane(tab.dataset.pane));
    }
    $("show-in-text").addEventListener("click", () => {
      const marks = this.marks.get(this.currentId) || [];
      if (marks.length) marks[0].scrollIntoView({ block: "center", behavior: "instant" });
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
    $("verdict-field").addEventListener("keydown", (e) => this.onVerdictKey(e));
    $("verdict-field").addEventListener("change", (e) => this.onVerdictChange(e));
    $("verdict-field").addEventListener("focusout", (e) => this.onVerdictFocusOut(e));
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
      if (button.dataset.action === "recheck") this.recheckLink(id);
    });
    $("history").addEventListener("toggle", () => {
      if ($("history").open && this.currentId !== null) this.loadHistory(this.currentId);
    });
    $("delete-claim").addEventListener("click", () => this.confirmDelete());
    $("sign-off").addEventListener("click", () => this.toggleSignOff());
    $("claim-detail").addEventListener("input", () => {
      if (this.currentId !== null) this.saveDraft(this.currentId);
    });
    $("conflict-reapply").addEventListener("click", () => this.reapply());
    $("conflict-discard").addEventListener("click", () => this.discardMine());
    $("alerts").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-action]");
      if (!button) return;
      const action = this.alertActions[Number(button.dataset.index)];
      this.clearAlert();
      if (button.dataset.action === "run" && action) action.run();
    });
    window.addEventListener("hashchange", () => this.openFromHash());
    for (const button of document.querySelectorAll("[data-action=help]")) {
      button.addEventListener("click", () => $("shortcuts").showModal());
    }
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("beforeunload", (e) => {
      if (this.hasUnsavedInput()) e.preventDefault();
    });
  },
};
