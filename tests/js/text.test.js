// Offsets in code points: the arithmetic the server and the page must agree on.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clip,
  cpLength,
  paragraphIndex,
  sentenceAround,
  spanOf,
  utf16Index,
} from "../../annotations/static/annotations/annotator/text.js";

test("cpLength counts an emoji (a surrogate pair) as one code point", () => {
  assert.equal(cpLength("abc"), 3);
  assert.equal(cpLength("a😀b"), 3);
  assert.equal("a😀b".length, 4);
  assert.equal(cpLength(""), 0);
});

test("a lone surrogate still counts as one code point", () => {
  assert.equal(cpLength("a\ud83d"), 2);
});

test("utf16Index maps code points back to UTF-16 units", () => {
  const text = "😀Путин😀!";
  assert.equal(utf16Index(text, 0), 0);
  assert.equal(utf16Index(text, 1), 2);
  assert.equal(utf16Index(text, 6), 7);
  assert.equal(utf16Index(text, 7), 9);
  assert.equal(utf16Index(text, 99), text.length);
  for (let cp = 0; cp <= cpLength(text); cp++) {
    assert.equal(cpLength(text.slice(0, utf16Index(text, cp))), cp);
  }
});

test("spanOf trims white space and keeps 32 code points of context", () => {
  const cps = Array.from(`${"x".repeat(40)}  Слово 😀 тут.  ${"y".repeat(40)}`);
  const span = spanOf(cps, 40, 56);
  assert.equal(span.quote, "Слово 😀 тут.");
  assert.equal(span.start, 42);
  assert.equal(span.end, 54);
  assert.equal(span.prefix, "x".repeat(30) + "  ");
  assert.equal(Array.from(span.suffix).length, 32);
});

test("spanOf refuses a span of white space and accepts reversed ends", () => {
  const cps = Array.from("a   b");
  assert.equal(spanOf(cps, 1, 4), null);
  assert.deepEqual(spanOf(cps, 5, 0).quote, "a   b");
});

test("sentenceAround finds the sentence at the caret, not the one before", () => {
  const cps = Array.from("Первое. Второе предложение! Третье");
  const [start, end] = sentenceAround(cps, 10);
  assert.equal(cps.slice(start, end).join(""), "Второе предложение!");
  const [s3, e3] = sentenceAround(cps, cps.length);
  assert.equal(cps.slice(s3, e3).join(""), "Третье");
});

test("paragraphIndex finds the paragraph holding a code point", () => {
  const paragraphs = [{ start: 0 }, { start: 10 }, { start: 25 }];
  assert.equal(paragraphIndex(paragraphs, 0), 0);
  assert.equal(paragraphIndex(paragraphs, 9), 0);
  assert.equal(paragraphIndex(paragraphs, 10), 1);
  assert.equal(paragraphIndex(paragraphs, 24), 1);
  assert.equal(paragraphIndex(paragraphs, 1000), 2);
});

test("clip shortens by code points", () => {
  assert.equal(clip("😀😀😀😀", 3), "😀😀…");
  assert.equal(clip("short", 10), "short");
});
