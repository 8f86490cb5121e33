"""Every defect a new user met in the annotator (issue 11), each as a browser test."""

import re
import time

import pytest

from annotations import services
from annotations.models import Claim, Evidence, LinkOutcome, SourceLink
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user, claim_span  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER = "Николас Мадуро также обращался к Китаю"


@pytest.fixture
def olena(open_browser, analyst_user):  # noqa: F811
    b = open_browser()
    b.login("olena", "pw-olena")
    return b


def test_1_an_alert_without_retry_has_no_stray_null(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru)
    olena.select_text(SENTENCE)
    olena.page.keyboard.press("c")
    alert = olena.page.locator("#alerts")
    alert.get_by_role("button", name=re.compile("Dismiss")).wait_for()
    assert "null" not in alert.text_content()


def test_2_an_error_goes_once_a_later_write_succeeds(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru)
    page = olena.page
    olena.select_text(SENTENCE)
    page.keyboard.press("c")
    page.locator("#alerts p").wait_for()
    olena.select_text(OTHER)
    page.keyboard.press("c")
    page.wait_for_function("() => window.annotator.claims.size === 2")
    assert page.locator("#alerts").text_content() == ""


def test_3_typing_the_next_evidence_while_one_saves_loses_nothing(
    olena,
    live_seeds,
    analyst_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page

    def slow(route):
        time.sleep(0.6)
        route.continue_()

    page.route("**/api/v1/evidence/", slow)
    url = page.get_by_label("URL")
    url.fill("https://example.org/first")
    page.get_by_role("button", name="Add evidence").click()
    url.press_sequentially("https://example.org/second", delay=10)
    page.wait_for_function(
        "() => document.querySelectorAll('#evidence-list .evidence-item').length === 1"
    )
    assert url.input_value() == "https://example.org/second"
    page.get_by_role("button", name="Add evidence").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#evidence-list .evidence-item').length === 2"
    )
    assert sorted(claim.evidence.values_list("url", flat=True)) == [
        "https://example.org/first",
        "https://example.org/second",
    ]


