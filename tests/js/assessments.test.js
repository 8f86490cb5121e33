// The review desk's pure helpers: which changes are assessments, and how a hidden desk verdict reads.
import assert from "node:assert/strict";
import { test } from "node:test";

import { assessmentMethods, isJudgment } from "../../annotations/static/annotations/annotator/assessments.js";

test("a verdict or rationale change is the writer's own assessment", () => {
  assert.equal(isJudgment({ verdict: "verified" }), true);
  assert.equal(isJudgment({ verdict: "verified", rationale: "WP" }), true);
  assert.equal(isJudgment({ start: 3, end: 9 }), false);
  assert.equal(isJudgment({ verdict: "verified", start: 3 }), false);
  assert.equal(isJudgment({}), false);
});

test("the desk verdict hidden by the blind rule is shown as hidden, never as pending", () => {
  const methods = { ...assessmentMethods, config: { verdicts: { pending: "Pending" } }, verdictLabel: (v) => v };
  assert.equal(methods.deskClass({ verdict: null }), "hidden");
  assert.equal(methods.deskLabel({ verdict: null }), "Desk verdict hidden");
  assert.equal(methods.deskClass({ verdict: "pending" }), "pending");
  assert.equal(methods.ownVerdict({ my_assessment: null }), "pending");
  assert.equal(methods.ownVerdict({ my_assessment: { verdict: "disputed" } }), "disputed");
});
