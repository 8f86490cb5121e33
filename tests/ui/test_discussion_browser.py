"""Discussion in the annotator and the inbox: A mentions @B; B sees the count, opens the line."""

import re

import pytest

from annotations.models import Comment, Notification, Verdict
from tests import support
from tests.ui.test_browser import SENTENCE, add_claim, analyst_user  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_mention_reaches_the_inbox_and_leads_to_the_claim(open_browser, live_seeds, analyst_user):  # noqa: F811
    pavlo = support.cast_user("other_analyst")
    claim = add_claim(live_seeds["ru"], SENTENCE, pavlo, verdict=Verdict.VERIFIED)

    a = open_browser()
    a.login("olena", "pw-olena")
    a.open_article(live_seeds["ru"], f"#claim={claim.pk}")
    page = a.page
    page.locator("#comment-list > li").first.wait_for()
    assert "No comments yet." in page.locator("#comment-list").text_content()
    # olena did not write the claim, yet she may discuss it.
    assert page.locator("#comment-body").is_enabled()
    page.get_by_label("Comment").fill("@nobody look")
    page.get_by_role("button", name="Post comment").click()
    page.locator("#comment-error").filter(has_text="@nobody").wait_for()
    page.get_by_label("Comment").fill("Is the letter public, @pavlo?")
    page.get_by_role("button", name="Post comment").click()
    page.locator("#comment-list .comment").wait_for()
    mention = page.locator("#comment-list .mention")
    assert mention.text_content() == "@pavlo"
    assert page.locator("#comment-body").input_value() == ""
    assert Comment.objects.get().mentions.get() == pavlo

    b = open_browser()
    b.login("pavlo", "pw-pavlo")
    header = b.page.locator(".inbox-link")
    assert header.locator(".inbox-count").text_content().strip().startswith("1")
    header.click()
    b.page.wait_for_url(re.compile(r"/inbox/$"))
    line = b.page.locator(".inbox-line.unread")
    assert line.count() == 1
    assert "olena mentioned you on claim" in line.text_content()
    line.locator(".inbox-message").click()
    b.page.wait_for_url(re.compile(rf"/articles/{claim.article_id}/#claim={claim.pk}$"))
    b.wait_ready()
    b.page.wait_for_function(f"() => window.annotator.currentId === {claim.pk}")
    b.page.locator("#comment-list .mention").wait_for()
    assert "Is the letter public" in b.page.locator("#comment-list").text_content()
    assert b.page.locator(".inbox-count").count() == 0
    assert Notification.objects.get().read_at is not None
    assert not a.errors and not b.errors, (a.errors, b.errors)
