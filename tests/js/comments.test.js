// Mentions in a comment, split out for highlighting the way the server reads them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { commentParts } from "../../annotations/static/annotations/annotator/comments.js";

const mentions = (body, names) => commentParts(body, names).filter((p) => p.mention).map((p) => p.text);

test("a mention the server recorded is its own part, trailing punctuation left out", () => {
  assert.deepEqual(commentParts("thanks @pavlo.", ["pavlo"]), [
    { text: "thanks ", mention: null },
    { text: "@pavlo", mention: "pavlo" },
    { text: ".", mention: null },
  ]);
});

test("names the server did not record, and e-mail addresses, stay text", () => {
  assert.deepEqual(mentions("mail ops@example.org or @someone", ["example.org", "pavlo"]), []);
  assert.deepEqual(commentParts("plain", []), [{ text: "plain", mention: null }]);
});

test("a name ending in punctuation is whole when that user exists; Cyrillic names work", () => {
  assert.deepEqual(mentions("@dash- and @дмитро!", ["dash-", "дмитро"]), ["@dash-", "@дмитро"]);
});
