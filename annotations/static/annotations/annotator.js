// The annotator: paints claims over the article text and edits them through the REST API.
//
// The class is assembled from small modules, one per seam (offsets, painting, the panel,
// evidence, writes, conflicts, keyboard, undo and drafts). What the page may do and every
// label come from the server (json_script and the API); no rule is copied here.
import { getAll, NetworkError } from "./annotator/api.js";
import { assessmentMethods } from "./annotator/assessments.js";
import { commentMethods } from "./annotator/comments.js";
import { conflictMethods } from "./annotator/conflict.js";
import { draftMethods } from "./annotator/drafts.js";
import { $, serverData } from "./annotator/dom.js";
import { eventMethods } from "./annotator/events.js";
import { evidenceMethods } from "./annotator/evidence.js";
import { groupMethods } from "./annotator/groups.js";
import { historyMethods } from "./annotator/history.js";
import { keyboardMethods } from "./annotator/keyboard.js";
import { offsetMethods } from "./annotator/offsets.js";
import { paintMethods } from "./annotator/paint.js";
import { panelMethods } from "./annotator/panel.js";
import { signOffMethods } from "./annotator/signoff.js";
import { UndoStack } from "./annotator/undo.js";
import { writeMethods } from "./annotator/writes.js";

class Annotator {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.articleId = config.article_id;
    this.api = config.api_root;
    this.body = serverData("article-body-text");
    this.bodyCps = Array.from(this.body);
    this.bodyEl = $("article-body");
    this.claims = new Map(); // id -> claim
    this.ordered = []; // claims in text order
    this.marks = new Map(); // claim id -> [mark elements]
    this.currentId = null;
    this.undoStack = new UndoStack({ storage: sessionStorage, key: `annotator:undo:${this.articleId}` });
    this.queue = Promise.resolve();
    this.pollTimer = null;
    this.pendingSelection = null;
    this.editingEvidenceId = null;
    this.conflict = null;
    this.alertSerial = 0;
    this.alertActions = [];
    this.paragraphs = [];
    this.stagedVerdict = null; // {id, verdict}: chosen with the arrow keys, not saved yet
    this.verdictKeyMove = false;
  }

  async start() {
    this.prepareParagraphs();
    this.bindEvents();
    this.bindComments();
    try {
      const claims = await getAll(`${this.api}claims/?article=${this.articleId}&page_size=1000`);
      performance.mark("annotator:paint-start");
      for (const claim of claims) this.claims.set(claim.id, claim);
      this.sortClaims();
      this.paintAll();
      void this.bodyEl.offsetHeight; // force style and layout, so that the measure holds them
      performance.mark("annotator:painted");
      performance.measure("annotator:highlights", "annotator:paint-start", "annotator:painted");
      this.renderList();
      performance.measure("annotator:list", "annotator:painted");
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.mark("annotator:frame");
          performance.measure("annotator:highlights-frame", "annotator:paint-start", "annotator:frame");
          performance.measure("annotator:load-to-frame", undefined, "annotator:frame");
          this.root.dataset.ready = "1";
        }, 0),
      );
      this.openFromHash();
    } catch (error) {
      this.alert(
        error instanceof NetworkError
          ? "Could not load the claims: the server cannot be reached. Reload to try again."
          : `Could not load the claims: ${error.message}`,
      );
      this.root.dataset.ready = "error";
    }
  }

  prepareParagraphs() {
    // Drop the template's whitespace between paragraphs: only paragraph text is article text.
    for (const node of Array.from(this.bodyEl.childNodes)) {
      if (node.nodeType === Node.TEXT_NODE) node.remove();
    }
    this.paragraphs = Array.from(this.bodyEl.querySelectorAll("p[data-start]")).map((el) => {
      const cps = Array.from(el.textContent);
      const start = Number(el.dataset.start);
      return { el, start, end: start + cps.length, cps };
    });
  }
}

Object.assign(
  Annotator.prototype,
  offsetMethods,
  paintMethods,
  panelMethods,
  evidenceMethods,
  writeMethods,
  signOffMethods,
  conflictMethods,
  draftMethods,
  historyMethods,
  commentMethods,
  groupMethods,
  keyboardMethods,
  assessmentMethods,
  eventMethods,
);

const root = document.getElementById("annotator");
if (root) {
  const annotator = new Annotator(root, serverData("annotator-config"));
  root.classList.toggle("read-only", !annotator.config.can_create);
  window.annotator = annotator; // for the browser tests and the console
  annotator.start();
}
