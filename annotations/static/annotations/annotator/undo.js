// The undo and redo stacks. Pure: storage is passed in, so node --test can check it.

export const UNDO_LIMIT = 100;

export class UndoStack {
  /** `storage` is sessionStorage or any {getItem, setItem, removeItem}; `key` names the stacks. */
  constructor({ storage = null, key = "annotator:undo", limit = UNDO_LIMIT } = {}) {
    this.storage = storage;
    this.key = key;
    this.limit = limit;
    this.done = [];
    this.undone = [];
    this.load();
  }

  /** A new change: it can be undone, and whatever was undone before can no longer be redone. */
  push(entry) {
    this.done.push(entry);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
    this.save();
  }

  /** The entry to undo now, moved over to the redo side. */
  takeUndo() {
    const entry = this.done.pop() || null;
    if (entry) this.undone.push(entry);
    this.save();
    return entry;
  }

  /** The entry to redo now, moved back to the undo side. */
  takeRedo() {
    const entry = this.undone.pop() || null;
    if (entry) this.done.push(entry);
    this.save();
    return entry;
  }

  /** Put back an entry whose undo or redo failed, so that nothing is lost. */
  restore(entry, side) {
    const from = side === "undo" ? this.undone : this.done;
    const to = side === "undo" ? this.done : this.undone;
    const at = from.lastIndexOf(entry);
    if (at >= 0) from.splice(at, 1);
    to.push(entry);
    this.save();
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  load() {
    if (!this.storage) return;
    try {
      const saved = JSON.parse(this.storage.getItem(this.key) || "null");
      if (saved && Array.isArray(saved.done) && Array.isArray(saved.undone)) {
        this.done = saved.done.slice(-this.limit);
        this.undone = saved.undone.slice(-this.limit);
      }
    } catch {
      // A damaged entry starts an empty history rather than breaking the page.
    }
  }

  save() {
    if (!this.storage) return;
    try {
      this.storage.setItem(this.key, JSON.stringify({ done: this.done, undone: this.undone }));
    } catch {
      // Storage full or disabled: undo still works until the page is left.
    }
  }
}
