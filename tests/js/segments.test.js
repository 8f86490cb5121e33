// Painting segments: overlapping and nested claims split a paragraph without losing an edge.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byTextOrder, claimsAt, segmentsOf } from "../../annotations/static/annotations/annotator/segments.js";

const claim = (id, start, end, extra = {}) => ({ id, start, end, verdict: "pending", ...extra });

const shape = (segments) =>
  segments.map((s) => [s.start, s.end, s.claims.map((c) => c.id), s.begins, s.ends]);

test("a paragraph without claims is one plain segment", () => {
  assert.deepEqual(shape(segmentsOf(0, 10, [])), [[0, 10, [], [], []]]);
});

test("overlapping claims: each segment lists its claims innermost first, and each edge", () => {
  const a = claim(1, 2, 8);
  const b = claim(2, 5, 12);
  assert.deepEqual(shape(segmentsOf(0, 15, [a, b])), [
    [0, 2, [], [], []],
    [2, 5, [1], [1], []],
    [5, 8, [1, 2], [2], [1]],
    [8, 12, [2], [], [2]],
    [12, 15, [], [], []],
  ]);
});

test("a nested claim is coloured by the inner claim, and the outer one still shows its edges", () => {
  const outer = claim(1, 0, 10);
  const inner = claim(2, 3, 5);
  assert.deepEqual(shape(segmentsOf(0, 10, [outer, inner])), [
    [0, 3, [1], [1], []],
    [3, 5, [2, 1], [2], [2]],
    [5, 10, [1], [], [1]],
  ]);
});

test("a claim cut by a paragraph break neither begins nor ends at the break", () => {
  const long = claim(1, 5, 30);
  assert.deepEqual(shape(segmentsOf(10, 20, [long])), [[10, 20, [1], [], []]]);
  assert.deepEqual(shape(segmentsOf(0, 10, [long])), [
    [0, 5, [], [], []],
    [5, 10, [1], [1], []],
  ]);
});

test("two claims on adjacent spans do not merge", () => {
  const segments = segmentsOf(0, 10, [claim(1, 0, 5), claim(2, 5, 10)]);
  assert.deepEqual(shape(segments), [
    [0, 5, [1], [1], [1]],
    [5, 10, [2], [2], [2]],
  ]);
});

test("claimsAt lists the claims under a code point, innermost first, skipping orphans", () => {
  const claims = [claim(1, 0, 20), claim(2, 4, 8), claim(3, 4, 8, { is_orphaned: true })];
  assert.deepEqual(claimsAt(claims, 5).map((c) => c.id), [2, 1]);
  assert.deepEqual(claimsAt(claims, 8).map((c) => c.id), [1]);
  assert.deepEqual(claimsAt(claims, 20), []);
});

test("text order is start, then end, then id", () => {
  const sorted = [claim(3, 5, 9), claim(2, 0, 9), claim(1, 0, 4), claim(0, 0, 4)].sort(byTextOrder);
  assert.deepEqual(sorted.map((c) => c.id), [0, 1, 2, 3]);
});
