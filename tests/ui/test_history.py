"""The annotator's history reads as the desk talks (issue 11, defect 12), and undo of a delete."""

import pytest

from annotations import services
from annotations.models import Verdict
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
