"""The archive viewer (issue 12, item 3): the banner and tabs over a snapshot, the raw copy
under its own sandbox policy, who may see them, and the links from citations to them."""

import pytest
from django.urls import reverse

from annotations.archive_views import RAW_CONTENT_SECURITY_POLICY
from annotations.models import Evidence, LinkOutcome, Snapshot, SourceLink
from tests.linkcheck.test_snapshots import PDF, PNG, article, check, serve

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

NEWS = (
    "<html><head><title>News</title></head><body><nav>Home | World | Sport</nav>"
    "<article><h1>The minister's statement</h1>"
    "<p>The minister said on Monday that the bridge would open in the spring of next year.</p>"
    "<p>Engineers from three firms have inspected the supports and found them sound.</p>"
    "<p>The cost of the project has risen twice since the plans were first published.</p>"
    "</article><footer>Most read: weather</footer></body></html>"
)


def raw(snapshot: Snapshot) -> str:
    return reverse("archive-raw", args=[snapshot.pk])


def view(snapshot: Snapshot) -> str:
    return reverse("archive-view", args=[snapshot.pk])


@pytest.fixture
def news(web):
    return serve(web, "/news", NEWS.encode())


def test_the_raw_copy_is_served_as_it_came_under_the_sandbox_policy(db, client, analyst, news):
    check(news)
    snapshot = Snapshot.objects.get()
    client.force_login(analyst)
    answer = client.get(raw(snapshot))
    assert answer.status_code == 200
    assert answer.content == NEWS.encode()
    assert answer["Content-Type"] == "text/html; charset=utf-8"
    # The view's policy stands: the global middleware neither replaces nor widens it.
    assert answer["Content-Security-Policy"] == RAW_CONTENT_SECURITY_POLICY
    assert answer["Content-Security-Policy"].startswith("sandbox; default-src 'none';")
    assert "allow-" not in answer["Content-Security-Policy"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Referrer-Policy"] == "no-referrer"
    assert answer["Cache-Control"] == "private"
    assert answer["X-Frame-Options"] == "SAMEORIGIN"  # framed by the viewer alone
    assert "Content-Disposition" not in answer


def test_the_viewer_shows_the_banner_and_frames_the_copy_inert(db, client, analyst, news):
    check(news)
    snapshot = Snapshot.objects.get()
    client.force_login(analyst)
    page = client.get(view(snapshot))
    html = page.content.decode()
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for fact in (news, snapshot.body_sha256, "archived by this desk", "200"):
        assert fact in html
    assert '<iframe class="archive-frame" sandbox title=' in html
    assert f'src="{raw(snapshot)}"' in html
    assert "Truncated" not in html


def test_a_truncated_copy_says_so(db, client, analyst, web, settings):
    settings.ARCHIVE_MAX_BODY_BYTES = 1000
    check(serve(web, "/long", article()))
    client.force_login(analyst)
    html = client.get(view(Snapshot.objects.get())).content.decode()
    assert "Truncated" in html and "cut at the archive's size cap" in html


@pytest.mark.parametrize("which", ["view", "raw"])
def test_anonymous_visitors_are_sent_to_sign_in(db, client, news, which):
    check(news)
    snapshot = Snapshot.objects.get()
    answer = client.get(view(snapshot) if which == "view" else raw(snapshot))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("which", ["view", "raw"])
def test_accounts_without_a_desk_role_are_refused(db, client, outsider, news, which):
    check(news)
    snapshot = Snapshot.objects.get()
    client.force_login(outsider)
    answer = client.get(view(snapshot) if which == "view" else raw(snapshot))
    assert answer.status_code == 403
    assert NEWS.encode() not in answer.content


def test_an_unknown_snapshot_is_a_404(db, client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("archive-raw", args=[999])).status_code == 404
    assert client.get(reverse("archive-view", args=[999])).status_code == 404


def test_a_revisit_shows_its_originals_body(db, client, analyst, news):
    check(news)
    check(news)
    original, revisit = Snapshot.objects.order_by("captured_at")
    assert revisit.refers_to == original
    client.force_login(analyst)
    assert client.get(raw(revisit)).content == NEWS.encode()
    html = client.get(view(revisit)).content.decode()
    assert "the same body as the copy of" in html
    text = client.get(view(revisit) + "?tab=text").content.decode()
    assert "found them sound" in text


def test_a_copy_whose_file_is_gone_is_410_not_500(db, client, analyst, news):
    from annotations.linkcheck import archive

    check(news)
    snapshot = Snapshot.objects.get()
    archive.snapshot_storage().delete(snapshot.storage_key)
    client.force_login(analyst)
    assert client.get(raw(snapshot)).status_code == 410
    assert client.get(view(snapshot) + "?tab=text").status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "attachment"),
    [(PDF, "application/pdf", True), (PNG, "image/png", False)],
)
def test_a_copy_that_is_not_html_is_served_as_it_came(
    db, client, analyst, web, body, content_type, attachment
):
    check(serve(web, "/file", body, content_type))
    snapshot = Snapshot.objects.get()
    client.force_login(analyst)
    answer = client.get(raw(snapshot))
    assert answer.content == body and answer["Content-Type"] == content_type
    assert answer["Content-Security-Policy"] == RAW_CONTENT_SECURITY_POLICY
    assert ("attachment" in answer.get("Content-Disposition", "")) is attachment
    page = client.get(view(snapshot)).content.decode()
    assert ("<iframe" in page) is not attachment
    assert "No main text" in client.get(view(snapshot) + "?tab=text").content.decode()
    assert "No text diff" in client.get(view(snapshot) + "?tab=changes").content.decode()


