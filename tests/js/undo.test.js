// The undo stack: undo, redo, limits, and surviving a reload through storage.
import assert from "node:assert/strict";
import { test } from "node:test";

import { UndoStack } from "../../annotations/static/annotations/annotator/undo.js";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

test("undo takes the latest entry and redo puts it back", () => {
  const stack = new UndoStack();
  stack.push({ label: "a" });
  stack.push({ label: "b" });
  assert.equal(stack.takeUndo().label, "b");
  assert.equal(stack.takeUndo().label, "a");
  assert.equal(stack.takeUndo(), null);
  assert.equal(stack.takeRedo().label, "a");
  assert.equal(stack.takeRedo().label, "b");
  assert.equal(stack.takeRedo(), null);
  assert.ok(stack.canUndo && !stack.canRedo);
});

test("a new change clears what could be redone", () => {
  const stack = new UndoStack();
  stack.push({ label: "a" });
  stack.takeUndo();
  assert.ok(stack.canRedo);
  stack.push({ label: "b" });
  assert.ok(!stack.canRedo);
});

test("a failed undo is put back where it was", () => {
  const stack = new UndoStack();
  stack.push({ label: "a" });
  const entry = stack.takeUndo();
  stack.restore(entry, "undo");
  assert.ok(stack.canUndo && !stack.canRedo);
  stack.takeUndo();
  const again = stack.takeRedo();
  stack.restore(again, "redo");
  assert.ok(!stack.canUndo && stack.canRedo);
});

test("the stack keeps at most `limit` entries, dropping the oldest", () => {
  const stack = new UndoStack({ limit: 3 });
  for (const label of "abcde") stack.push({ label });
  assert.deepEqual(stack.done.map((e) => e.label), ["c", "d", "e"]);
});

test("the stacks survive a reload through storage, per key", () => {
  const storage = new MemoryStorage();
  const first = new UndoStack({ storage, key: "k1" });
  first.push({ kind: "claim", id: 7, label: "a" });
  first.push({ kind: "claim", id: 8, label: "b" });
  first.takeUndo();
  const reloaded = new UndoStack({ storage, key: "k1" });
  assert.deepEqual(reloaded.done.map((e) => e.id), [7]);
  assert.deepEqual(reloaded.undone.map((e) => e.id), [8]);
  assert.ok(!new UndoStack({ storage, key: "k2" }).canUndo);
});

test("damaged storage starts an empty history", () => {
  const storage = new MemoryStorage();
  storage.setItem("k", "{not json");
  assert.ok(!new UndoStack({ storage, key: "k" }).canUndo);
});