def test_3_a_failed_evidence_save_says_so_and_keeps_the_input(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page
    page.route("**/api/v1/evidence/", lambda route: route.abort())
    page.get_by_label("URL").fill("https://example.org/lost")
    page.get_by_label("Note").fill("my note")
    page.get_by_role("button", name="Add evidence").click()
    page.locator("#alerts").get_by_text("cannot be reached").wait_for()
    assert page.get_by_label("URL").input_value() == "https://example.org/lost"
    assert page.get_by_label("Note").input_value() == "my note"


def test_4_delete_asks_first(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    for n in range(6):
        services.evidence_add(claim=claim, actor=analyst_user, url=f"https://example.org/{n}")
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page
    page.get_by_role("button", name="Delete claim").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert "6 evidence items" in dialog.text_content()
    dialog.get_by_role("button", name="Keep the claim").click()
    assert Claim.objects.filter(pk=claim.pk).exists()
    page.get_by_role("button", name="Delete claim").click()
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_function("() => window.annotator.claims.size === 0")
    assert not Claim.objects.filter(pk=claim.pk).exists()


def test_5_escape_from_the_panel_returns_focus_to_the_claim_in_the_list(
    olena,
    live_seeds,
    analyst_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru)
    page = olena.page
    page.locator(f"#claim-list .claim-item[data-id='{claim.pk}']").click()
    page.locator("#claim-detail").focus()
    page.keyboard.press("Escape")
    page.wait_for_selector("#claim-detail[hidden]", state="attached")
    assert page.evaluate("() => document.activeElement.dataset.id") == str(claim.pk)


def test_6_changing_the_claim_fragment_opens_that_claim(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    first = add_claim(ru, SENTENCE, analyst_user)
    second = add_claim(ru, OTHER, analyst_user)
    olena.open_article(ru, f"#claim={first.pk}")
    page = olena.page
    page.evaluate(f"() => {{ location.hash = 'claim={second.pk}'; }}")
    page.wait_for_function(f"() => window.annotator.currentId === {second.pk}")


def test_6_shortcuts_work_with_caps_lock(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    first = add_claim(ru, SENTENCE, analyst_user)
    second = add_claim(ru, OTHER, analyst_user)
    olena.open_article(ru)
    page = olena.page
    page.locator("#article-body").focus()
    # Caps Lock on: the keys arrive as capitals without Shift.
    page.keyboard.press("J")
    page.wait_for_function("() => window.annotator.currentId !== null")
    ids = sorted([first.pk, second.pk], key=lambda pk: Claim.objects.get(pk=pk).start)
    assert page.evaluate("() => window.annotator.currentId") == ids[0]
    page.keyboard.press("J")
    page.wait_for_function(f"() => window.annotator.currentId === {ids[1]}")
    page.keyboard.press("K")
    page.wait_for_function(f"() => window.annotator.currentId === {ids[0]}")
    page.keyboard.press("H")
    page.wait_for_function("() => document.getElementById('history').open")
    page.keyboard.press("R")
    page.wait_for_function("() => document.activeElement.id === 'rationale'")


def test_6_enter_without_a_caret_says_what_to_do(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru)
    page = olena.page
    page.evaluate("() => document.getSelection().removeAllRanges()")
    page.locator("#article-body").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('messages').textContent.includes('caret')"
    )


def test_9_a_very_long_selection_asks_before_it_becomes_a_claim(
    olena,
    live_seeds,
    analyst_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    olena.open_article(ru)
    page = olena.page
    page.evaluate("() => window.annotator.selectCps(0, window.annotator.bodyCps.length)")
    page.locator("#selection-toolbar").wait_for(state="visible")
    page.keyboard.press("c")
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert "whole article" in dialog.text_content() or "%" in dialog.text_content()
    dialog.get_by_role("button", name="Keep selecting").click()
    assert not Claim.objects.exists()


def test_10_a_duplicate_span_offers_the_existing_claim(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru)
    page = olena.page
    olena.select_text(SENTENCE)
    page.keyboard.press("c")
    alert = page.locator("#alerts")
    alert.get_by_role("button", name="Open the existing claim").click()
    page.wait_for_function(f"() => window.annotator.currentId === {claim.pk}")
    text = alert.text_content() or ""
    assert not re.search(r"\d+-\d+", text) and "start:" not in text


def test_11_blocked_is_explained_and_a_link_can_be_checked_again(
    olena,
    live_seeds,
    analyst_user,  # noqa: F811
):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    evidence = services.evidence_add(claim=claim, actor=analyst_user, url="http://10.0.0.7/page")
    SourceLink.objects.filter(pk=evidence.source_link_id).update(outcome=LinkOutcome.BLOCKED)
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page
    badge = page.locator("#evidence-list .link-badge").first
    assert badge.text_content() == "blocked"
    assert "private or local network" in badge.get_attribute("title")
    page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    assert "private or local network" in page.locator("#shortcuts").text_content()
    page.keyboard.press("Escape")
    page.locator("#evidence-list").get_by_role("button", name=re.compile("^Check again")).click()
    page.locator("#messages").get_by_text("check").wait_for()
    assert Evidence.objects.get(pk=evidence.pk).source_link.outcome in (
        LinkOutcome.BLOCKED,
        LinkOutcome.PENDING,
    )


def test_11_check_again_is_rate_limited_per_user_and_says_so(
    olena,
    live_seeds,
    analyst_user,  # noqa: F811
    settings,
):
    from django.core.cache import cache

    settings.LINKCHECK_USER_RECHECK_RATE = "1/min"
    cache.clear()
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    services.evidence_add(claim=claim, actor=analyst_user, url="https://example.org/page")
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page
    button = page.locator("#evidence-list").get_by_role("button", name=re.compile("^Check again"))
    button.click()
    page.locator("#messages").get_by_text("check").wait_for()
    button.click()
    page.locator("#alerts").get_by_text("many link checks in a short time").wait_for()
    cache.clear()


def test_4_undo_survives_a_reload_and_redo_exists(olena, live_seeds, analyst_user):  # noqa: F811
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    olena.open_article(ru, f"#claim={claim.pk}")
    page = olena.page
    page.locator("#claim-detail").focus()
    page.keyboard.press("d")
    page.wait_for_function("() => window.annotator.claims.values().next().value.version === 2")
    page.reload()
    olena.wait_ready()
    page.locator("#claim-detail").focus()
    page.keyboard.press("Control+z")
    page.locator("#messages").get_by_text("Undone: the verdict").wait_for()
    claim.refresh_from_db()
    assert claim.verdict == "pending"
    page.keyboard.press("Control+Shift+z")
    page.locator("#messages").get_by_text("Redone: the verdict").wait_for()
    claim.refresh_from_db()
    assert claim.verdict == "disputed"
