// The claim's discussion: the thread, the add box, and @mentions shown as such.
import { errorText, request } from "./api.js";
import { $, formatTime, h } from "./dom.js";

// The server's rule (services/comments.py): "@" and a username (letters, digits, _ . + -),
// not glued to a word before it; a trailing . + or - belongs to the name only if such a user
// was mentioned (the server says who was, in `mentions`).
const MENTION = /(?<![\p{L}\p{N}_@.+-])@([\p{L}\p{N}_.+-]+)/gu;

/** Split a comment into text and mention parts: [{text, mention}] with `mention` a username. */
export function commentParts(body, mentions) {
  const known = new Set(mentions);
  const parts = [];
  let last = 0;
  for (const match of body.matchAll(MENTION)) {
    const whole = match[1];
    const bare = whole.replace(/[.+-]+$/u, "");
    const name = known.has(whole) ? whole : known.has(bare) ? bare : null;
    if (!name) continue;
    const start = match.index;
    const end = start + 1 + name.length;
    if (start > last) parts.push({ text: body.slice(last, start), mention: null });
    parts.push({ text: body.slice(start, end), mention: name });
    last = end;
  }
  if (last < body.length) parts.push({ text: body.slice(last), mention: null });
  return parts;
}

export const commentMethods = {
  bindComments() {
    $("comment-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.addComment();
    });
  },

  /** The add box is for anyone with a desk role, whoever wrote the claim. */
  enableComments() {
    const allowed = Boolean(this.config.can_create);
    $("comment-body").disabled = !allowed;
    $("comment-submit").disabled = !allowed;
  },

  async loadComments(id) {
    $("comment-error").textContent = "";
    let result;
    try {
      result = await request("GET", `${this.api}claims/${id}/comments/`);
    } catch {
      $("comment-list").replaceChildren(h("li", { class: "error" }, "Could not load the discussion: the server cannot be reached."));
      return;
    }
    if (this.currentId !== id) return;
    if (!result.ok) {
      $("comment-list").replaceChildren(h("li", { class: "error" }, errorText(result)));
      return;
    }
    this.renderComments(result.data);
  },

  renderComments(comments) {
    const claim = this.claims.get(this.currentId);
    const hidden = claim && claim.judgments_visible === false;
    $("comment-list").replaceChildren(
      ...comments.map((comment) =>
        h(
          "li",
          { class: "comment", dataset: { id: comment.id } },
          h("strong", {}, comment.author),
          " ",
          h("time", { datetime: comment.created_at, class: "muted" }, formatTime(comment.created_at)),
          h(
            "p",
            { class: "comment-body" },
            commentParts(comment.body, comment.mentions).map((part) =>
              part.mention ? h("span", { class: "mention", title: `mentions ${part.mention}` }, part.text) : part.text,
            ),
          ),
        ),
      ),
    );
    if (!comments.length) {
      const note = hidden ? "The discussion shows once you have submitted your own verdict." : "No comments yet.";
      $("comment-list").replaceChildren(h("li", { class: "muted" }, note));
    }
  },

  async addComment() {
    const id = this.currentId;
    const box = $("comment-body");
    const body = box.value;
    if (id === null) return;
    $("comment-error").textContent = "";
    const saved = await this.write("Posting the comment", async () => {
      const result = await request("POST", `${this.api}claims/${id}/comments/`, { body: { body } });
      if (!result.ok) {
        $("comment-error").textContent = errorText(result);
        return false;
      }
      return true;
    });
    if (!saved) return;
    if (box.value === body) box.value = "";
    this.announce("Comment posted.");
    if (this.currentId === id) await this.loadComments(id);
  },
};
