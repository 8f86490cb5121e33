// The claim list and the open claim's panel.
import { $, formatTime, h } from "./dom.js";
import { clip } from "./text.js";

const CONTEXT_CHARS = 24;

export const panelMethods = {
  verdictLabel(value) {
    return this.config.verdicts[value] || value;
  },

  /** What the user may do with a claim: the server says, per claim (no rule is copied here). */
  can(claim, what) {
    return Boolean(claim && claim.permissions && claim.permissions[what]);
  },

  renderList() {
    const filter = $("verdict-filter").value;
    const items = [];
    let shown = 0;
    for (const claim of this.ordered) {
      if (filter && claim.verdict !== filter) continue;
      const desk = this.deskClass(claim);
      shown++;
      const after = this.bodyCps.slice(claim.end, claim.end + CONTEXT_CHARS).join("").replace(/\s+/gu, " ");
      const current = claim.id === this.currentId;
      items.push(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: `claim-item${current ? " is-current" : ""}${claim.is_orphaned ? " orphaned" : ""}`,
              dataset: { id: claim.id },
              "aria-current": current ? "true" : null,
            },
            h("span", { class: `verdict-badge v-${desk}` }, desk === "hidden" ? "Blind" : this.verdictLabel(claim.verdict)),
            " ",
            h("q", { class: "claim-item-quote", lang: this.bodyEl.lang }, clip(claim.quote, 90)),
            h("span", { class: "claim-item-context" }, after ? `${after}…` : ""),
            claim.is_orphaned ? h("span", { class: "orphan-flag" }, " (lost after a text change)") : null,
            claim.signed_off_at ? h("span", { class: "signed-flag" }, " ✓ signed off") : null,
            claim.in_disagreement ? h("span", { class: "disagreement-flag" }, " ≠ disagreement") : null,
          ),
        ),
      );
    }
    $("claim-list").replaceChildren(...items);
    $("claim-count").textContent = filter ? `(${shown} of ${this.ordered.length})` : `(${this.ordered.length})`;
    $("claim-list-empty").hidden = this.ordered.length > 0;
  },

  visibleOrdered() {
    const filter = $("verdict-filter").value;
    return this.ordered.filter((c) => !filter || c.verdict === filter);
  },

  move(step) {
    const list = this.visibleOrdered();
    if (!list.length) return;
    let index = list.findIndex((c) => c.id === this.currentId);
    if (index === -1) {
      const current = this.claims.get(this.currentId);
      index = step > 0 ? -1 : list.length;
      if (current) {
        // Keep our place in the text when the current claim is filtered out.
        index =
          step > 0
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
    this.announce(`Claim ${list.indexOf(next) + 1} of ${list.length}: ${this.verdictLabel(next.verdict)}.`);
  },

  /** Narrow screens show one pane at a time, as tabs: the claim list or the open claim. */
  showPane(name) {
    $("panel").dataset.pane = name;
    for (const tab of document.querySelectorAll(".pane-tabs [role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.pane === name));
    }
    $("tab-claim").disabled = this.currentId === null;
  },

  narrow() {
    return window.matchMedia("(max-width: 900px)").matches;
  },

  openClaim(id, { scroll = false, focus = false, reveal = false } = {}) {
    const claim = this.claims.get(id);
    if (!claim) return;
    const switching = this.currentId !== id;
    if (switching) {
      this.commitVerdict(); // a verdict the arrow keys selected on the claim we leave
      if (this.currentId !== null) this.saveDraft(this.currentId);
      this.clearConflict();
      this.resetEvidenceForm();
      $("history").open = false;
    }
    this.currentId = id;
    this.markCurrent();
    this.renderDetail(claim, { keepInput: !switching });
    if (switching) this.restoreDraft(claim);
    if (switching) this.loadComments(id);
    if (switching) this.loadSameClaim(id);
    for (const el of $("claim-list").querySelectorAll(".claim-item")) {
      const on = Number(el.dataset.id) === id;
      el.classList.toggle("is-current", on);
      if (on) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
    }
    this.showPane("claim");
    const marks = this.marks.get(id);
    if (reveal && this.narrow()) {
      // On a phone the panel is below the text: bring the opened claim to the reader.
      $("panel").scrollIntoView({ block: "start", behavior: "instant" });
    } else if (scroll && marks && marks.length) {
      marks[0].scrollIntoView({ block: "center", behavior: "instant" });
    }
    if (location.hash !== `#claim=${id}`) history.replaceState(null, "", `#claim=${id}`);
    if (focus) $("claim-detail").focus();
    this.schedulePoll();
  },

  /** Open the claim named by `#claim=N`, on load and whenever the fragment changes. */
  openFromHash() {
    const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("claim"));
    if (!wanted || wanted === this.currentId) return;
    if (this.claims.has(wanted)) this.openClaim(wanted, { scroll: true });
    else this.announce(`There is no claim ${wanted} on this article.`);
  },

  closeClaim() {
    if (this.currentId === null) return;
    this.commitVerdict();
    const closing = this.currentId;
    // Asked before the panel hides: hiding it drops the focus to the page body.
    const focusInPanel = $("panel").contains(document.activeElement);
    this.saveDraft(closing);
    this.currentId = null;
    this.clearConflict();
    $("claim-detail").hidden = true;
    this.showPane("list");
    this.markCurrent();
    history.replaceState(null, "", location.pathname + location.search);
    const button = $("claim-list").querySelector(`[data-id="${closing}"]`);
    if (button) button.classList.remove("is-current");
    if (button && (focusInPanel || document.activeElement === document.body)) button.focus();
    this.stopPoll();
  },

  renderDetail(claim, { keepInput }) {
    $("claim-detail").hidden = false;
    const before = this.bodyCps.slice(Math.max(0, claim.start - CONTEXT_CHARS), claim.start).join("");
    const after = this.bodyCps.slice(claim.end, claim.end + CONTEXT_CHARS).join("");
    $("detail-quote").replaceChildren(
      h("span", { class: "ctx" }, before ? `…${before}` : ""),
      h("mark", { class: `hl v-${this.deskClass(claim)}` }, claim.quote),
      h("span", { class: "ctx" }, after ? `${after}…` : ""),
    );
    const meta = [
      this.deskLabel(claim),
      `version ${claim.version}`,
      claim.created_by ? `by ${claim.created_by.username}` : "",
      claim.updated_by && claim.updated_at ? `changed ${formatTime(claim.updated_at)} by ${claim.updated_by.username}` : "",
      claim.signed_off_at ? `signed off ${formatTime(claim.signed_off_at)}` : "not signed off",
      claim.is_orphaned ? "lost after a text change" : "",
    ].filter(Boolean);
    $("detail-meta").textContent = meta.join(" · ");
    const editable = this.can(claim, "edit");
    $("detail-readonly").hidden = editable;
    for (const input of $("claim-detail").querySelectorAll("input, textarea, select, #rationale-form button, #evidence-form button")) {
      input.disabled = !editable;
    }
    // Citing is open to every analyst judging the claim, not only to whoever highlighted it.
    for (const input of $("evidence-form").querySelectorAll("input, textarea, select, button")) {
      input.disabled = !this.can(claim, "cite");
    }
    $("delete-claim").disabled = !this.can(claim, "delete");
    this.renderDesk(claim);
    this.enableComments();
    if (!keepInput) {
      this.checkVerdict(this.ownVerdict(claim));
      $("rationale").value = this.ownRationale(claim);
      $("rationale").dataset.saved = this.ownRationale(claim);
      $("rationale-error").textContent = "";
    }
    const signOff = $("sign-off");
    signOff.hidden = !this.config.can_sign_off;
    signOff.textContent = claim.signed_off_at ? "Withdraw sign-off" : "Sign off";
    signOff.disabled = !this.can(claim, "sign_off");
    this.renderDeskLink(claim);
    if (this.config.can_sign_off) this.renderBlockers(claim);
    this.renderEvidence(claim);
    if ($("history").open) this.loadHistory(claim.id);
  },

  /** Reviewers get a link to the claim's page on the review desk (the admin). */
  renderDeskLink(claim) {
    const template = this.config.admin_claim_url;
    $("detail-admin").hidden = !template;
    if (template) $("detail-admin-link").href = template.replace("/0/", `/${claim.id}/`);
  },

  checkVerdict(verdict) {
    for (const radio of document.querySelectorAll("input[name=verdict]")) radio.checked = radio.value === verdict;
  },
};
