// Same claim elsewhere: the claim's linked appearances, and the matcher's suggestions to link.
// The server keeps the group's shared verdict and says who may link; the page lays it out.
import { errorText, NetworkError, request } from "./api.js";
import { $, h } from "./dom.js";
import { clip } from "./text.js";

const MSG_NO_MATCHER = "Suggestions are unavailable: the matcher is not installed on this server.";

function appearanceHref(articleId, claimId) {
  return `../${articleId}/#claim=${claimId}`;
}

export const groupMethods = {
  /** Called when a claim opens: its appearances now, its suggestions when they arrive. */
  async loadSameClaim(id) {
    $("link-error").textContent = "";
    $("link-choice").hidden = true;
    this.renderAppearances(this.claims.get(id));
    $("match-list").replaceChildren();
    $("match-status").textContent = "Looking for the same claim in other articles…";
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/matches/`);
    } catch {
      if (this.currentId === id) $("match-status").textContent = "Could not load suggestions: the server cannot be reached.";
      return;
    }
    if (this.currentId !== id) return;
    if (result.status === 404) {
      $("match-status").textContent = MSG_NO_MATCHER;
      return;
    }
    if (!result.ok) {
      $("match-status").textContent = `Could not load suggestions: ${errorText(result)}`;
      return;
    }
    this.renderMatches(id, result.data.results || []);
  },

  renderAppearances(claim) {
    const list = $("group-appearances");
    const appearances = claim && claim.group ? claim.group.appearances : [];
    if (!appearances.length) {
      list.replaceChildren(h("li", { class: "muted" }, "Not linked to any other article."));
      return;
    }
    list.replaceChildren(
      ...appearances.map((other) =>
        h(
          "li",
          { class: "appearance", dataset: { id: other.id } },
          h("a", { href: appearanceHref(other.article, other.id), lang: other.language }, other.article_title),
          ` (${other.language}): «${clip(other.quote, 90)}» `,
          h(
            "button",
            { type: "button", class: "unlink", "aria-label": `Unlink the appearance in ${other.article_title}`, onclick: () => this.unlinkAppearance(other.id) },
            "Unlink",
          ),
        ),
      ),
      h(
        "li",
        {},
        h("button", { type: "button", id: "unlink-this", onclick: () => this.unlinkAppearance(claim.id) }, "Unlink this claim from the group"),
      ),
    );
  },

  renderMatches(id, matches) {
    const claim = this.claims.get(id);
    const linked = new Set(claim && claim.group ? claim.group.appearances.map((a) => a.id) : []);
    $("match-status").textContent = matches.length ? `${matches.length} suggestion(s), best first.` : "No other article reports this claim.";
    $("match-list").replaceChildren(
      ...matches.map((match) => {
        const done = match.claim !== null && linked.has(match.claim);
        return h(
          "li",
          { class: "match", dataset: { article: match.article, start: match.start, end: match.end, language: match.language } },
          h("span", { class: "score", title: "How closely the passage matches (0 to 1)" }, Number(match.score).toFixed(2)),
          " ",
          h("strong", { lang: match.language }, match.article_title),
          ` (${match.language}) `,
          h(
            "q",
            { lang: match.language },
            h("span", { class: "ctx" }, match.prefix ? `…${match.prefix}` : ""),
            h("mark", {}, match.quote),
            h("span", { class: "ctx" }, match.suffix ? `${match.suffix}…` : ""),
          ),
          " ",
          h(
            "button",
            {
              type: "button",
              class: "link",
              disabled: done,
              "aria-label": done ? `Already linked: ${match.article_title}` : `Link the passage in ${match.article_title}`,
              onclick: () => this.linkPassage(id, match),
            },
            done ? "Linked" : "Link",
          ),
        );
      }),
    );
  },

  /** Link the passage; when the desk verdicts differ, ask which stands (a reviewer's call). */
  async linkPassage(id, match, verdict) {
    $("link-error").textContent = "";
    $("link-choice").hidden = true;
    const body = { article: match.article, start: match.start, end: match.end };
    if (verdict) body.verdict = verdict;
    const linked = await this.write("Linking the appearance", async () => {
      const result = await request("POST", `${this.api}claims/${id}/links/`, { body });
      if (result.status === 409) {
        this.askWhichVerdict(id, match, result.data);
        return false;
      }
      if (!result.ok) {
        $("link-error").textContent = errorText(result);
        return false;
      }
      return true;
    });
    if (!linked) return;
    await this.refreshGroupClaim(id);
    this.announce(`Linked: «${clip(match.quote, 60)}» in ${match.article_title}. The two share the desk verdict.`);
  },

  askWhichVerdict(id, match, conflict) {
    $("link-error").textContent = conflict.detail;
    const choice = $("link-choice");
    if (!this.config.can_sign_off || !conflict.verdicts) return;
    const verdicts = [...new Set(Object.values(conflict.verdicts))].filter((v) => v !== "pending");
    choice.replaceChildren(
      ...verdicts.map((verdict) =>
        h("button", { type: "button", onclick: () => this.linkPassage(id, match, verdict) }, `Link; «${verdict}» stands`),
      ),
    );
    choice.hidden = !verdicts.length;
  },

  async unlinkAppearance(claimId) {
    const id = this.currentId;
    $("link-error").textContent = "";
    const done = await this.write("Unlinking", async () => {
      const result = await request("DELETE", `${this.api}claims/${claimId}/links/`);
      if (!result.ok) {
        $("link-error").textContent = errorText(result);
        return false;
      }
      return true;
    });
    if (!done || id === null) return;
    await this.refreshGroupClaim(id);
    this.announce("Unlinked. Each keeps the verdict it had.");
  },

  /** Re-read the open claim (its group and verdict moved) and the suggestions. */
  async refreshGroupClaim(id) {
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/`);
    } catch (error) {
      if (error instanceof NetworkError) $("link-error").textContent = "The server cannot be reached.";
      return;
    }
    if (!result.ok) return;
    this.storeClaim(result.data);
    if (this.currentId === id) {
      this.renderDetail(result.data, { keepInput: true });
      await this.loadSameClaim(id);
    }
  },
};
