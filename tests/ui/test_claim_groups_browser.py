"""Same claim elsewhere, in the annotator: the Russian claim linked to its Ukrainian appearance."""

import importlib.util

import pytest

from annotations.models import Claim
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The matcher (annotations.matching and GET /api/v1/claims/{id}/matches/) is built on its
# own branch; until it is merged, the suggestions list has nothing to show.
MATCHER_MISSING = importlib.util.find_spec("annotations.matching") is None
UK_SENTENCE = (
    "Ніколас Мадуро надіслав Володимиру Путіну листа, в якому попросив допомоги в "
    "модернізації оборонних радарів і ремонті військової техніки."
)


@pytest.mark.skipif(
    MATCHER_MISSING,
    reason="annotations.matching is not importable: the matcher branch is not merged yet",
)
def test_link_the_ukrainian_appearance_from_the_suggestions(
    open_browser,
    live_seeds,
    analyst_user,  # noqa: F811
):
    from django.core.management import call_command

    call_command("rebuild_passages", verbosity=0)  # loaddata goes around the matcher's index
    ru = add_claim(live_seeds["ru"], SENTENCE, analyst_user)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(live_seeds["ru"], f"#claim={ru.pk}")
    page = b.page
    ukrainian = page.locator("#match-list .match[data-language='uk']").first
    ukrainian.wait_for()
    assert page.locator("#match-list .match").first.get_attribute("data-language") == "uk"
    assert "Мадуро" in ukrainian.text_content()
    button = ukrainian.get_by_role("button", name="Link")
    button.focus()
    page.keyboard.press("Enter")  # the row is reached and used from the keyboard
    page.locator("#group-appearances .appearance").wait_for()
    ru.refresh_from_db()
    assert ru.group_id is not None
    uk = Claim.objects.get(group_id=ru.group_id, article=live_seeds["uk"])
    assert "Мадуро" in uk.quote
    assert page.locator("#group-appearances .appearance").get_attribute("data-id") == str(uk.pk)
    page.locator("#match-list .match button", has_text="Linked").first.wait_for()
    assert not b.errors, b.errors


def test_linked_appearances_show_and_unlink_from_the_keyboard(
    open_browser,
    live_seeds,
    analyst_user,  # noqa: F811
):
    from annotations import services

    ru = add_claim(live_seeds["ru"], SENTENCE, analyst_user)
    uk_body = live_seeds["uk"].body
    start = uk_body.index(UK_SENTENCE)
    uk = services.claim_link(
        ru, article=live_seeds["uk"], start=start, end=start + len(UK_SENTENCE), user=analyst_user
    )
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(live_seeds["ru"], f"#claim={ru.pk}")
    page = b.page
    row = page.locator(f"#group-appearances .appearance[data-id='{uk.pk}']")
    row.wait_for()
    assert live_seeds["uk"].title in row.text_content()
    assert row.locator("a").get_attribute("href") == f"../{live_seeds['uk'].pk}/#claim={uk.pk}"
    if MATCHER_MISSING:
        page.locator("#match-status", has_text="Suggestions are unavailable").wait_for()
    row.get_by_role("button", name="Unlink").focus()
    page.keyboard.press("Enter")
    page.locator("#group-appearances li", has_text="Not linked to any other article").wait_for()
    ru.refresh_from_db()
    uk.refresh_from_db()
    assert ru.group_id is None and uk.group_id is None
    assert not b.errors, b.errors
