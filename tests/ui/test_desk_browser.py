"""The blind double-check in two browsers: two analysts judge one span without seeing each
other's verdict; the reviewer finds the disagreement in the review queue, decides with a reason
and a comment, and both analysts hear of it in their inbox."""

import pytest

from annotations import selectors_review
from annotations.models import Assessment, Claim, Comment, Notification, Verdict
from tests import support
from tests.ui.test_browser import SENTENCE, analyst_user, reviewer_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLIND_NOTE = "Blind review: other judgments are hidden until you submit yours."


def judge(b, verdict_label: str, rationale: str, *, version: int) -> None:
    page = b.page
    page.get_by_label("Rationale").fill(rationale)
    page.get_by_role("button", name="Save rationale").click()
    page.wait_for_function(
        "(v) => { const c = window.annotator.claims.get(window.annotator.currentId);"
        " return c.my_assessment && c.my_assessment.version === v; }",
        arg=version + 1,
    )
    page.locator("#verdict-field").get_by_text(verdict_label).click()
    page.wait_for_function(
        "(v) => { const c = window.annotator.claims.get(window.annotator.currentId);"
        " return c.my_assessment.version === v && c.judgments_visible; }",
        arg=version + 2,
    )


def test_two_analysts_judge_blind_and_the_reviewer_decides(
    open_browser,
    live_seeds,
    analyst_user,  # noqa: F811
    reviewer_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    ru.blind_review = True
    ru.save(update_fields=["blind_review"])
    support.cast_user("other_analyst")

    olena = open_browser()
    olena.login("olena", "pw-olena")
    olena.open_article(ru)
    olena.select_text(SENTENCE)
    olena.page.keyboard.press("c")
    olena.page.wait_for_selector("#claim-detail:not([hidden])")
    claim = Claim.objects.get(article=ru)
    # A highlight not judged yet: her own pending assessment, nothing else on the desk.
    judge(olena, "Verified", "WP-OLENA-REASON cites the letter.", version=1)

    pavlo = open_browser()  # a second browser context: his own session
    pavlo.login("pavlo", "pw-pavlo")
    pavlo.open_article(ru)
    assert pavlo.page.evaluate("() => window.annotator.claims.size") == 0  # not his highlight
    pavlo.select_text(SENTENCE)
    pavlo.page.keyboard.press("c")
    pavlo.page.wait_for_selector("#claim-detail:not([hidden])")
    page = pavlo.page
    assert page.evaluate("() => window.annotator.currentId") == claim.pk  # he joined it
    assert page.locator("#blind-note").is_visible()
    assert page.locator("#blind-note").text_content() == BLIND_NOTE
    panel = page.locator("#panel").text_content()
    assert "WP-OLENA-REASON" not in panel and "olena" not in panel
    assert page.locator("#desk-verdict").is_hidden()
    assert page.locator("input[name=verdict][value=pending]").is_checked()
    page.get_by_label("Rationale").fill("PAVLO-REASON: the letter is unsigned.")
    page.get_by_role("button", name="Save rationale").click()
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).my_assessment.rationale.startsWith('PAVLO')",
        arg=claim.pk,
    )
    assert "WP-OLENA-REASON" not in page.locator("#panel").text_content()
    page.locator("#verdict-field").get_by_text("Disputed").click()
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).judgments_visible", arg=claim.pk
    )
    # Submitted: now he sees her judgment, and the disagreement.
    assert page.locator("#blind-note").is_hidden()
    assert "WP-OLENA-REASON" in page.locator("#other-assessments").text_content()
    assert page.locator("#desk-verdict .disagreement-badge").text_content() == "Disagreement"
    assert page.locator("#decide-form").is_hidden()  # analysts do not decide

    iryna = open_browser()
    iryna.login("iryna", "pw-iryna")
    rp = iryna.page
    rp.goto("/admin/annotations/claim/review-queue/")
    row = rp.locator(f"tr[data-claim='{claim.pk}']")
    assert row.get_attribute("data-kind") == "disagreement"
    assert rp.locator("[data-count=disagreement]").text_content() == "1"
    row.get_by_role("link", name="in the annotator").click()
    iryna.wait_ready()
    rp.wait_for_selector("#claim-detail:not([hidden])")
    assert rp.evaluate("() => window.annotator.currentId") == claim.pk
    assert rp.locator("#claim-list .disagreement-flag").count() == 1
    assert "Disagreement" in rp.locator("#desk-verdict").text_content()
    others = rp.locator("#other-assessments").text_content()
    assert "WP-OLENA-REASON" in others and "PAVLO-REASON" in others
    rp.get_by_label("Desk verdict").select_option(Verdict.UNSOURCED)
    rp.get_by_label("Reason").fill("Neither source holds: no second outlet.")
    rp.get_by_label("Tell the analysts").fill("@olena @pavlo: one outlet is not enough.")
    rp.get_by_role("button", name="Decide").click()
    rp.wait_for_function(
        "(id) => window.annotator.claims.get(id).decided_by === 'iryna'", arg=claim.pk
    )
    assert rp.locator("#claim-list .disagreement-flag").count() == 0
    assert "Neither source holds" in rp.locator("#desk-verdict").text_content()

    claim.refresh_from_db()
    assert (claim.verdict, claim.in_disagreement, claim.decided_by) == (
        Verdict.UNSOURCED,
        False,
        reviewer_user,
    )
    rationales = dict(
        Assessment.objects.filter(claim=claim).values_list("analyst__username", "rationale")
    )
    assert rationales["olena"].startswith("WP-OLENA") and rationales["pavlo"].startswith("PAVLO")
    assert Comment.objects.get(claim=claim).body.startswith("@olena @pavlo")
    rp.locator("#comment-list .comment").first.wait_for()
    told = set(Notification.objects.values_list("recipient__username", "kind"))
    for name in ("olena", "pavlo"):
        assert (name, "verdict_decided") in told and (name, "mentioned") in told
    # The analyst's inbox count and line lead back to the claim.
    olena.page.goto("/inbox/")
    olena.page.locator(".inbox-line").first.wait_for()
    assert olena.page.locator(".inbox-line").count() == 2
    waiting = selectors_review.review_queue(kind="disagreement")
    assert claim.pk not in [row.claim_id for row in waiting.rows]  # decided: off that list
    assert waiting.counts["disagreement"] == 0
