// Evidence: the list with its link badges, the form, and polling link checks.
import { errorText, request } from "./api.js";
import { $, formatTime, h, safeHref } from "./dom.js";

export const evidenceMethods = {
  renderEvidence(claim) {
    const editable = this.can(claim, "edit");
    const mine = (ev) => Boolean(ev.added_by && ev.added_by.id === this.config.user_id && this.can(claim, "cite"));
    const stances = this.config.stances;
    const items = (claim.evidence || []).map((ev) =>
      h(
        "li",
        { class: "evidence-item", dataset: { id: ev.id } },
        h(
          "div",
          { class: "evidence-head" },
          h("span", { class: `stance stance-${ev.stance}` }, stances[ev.stance] || ev.stance),
          " ",
          h("a", { href: safeHref(ev.url), rel: "noopener noreferrer nofollow", target: "_blank" }, ev.title || ev.url),
          " ",
          this.linkBadges(ev),
        ),
        ev.title ? h("div", { class: "evidence-url muted" }, ev.url) : null,
        ev.excerpt ? h("blockquote", { class: "evidence-excerpt" }, ev.excerpt) : null,
        ev.note ? h("p", { class: "evidence-note" }, ev.note) : null,
        h(
          "div",
          { class: "evidence-actions" },
          ev.link && this.config.can_create
            ? h("button", { type: "button", dataset: { action: "recheck", id: ev.id }, "aria-label": `Check again the link of ${ev.title || ev.url}` }, "Check again")
            : null,
          editable || mine(ev) ? " " : null,
          editable || mine(ev)
            ? h(
                "span",
                {},
              h("button", { type: "button", dataset: { action: "edit-evidence", id: ev.id }, "aria-label": `Edit evidence ${ev.title || ev.url}` }, "Edit"),
              " ",
                h("button", { type: "button", class: "danger", dataset: { action: "remove-evidence", id: ev.id }, "aria-label": `Remove evidence ${ev.title || ev.url}` }, "Remove"),
              )
            : null,
        ),
      ),
    );
    if (!items.length) items.push(h("li", { class: "muted" }, "No evidence yet."));
    $("evidence-list").replaceChildren(...items);
  },

  linkBadges(evidence) {
    const span = h("span", { class: "link-badges" });
    this.fillBadges(span, evidence);
    return span;
  },

  // The link's latest check, plus "changed" when this citation's source moved on since it was
  // cited: its text changed, or the quoted excerpt is no longer on the page.
  fillBadges(container, evidence) {
    const link = evidence && evidence.link;
    const outcome = (link && link.outcome) || "pending";
    const state = this.config.link_states[outcome] || { label: outcome, meaning: outcome, advice: "" };
    const details = [state.meaning];
    if (link && link.http_status) details.push(`HTTP ${link.http_status}`);
    if (link && link.final_url && link.final_url !== link.url) details.push(`now at ${link.final_url}`);
    if (link && link.last_checked_at) details.push(`checked ${formatTime(link.last_checked_at)}`);
    const title = `${details.join(", ")}.${state.advice ? ` ${state.advice}` : ""}`;
    const badges = [h("span", { class: `link-badge link-${outcome}`, title, dataset: { outcome } }, state.label)];
    const changes = [];
    if (evidence && evidence.source_changed_at) changes.push(`the page's text changed (${formatTime(evidence.source_changed_at)}) since it was cited`);
    if (evidence && evidence.excerpt_found === false) changes.push("the excerpt is no longer on the page");
    const archive = evidence && evidence.archive_url;
    if (changes.length) {
      const changed = { class: "link-badge link-changed", title: changes.join("; "), dataset: { outcome: "changed" } };
      badges.push(archive ? h("a", { ...changed, href: `${archive}&tab=changes` }, "changed") : h("span", changed, "changed"));
    }
    // A dead link's citation still has what the analyst read: the desk's own copy.
    if (archive && ["broken", "timeout", "unreachable"].includes(outcome)) {
      badges.push(h("a", { class: "link-archived", href: archive }, `archived copy from ${formatTime(evidence.archived_at)}`));
    }
    container.replaceChildren(...badges);
    container.setAttribute("aria-label", `Link check: ${badges.map((b) => b.textContent).join(", ")}`);
  },

  schedulePoll() {
    this.stopPoll();
    const claim = this.claims.get(this.currentId);
    if (!claim || !(claim.evidence || []).some((ev) => !ev.link || ev.link.outcome === "pending")) return;
    this.pollTimer = setTimeout(() => this.poll(claim.id), this.config.poll_ms);
  },

  stopPoll() {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  },

  async poll(id) {
    this.pollTimer = null;
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/`);
    } catch {
      result = null; // Offline for a moment: try again on the next tick.
    }
    const claim = this.claims.get(id);
    if (result && result.ok && claim) {
      // Only the link states are taken over: the analyst's unsaved input stays as it is.
      const fresh = new Map((result.data.evidence || []).map((ev) => [ev.id, ev]));
      for (const ev of claim.evidence || []) {
        const newer = fresh.get(ev.id);
        if (!newer) continue;
        ev.link = newer.link;
        ev.source_changed_at = newer.source_changed_at;
        ev.excerpt_found = newer.excerpt_found;
        ev.archive_url = newer.archive_url;
        ev.archived_at = newer.archived_at;
        const badges = $("evidence-list").querySelector(`[data-id="${ev.id}"] .link-badges`);
        if (badges && this.currentId === id) this.fillBadges(badges, ev);
      }
    }
    if (this.currentId === id) this.schedulePoll();
  },

  evidenceInput() {
    return {
      url: $("ev-url").value.trim(),
      title: $("ev-title").value,
      excerpt: $("ev-excerpt").value,
      note: $("ev-note").value,
      stance: $("ev-stance").value,
    };
  },

  resetEvidenceForm() {
    this.editingEvidenceId = null;
    $("evidence-form").reset();
    $("evidence-form-legend").textContent = "Add evidence";
    $("evidence-submit").textContent = "Add evidence";
    $("evidence-cancel").hidden = true;
    $("evidence-error").textContent = "";
  },

  startEvidenceEdit(id, { focus = true } = {}) {
    const claim = this.claims.get(this.currentId);
    const ev = claim && (claim.evidence || []).find((e) => e.id === id);
    if (!ev) return;
    this.editingEvidenceId = id;
    $("ev-url").value = ev.url;
    $("ev-title").value = ev.title || "";
    $("ev-excerpt").value = ev.excerpt || "";
    $("ev-note").value = ev.note || "";
    $("ev-stance").value = ev.stance;
    $("evidence-form-legend").textContent = "Edit evidence";
    $("evidence-submit").textContent = "Save evidence";
    $("evidence-cancel").hidden = false;
    if (focus) $("ev-url").focus();
  },

  /** Put a saved evidence item into the claim's list (replacing an older copy). */
  storeEvidence(claimId, ev) {
    const target = this.claims.get(claimId);
    if (!target) return null;
    const list = (target.evidence || []).slice();
    const index = list.findIndex((e) => e.id === ev.id);
    const previous = index >= 0 ? list[index] : null;
    if (index >= 0) list[index] = ev;
    else list.push(ev);
    target.evidence = list;
    if (this.currentId === claimId) {
      this.renderEvidence(target);
      this.schedulePoll();
      if ($("history").open) this.loadHistory(claimId);
    }
    return previous;
  },

  /** Put input back into the form, unless the analyst has typed something new there since. */
  restoreEvidenceInput(claimId, input, editing) {
    const typed = this.evidenceInput();
    if (this.currentId !== claimId || typed.url || typed.title || typed.excerpt || typed.note) return false;
    if (editing) this.startEvidenceEdit(editing, { focus: false });
    $("ev-url").value = input.url;
    $("ev-title").value = input.title;
    $("ev-excerpt").value = input.excerpt;
    $("ev-note").value = input.note;
    $("ev-stance").value = input.stance;
    this.saveDraft(claimId);
    return true;
  },

  async submitEvidence() {
    const claim = this.claims.get(this.currentId);
    if (!claim) return;
    const input = this.evidenceInput();
    if (!input.url) {
      $("evidence-error").textContent = "Give the source's URL.";
      $("ev-url").focus();
      return;
    }
    const editing = this.editingEvidenceId;
    // The form is free for the next item at once; this input travels with its request.
    this.resetEvidenceForm();
    this.saveDraft(claim.id);
    const failed = (why) => {
      const back = this.restoreEvidenceInput(claim.id, input, editing);
      if (back) $("evidence-error").textContent = why;
      this.alert(`The evidence ${input.url} was not saved. ${why}${back ? "" : ` Your input: ${input.url}${input.note ? `, “${input.note}”` : ""}.`}`, {
        retry: () => this.saveEvidence(claim.id, input, editing, failed),
      });
    };
    await this.saveEvidence(claim.id, input, editing, failed);
  },

  async saveEvidence(claimId, input, editing, failed) {
    return this.enqueue(async () => {
      let result;
      try {
        result = editing
          ? await request("PATCH", `${this.api}evidence/${editing}/`, { body: input })
          : await request("POST", `${this.api}evidence/`, { body: { claim: claimId, ...input } });
      } catch {
        failed("The server cannot be reached; nothing was saved.");
        return false;
      }
      if (!result.ok) {
        failed(errorText(result));
        return false;
      }
      this.clearAlert();
      const ev = result.data;
      const previous = this.storeEvidence(claimId, ev);
      if (editing) {
        const before = {};
        for (const field of Object.keys(input)) before[field] = previous ? previous[field] : "";
        this.pushUndo({ kind: "evidence-update", claimId, id: ev.id, before, after: input, label: "the evidence change" });
      } else {
        this.pushUndo({ kind: "evidence-add", claimId, id: ev.id, snapshot: ev, label: "adding the evidence" });
      }
      this.announce(editing ? "Evidence saved." : "Evidence added; its link is being checked.");
      return true;
    });
  },

  /** "Check again": ask for a fresh check of a citation's link (rate-limited by the server). */
  async recheckLink(evidenceId) {
    const claim = this.claims.get(this.currentId);
    const ev = claim && (claim.evidence || []).find((e) => e.id === evidenceId);
    if (!ev || !ev.link) return;
    let result;
    try {
      result = await request("POST", `${this.api}source-links/${ev.link.id}/recheck/`, { body: {} });
    } catch {
      this.alert("The check was not requested: the server cannot be reached.");
      return;
    }
    if (!result.ok) {
      this.alert(`The check was not requested. ${errorText(result)}`);
      return;
    }
    this.clearAlert();
    const queued = result.data && result.data.queued;
    ev.link = { ...ev.link, ...(result.data && result.data.link), outcome: queued ? "pending" : ev.link.outcome };
    const badges = $("evidence-list").querySelector(`[data-id="${ev.id}"] .link-badges`);
    if (badges) this.fillBadges(badges, ev);
    this.schedulePoll();
    this.announce(queued ? "The link will be checked again; its badge changes when the check is done." : "A check of this link is already under way.");
  },

  async removeEvidence(id, { undoable = true } = {}) {
    const claimId = this.currentId;
    const claim = this.claims.get(claimId);
    const ev = claim && (claim.evidence || []).find((e) => e.id === id);
    if (!ev) return false;
    return this.write("Removing the evidence", async () => {
      const result = await request("DELETE", `${this.api}evidence/${id}/`);
      if (!result.ok && result.status !== 404) {
        this.alert(`The evidence was not removed. ${errorText(result)}`);
        return false;
      }
      this.clearAlert();
      claim.evidence = claim.evidence.filter((e) => e.id !== id);
      if (undoable) this.pushUndo({ kind: "evidence-remove", claimId, id, snapshot: ev, label: "removing the evidence" });
      if (this.editingEvidenceId === id) this.resetEvidenceForm();
      if (this.currentId === claimId) this.renderEvidence(claim);
      this.announce("Evidence removed. Ctrl+Z brings it back.");
      return true;
    });
  },
};
