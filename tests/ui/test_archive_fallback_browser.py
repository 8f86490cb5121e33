"""The annotator's fallback to the desk's own copy, in a real browser (issue 12, item 3): a
cited page that broke offers "archived copy from DATE" in its place, and its "changed" badge
opens the changes tab of the archive viewer."""

import pytest
from django.utils import timezone

from annotations import services
from annotations.models import Evidence, LinkOutcome, SourceLink
from tests import support
from tests.ui.test_archive_viewer import archive_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITED = (
    b"<html><head><title>Statement</title></head><body><article><h1>Statement</h1>"
    b"<p>The minister said on Monday that the bridge would open in the spring.</p>"
    b"<p>Engineers from three firms inspected the supports and found them sound.</p>"
    b"</article></body></html>"
)


def test_a_broken_link_offers_its_archived_copy_and_the_changed_badge_opens_the_changes(
    open_browser, live_seeds
):
    analyst = support.cast_user("analyst")
    article = live_seeds["ru"]
    quote = article.body[:20]
    claim = services.claim_create(article=article, start=0, end=20, quote=quote, author=analyst)
    url = "https://news.example/statement"
    snapshot = archive_page(url, CITED)
    link = SourceLink.objects.get(url=url)
    evidence = Evidence.objects.create(
        claim=claim, source_link=link, url=url, added_by=analyst, pinned_snapshot=snapshot
    )
    # The page changed after it was cited (a later copy says so), then broke.
    archive_page(url, CITED.replace(b"found them sound", b"found two of them cracked"))
    Evidence.objects.filter(pk=evidence.pk).update(source_changed_at=timezone.now())
    SourceLink.objects.filter(pk=link.pk).update(outcome=LinkOutcome.BROKEN, http_status=404)
    archive_url = f"/archive/{snapshot.pk}/?evidence={evidence.pk}"

    b = open_browser()
    b.login(analyst.username, support.password_of(analyst.username))
    b.open_article(article, f"#claim={claim.pk}")
    page = b.page
    archived = page.locator("#evidence-list a.link-archived")
    archived.wait_for()
    when = page.evaluate(
        "(iso) => new Date(iso).toLocaleString()", snapshot.captured_at.isoformat()
    )
    assert archived.text_content() == f"archived copy from {when}"
    assert archived.get_attribute("href") == archive_url
    assert page.locator("#evidence-list .link-badge").first.text_content() == "broken"
    changed = page.locator("#evidence-list a.link-changed")
    assert changed.text_content() == "changed"
    assert changed.get_attribute("href") == f"{archive_url}&tab=changes"
    changed.click()
    page.wait_for_url(f"**/archive/{snapshot.pk}/?evidence={evidence.pk}&tab=changes")
    changes = page.locator("main").inner_text()
    assert "found them sound" in changes and "found two of them cracked" in changes
    archived_page = b.context.new_page()
    archived_page.goto(archive_url)
    assert url in archived_page.content()
