"""Publishing fact-checks, their public pages, index, feed and sitemap, as anonymous readers."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote as url_quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import selectors_public, services
from annotations.csp import CONTENT_SECURITY_POLICY
from annotations.models import Claim, HistoryEntry
from tests.api.conftest import client_for
from tests.public_support import PUBLISHED_QUOTE, WAYBACK, build_public_desk

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def desk(ru_article, uk_article, analyst, reviewer):
    return build_public_desk(ru_article, uk_article, analyst, reviewer)


def page_of(claim: Claim) -> str:
    return f"/fact-checks/{claim.pk}-{claim.public_slug or 'claim'}/"


# --- publishing rules


def test_only_a_signed_off_claim_can_be_published(make_claim, ru_article, reviewer):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    with pytest.raises(ValidationError) as caught:
        services.claim_publish(claim=claim, reviewer=reviewer)
    assert caught.value.error_dict["signed_off"][0].code == "publish_not_signed_off"
    assert caught.value.messages == [services.MSG_PUBLISH_NOT_SIGNED_OFF]
    claim.refresh_from_db()
    assert claim.published_at is None and claim.public_slug == ""


def test_only_reviewers_publish(make_claim, ru_article, reviewer, analyst):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    with pytest.raises(PermissionDenied, match=services.MSG_NO_RIGHT_PUBLISH):
        services.claim_publish(claim=claim, reviewer=analyst)
    services.claim_publish(claim=claim, reviewer=reviewer)
    with pytest.raises(PermissionDenied, match=services.MSG_NO_RIGHT_PUBLISH):
        services.claim_unpublish(claim=claim, reviewer=analyst)


def test_publish_and_unpublish_leave_history_and_keep_the_slug(
    make_claim, ru_article, reviewer, client
):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    published = services.claim_publish(claim=claim, reviewer=reviewer)
    assert published.public_slug == "президент-венесуэлы-написал-письмо-для"
    assert services.claim_publish(claim=claim, reviewer=reviewer).version == published.version
    services.claim_unpublish(claim=claim, reviewer=reviewer)
    claim.refresh_from_db()
    assert claim.published_at is None and claim.public_slug == published.public_slug
    actions = list(
        HistoryEntry.objects.filter(claim_ref=claim.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["published", "unpublished"]
    assert client.get(page_of(claim)).status_code == 410
    services.claim_publish(claim=claim, reviewer=reviewer)
    claim.refresh_from_db()
    assert client.get(page_of(claim)).status_code == 200  # the same address again


def test_a_withdrawn_sign_off_hides_the_page_until_published_again(
    make_claim, ru_article, reviewer, analyst, client
):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="old")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    services.claim_publish(claim=claim, reviewer=reviewer)
    claim.refresh_from_db()
    assert client.get(page_of(claim)).status_code == 200
    services.claim_update(claim=claim, actor=analyst, rationale="new reasoning")
    assert client.get(page_of(claim)).status_code == 410
    services.claim_sign_off(claim=claim, reviewer=reviewer)  # vouching is not publishing
    response = client.get(page_of(claim))
    assert response.status_code == 410
    assert b"new reasoning" not in response.content
    services.claim_publish(claim=claim, reviewer=reviewer)
    assert b"new reasoning" in client.get(page_of(claim)).content


def test_a_deleted_claim_page_is_gone(make_claim, ru_article, reviewer, client):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    claim = services.claim_publish(claim=claim, reviewer=reviewer)
    services.claim_delete(claim=claim, actor=reviewer)
    assert client.get(page_of(claim)).status_code == 410


def test_never_published_is_not_found_and_a_wrong_slug_redirects(desk, client):
    never = desk.hidden[0]
    assert client.get(f"/fact-checks/{never.pk}-claim/").status_code == 404
    response = client.get(f"/fact-checks/{desk.published.pk}-old-slug/")
    assert response.status_code == 301
    assert response["Location"] == selectors_public.public_path(desk.published)


# --- the page


def test_public_page_shows_the_fact_check_to_anyone(desk, client, settings):
    settings.DESK_URL = "https://factcheck.example.org/"
    claim = desk.published
    response = client.get(page_of(claim))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<mark class="claim-quote">{PUBLISHED_QUOTE}</mark>' in html
    assert "WP пишет, что " in html  # the paragraph around it
    assert "Verified" in html and claim.rationale in html
    assert "Копия письма" in html and "просит о помощи" in html and WAYBACK in html
    assert "/archive/" not in html and "/api/" not in html  # nothing behind the login
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert response.wsgi_request.session.is_empty()
    url = "https://factcheck.example.org" + selectors_public.public_path(claim)
    assert f'<link rel="canonical" href="{url}">' in html
    json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert json_ld and f'"url": "{url}"' in json_ld.group(1)


def test_the_index_pages_through_the_published_fact_checks(
    desk, client, monkeypatch, make_claim, ru_article, reviewer, django_assert_num_queries
):
    for quote in ("Венесуэла просит Россию", "Николас Мадуро", "Кремле"):
        claim = make_claim(ru_article, quote, verdict="disputed", rationale="r")
        services.claim_sign_off(claim=claim, reviewer=reviewer)
        services.claim_publish(claim=claim, reviewer=reviewer)
    monkeypatch.setattr(selectors_public, "PUBLIC_PAGE_SIZE", 2)
    with django_assert_num_queries(3):  # count, page, evidence
        first = client.get("/fact-checks/")
    assert first.status_code == 200
    html = first.content.decode()
    assert html.count('class="fact-check-item"') == 2 and 'rel="next"' in html
    second = client.get("/fact-checks/?page=2").content.decode()
    assert second.count('class="fact-check-item"') == 2
    assert PUBLISHED_QUOTE[:40] in second  # the oldest published comes last
    assert client.get("/fact-checks/?page=3").status_code == 404
    assert client.get("/fact-checks/?page=x").status_code == 404


def test_the_feed_is_atom_with_every_published_fact_check(desk, client, settings):
    settings.DESK_URL = "https://factcheck.example.org/"
    response = client.get("/fact-checks/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == "https://factcheck.example.org" + selectors_public.public_path(desk.published)
    assert entries[0].find(f"{ATOM}title").text.startswith("Verified: «президент")


def test_the_sitemap_lists_the_index_and_every_published_page(desk, client, settings):
    settings.DESK_URL = "https://factcheck.example.org/"
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    locs = [e.text for e in ET.fromstring(response.content).iter(f"{SITEMAP}loc")]
    assert locs == [
        "https://factcheck.example.org/fact-checks/",
        "https://factcheck.example.org" + selectors_public.public_path(desk.published),
    ]


# --- the entry points: API and admin


def test_api_publishes_and_unpublishes(make_claim, ru_article, reviewer, analyst, client):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    api = client_for(reviewer)
    url = f"/api/v1/claims/{claim.pk}/publish/"
    refused = api.post(url)
    assert refused.status_code == 400
    assert refused.json()["codes"] == {"signed_off": ["publish_not_signed_off"]}
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert client_for(analyst).post(url).status_code == 403
    done = api.post(url)
    assert done.status_code == 200
    public_url = done.json()["public_url"]
    slug = url_quote("президент-венесуэлы-написал-письмо-для")
    assert public_url == f"http://localhost:8000/fact-checks/{claim.pk}-{slug}/"
    assert done.json()["published_at"]
    gone = api.delete(url)
    assert gone.status_code == 200 and gone.json()["public_url"] is None
    assert client.get(page_of(Claim.objects.get(pk=claim.pk))).status_code == 410


def test_admin_action_and_button_publish(make_claim, ru_article, reviewer, client):
    claim = make_claim(ru_article, PUBLISHED_QUOTE, verdict="verified", rationale="r")
    other = make_claim(ru_article, "Николас Мадуро", verdict="verified", rationale="r")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    client.force_login(reviewer)
    response = client.post(
        "/admin/annotations/claim/",
        {"action": "publish", "_selected_action": [claim.pk, other.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert "1 claim(s) published." in messages
    assert any(services.MSG_PUBLISH_NOT_SIGNED_OFF in m for m in messages)
    claim.refresh_from_db()
    assert services.claim_is_public(claim)
    page = client.get(f"/admin/annotations/claim/{claim.pk}/change/").content.decode()
    assert f'formaction="/admin/annotations/claim/{claim.pk}/unpublish/"' in page
    client.post(f"/admin/annotations/claim/{claim.pk}/unpublish/")
    claim.refresh_from_db()
    assert claim.published_at is None
    client.post(f"/admin/annotations/claim/{claim.pk}/publish/")
    claim.refresh_from_db()
    assert services.claim_is_public(claim)


def test_the_page_runs_a_fixed_number_of_queries(desk, client, analyst, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = page_of(desk.published)
    with CaptureQueriesContext(connection) as before:
        assert client.get(path).status_code == 200
    for n in range(3):
        services.evidence_add(claim=desk.published, actor=analyst, url=f"https://example.org/{n}")
    services.claim_publish(claim=desk.published, reviewer=reviewer)  # re-published: all shown
    with CaptureQueriesContext(connection) as after:
        html = client.get(path).content.decode()
    assert "https://example.org/2" in html
    assert len(after.captured_queries) == len(before.captured_queries)
