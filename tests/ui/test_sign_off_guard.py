"""Sign-offs that are not lost by accident, in the annotator (issue 10, item 8)."""

import re

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import Claim, Verdict
from tests import support
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user, reviewer_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WITHDRAW_MESSAGE = re.compile(
    r"This claim was signed off by iryna on \d{4}-\d\d-\d\d\. Changing it withdraws the "
    r"sign-off; a reviewer must sign it off again\."
)


@pytest.fixture
def olena(open_browser, analyst_user):  # noqa: F811
    b = open_browser()
    b.login("olena", "pw-olena")
    return b


@pytest.fixture
def signed_claim(live_seeds, analyst_user, reviewer_user):  # noqa: F811
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    services.evidence_add(claim=claim, actor=analyst_user, url="https://example.org/letter")
    return services.claim_sign_off(claim=claim, reviewer=reviewer_user)


def count_patches(page) -> list[str]:
    patches: list[str] = []
    page.on(
        "request",
        # A verdict is the analyst's own assessment (PUT); a span change patches the claim.
        lambda request: patches.append(request.url) if request.method in ("PATCH", "PUT") else None,
    )
    return patches


def fresh(claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def test_cancel_keeps_the_sign_off(olena, live_seeds, signed_claim):
    olena.open_article(live_seeds["ru"], f"#claim={signed_claim.pk}")
    page = olena.page
    patches = count_patches(page)
    page.locator("#verdict-field").get_by_text("Disputed").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert WITHDRAW_MESSAGE.search(dialog.text_content())
    # Cancel is the default: the focus is on it, so Enter cancels.
    assert page.evaluate("() => document.activeElement.id") == "confirm-no"
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
    expect(page.locator("input[name=verdict][value=verified]")).to_be_checked()
    expect(page.locator("#messages")).to_contain_text("the sign-off stands")
    assert patches == []
    claim = fresh(signed_claim)
    assert (claim.verdict, claim.is_signed_off, claim.version) == (
        "verified",
        True,
        signed_claim.version,
    )


def test_escape_cancels_a_rationale_change_and_keeps_the_typing(olena, live_seeds, signed_claim):
    olena.open_article(live_seeds["ru"], f"#claim={signed_claim.pk}")
    page = olena.page
    page.get_by_label("Rationale").fill("A second thought.")
    page.get_by_role("button", name="Save rationale").click()
    page.locator("#confirm-dialog").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#confirm-dialog").wait_for(state="hidden")
    assert page.get_by_label("Rationale").input_value() == "A second thought."
    assert fresh(signed_claim).is_signed_off


def test_confirm_withdraws_and_undo_says_a_reviewer_must_sign_off_again(
    olena, live_seeds, signed_claim
):
    olena.open_article(live_seeds["ru"], f"#claim={signed_claim.pk}")
    page = olena.page
    page.locator("#verdict-field").get_by_text("Disputed").click()
    dialog = page.locator("#confirm-dialog")
    dialog.get_by_role("button", name="Change it and withdraw the sign-off").click()
    page.wait_for_function(
        "() => window.annotator.claims.values().next().value.verdict === 'disputed'"
    )
    claim = fresh(signed_claim)
    assert (claim.verdict, claim.is_signed_off) == ("disputed", False)
    assert claim.sign_off_withdrawn_at is not None  # the review queue lists it
    assert "The sign-off is withdrawn" in page.locator("#messages").text_content()

    page.locator("#claim-detail").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "() => document.getElementById('messages').textContent.startsWith('Undone')"
    )
    message = page.locator("#messages").text_content()
    assert "The sign-off is not restored: only a reviewer can sign this claim off again" in message
    claim = fresh(signed_claim)
    assert (claim.verdict, claim.is_signed_off) == ("verified", False)
    assert claim.sign_off_withdrawn_at is not None
    assert page.locator("#confirm-dialog").is_hidden()  # nothing signed off: nothing to ask


def test_arrow_keys_in_the_verdicts_save_once(olena, live_seeds, analyst_user):  # noqa: F811
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user)
    olena.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    page = olena.page
    patches = count_patches(page)
    page.locator("input[name=verdict][value=pending]").focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")  # pending -> verified -> disputed -> unsourced
    page.keyboard.press("ArrowUp")  # -> disputed
    assert page.locator("input[name=verdict][value=disputed]").is_checked()
    assert page.locator("#verdict-staged").is_visible()
    assert patches == []
    assert fresh(claim).verdict == "pending"

    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('messages').textContent.startsWith('Saved')"
    )
    assert len(patches) == 1
    assert fresh(claim).verdict == "disputed"
    assert page.locator("#verdict-staged").is_hidden()
    updates = claim.history.filter(action="updated").count()
    assert updates == 1

    # One undo entry for the whole burst: undo goes straight back to pending.
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "() => document.getElementById('messages').textContent.startsWith('Undone')"
    )
    assert fresh(claim).verdict == "pending"


def test_escape_goes_back_to_the_saved_verdict_and_tab_saves(olena, live_seeds, analyst_user):  # noqa: F811
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user)
    olena.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    page = olena.page
    patches = count_patches(page)
    page.locator("input[name=verdict][value=pending]").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    assert page.locator("input[name=verdict][value=pending]").is_checked()
    assert page.locator("#claim-detail").is_visible()  # the first Escape only cancels
    assert patches == []

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # leaving the group saves what it shows
    page.wait_for_function(
        "() => document.getElementById('messages').textContent.startsWith('Saved')"
    )
    assert len(patches) == 1
    assert fresh(claim).verdict == "disputed"


def test_arrow_keys_on_a_signed_off_claim_ask_once(olena, live_seeds, signed_claim):
    olena.open_article(live_seeds["ru"], f"#claim={signed_claim.pk}")
    page = olena.page
    patches = count_patches(page)
    page.locator("input[name=verdict][value=verified]").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("#confirm-dialog").is_hidden()
    page.keyboard.press("Enter")
    page.locator("#confirm-dialog").wait_for(state="visible")
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("input[name=verdict][value=verified]")).to_be_checked()
    assert patches == []
    assert fresh(signed_claim).is_signed_off


def test_reviewers_see_what_blocks_a_sign_off(
    open_browser,
    live_seeds,
    analyst_user,  # noqa: F811
    reviewer_user,  # noqa: F811
):
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    b = open_browser()
    b.login("iryna", support.password_of("iryna"))
    b.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    page = b.page
    blockers = page.locator("#sign-off-blockers")
    assert blockers.is_visible()
    assert blockers.locator("li").all_text_contents() == ["No rationale.", "No evidence."]
    page.get_by_role("button", name="Sign off").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Cancel").click()
    assert not fresh(claim).is_signed_off
    page.get_by_role("button", name="Sign off").click()
    dialog.get_by_role("button", name="Sign off anyway").click()
    page.wait_for_function(
        "() => document.getElementById('messages').textContent === 'Signed off.'"
    )
    assert fresh(claim).signed_off_by == reviewer_user
    assert blockers.is_hidden()


def test_analysts_see_no_blockers(olena, live_seeds, analyst_user):  # noqa: F811
    claim = add_claim(live_seeds["ru"], SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    olena.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    assert olena.page.locator("#sign-off-blockers").is_hidden()
