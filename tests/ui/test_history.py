"""The annotator: history with names (defect 12); undo of a delete restores the claim (4)."""

import pytest

from annotations import services
from annotations.models import Claim, Verdict
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user, reviewer_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_12_history_shows_names_not_user_ids(open_browser, live_seeds, analyst_user, reviewer_user):  # noqa: F811
    reviewer_user.first_name, reviewer_user.last_name = "Iryna", "Koval"
    reviewer_user.save(update_fields=["first_name", "last_name"])
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=claim, reviewer=reviewer_user)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    page = b.page
    page.locator("#history summary").click()
    page.locator("#history-list > li").nth(1).wait_for()
    history = page.locator("#history-list").text_content()
    assert "Iryna Koval claim signed off" in history
    assert "signed off by: Iryna Koval" in history
    assert f"→ {reviewer_user.pk}" not in history and "None" not in history
    assert "Verified → Verified" not in history


def test_4_undo_of_a_delete_restores_the_same_claim(open_browser, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    services.evidence_add(
        claim=claim, actor=analyst_user, url="https://example.org/kept", note="keep me"
    )
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={claim.pk}")
    page = b.page
    page.get_by_role("button", name="Delete claim").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Delete").click()
    page.wait_for_function("() => window.annotator.claims.size === 0")
    assert Claim.with_deleted.get(pk=claim.pk).is_deleted
    page.locator("#article-body").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function(f"() => window.annotator.claims.has({claim.pk})")
    assert page.evaluate("() => window.annotator.currentId") == claim.pk
    assert page.evaluate(f"() => window.annotator.claims.get({claim.pk}).evidence[0].note") == (
        "keep me"
    )
    assert Claim.objects.filter(pk=claim.pk).exists() and Claim.with_deleted.count() == 1
    page.locator("#history summary").click()
    page.locator("#history-list > li").nth(3).wait_for()
    history = page.locator("#history-list").text_content()
    assert history.index("claim restored") < history.index("claim deleted")
    assert history.index("claim deleted") < history.index("evidence created")
    assert "keep me" in history  # the evidence record, whole, kept with the claim