def test_the_text_tab_highlights_the_citations_excerpt(db, client, analyst, news, cite):
    check(news)
    evidence = cite(news, excerpt="the bridge would open   in the spring")
    evidence.refresh_from_db()
    snapshot = evidence.pinned_snapshot
    assert snapshot is not None
    client.force_login(analyst)
    html = client.get(view(snapshot) + f"?evidence={evidence.pk}&tab=text").content.decode()
    assert '<mark class="archive-excerpt">the bridge would open in the spring</mark>' in html
    assert "Most read" not in html  # the main text, not the page's furniture
    plain = client.get(view(snapshot) + "?tab=text").content.decode()
    assert "<mark" not in plain and "found them sound" in plain


def test_the_changes_tab_diffs_the_pinned_copy_against_the_latest(db, client, analyst, web, cite):
    url = serve(web, "/news", NEWS.encode())
    check(url)
    evidence = cite(url, excerpt="found them sound")
    edited = NEWS.replace("found them sound", "found cracks in two of them")
    serve(web, "/news", edited.encode())
    check(url)
    evidence.refresh_from_db()
    pinned = evidence.pinned_snapshot
    assert pinned is not None and Snapshot.objects.count() == 2
    client.force_login(analyst)
    html = client.get(view(pinned) + f"?evidence={evidence.pk}&tab=changes").content.decode()
    assert '<li class="diff-removed">' in html and '<li class="diff-added">' in html
    assert "found cracks in two of them" in html
    removed = html.split('<li class="diff-removed">')[1].split("</li>")[0]
    assert "found them sound" in removed
    # Opened without a citation: this copy against the latest, the same edit.
    assert "diff-added" in client.get(view(pinned) + "?tab=changes").content.decode()


def test_the_api_gives_each_citation_its_archive_url(db, client, analyst, news, cite):
    check(news)
    evidence = cite(news)
    evidence.refresh_from_db()
    client.force_login(analyst)
    data = client.get(f"/api/v1/claims/{evidence.claim_id}/").json()
    (item,) = data["evidence"]
    assert item["archive_url"] == f"{view(evidence.pinned_snapshot)}?evidence={evidence.pk}"
    assert item["archived_at"]
    assert client.get(item["archive_url"]).status_code == 200


def test_the_admin_offers_the_archived_copy_in_a_dead_links_place(db, client, reviewer, news, cite):
    check(news)
    evidence = cite(news)
    evidence.refresh_from_db()
    SourceLink.objects.update(outcome=LinkOutcome.BROKEN, http_status=404)
    Evidence.objects.update(source_changed_at=evidence.created_at)
    client.force_login(reviewer)
    html = client.get(
        reverse("admin:annotations_claim_change", args=[evidence.claim_id])
    ).content.decode()
    target = f"{view(evidence.pinned_snapshot)}?evidence={evidence.pk}"
    when = f"{evidence.pinned_snapshot.captured_at:%Y-%m-%d %H:%M}"
    assert f'<a href="{target}">archived copy from {when}</a>' in html
    assert f'<a href="{target}&amp;tab=changes">what changed</a>' in html


SCRIPTED = b"<html><body><script>document.title = 'ran'</script><p>Plain words</p></body></html>"


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/json"])
def test_the_raw_copy_keeps_the_stored_content_type_whatever_the_body_looks_like(
    db, client, analyst, web, content_type
):
    """HTML served by its site as something else is served as that: never sniffed into a page,
    and nothing in the request (a query, an Accept header) makes it one."""
    check(serve(web, "/looks-like-html", SCRIPTED, content_type))
    snapshot = Snapshot.objects.get()
    assert snapshot.content_type == content_type
    client.force_login(analyst)
    for answer in (
        client.get(raw(snapshot)),
        client.get(raw(snapshot) + "?content_type=text/html&format=html"),
        client.get(raw(snapshot), HTTP_ACCEPT="text/html"),
    ):
        assert answer.status_code == 200 and answer.content == SCRIPTED
        assert answer["Content-Type"] == content_type
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert answer["Content-Security-Policy"] == RAW_CONTENT_SECURITY_POLICY
        assert "attachment" in answer["Content-Disposition"]


def test_a_raw_copy_stored_without_a_content_type_is_a_download_of_octets(db, client, analyst, web):
    check(serve(web, "/untyped", SCRIPTED, None))
    snapshot = Snapshot.objects.get()
    assert snapshot.content_type == ""
    client.force_login(analyst)
    answer = client.get(raw(snapshot))
    assert answer.content == SCRIPTED
    assert answer["Content-Type"] == "application/octet-stream"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in answer["Content-Disposition"]
