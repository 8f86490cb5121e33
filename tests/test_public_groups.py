"""Publishing a claim group (one claim in several articles, one verdict) as a public page."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import selectors_public, services
from annotations.models import Article, Claim, ClaimGroup, HistoryEntry
from tests.api.conftest import client_for
from tests.conftest import span_of
from tests.public_support import GROUP_RU_QUOTE, GROUP_UK_QUOTE, WAYBACK, build_group

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def group(ru_article, uk_article, analyst, reviewer):
    return build_group(ru_article, uk_article, analyst, reviewer)


def page_of(group: ClaimGroup) -> str:
    return selectors_public.group_path(group)


def members_of(group: ClaimGroup) -> list[Claim]:
    return list(Claim.objects.filter(group=group).order_by("pk"))


def json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


# --- the rule


def test_a_group_is_published_only_when_every_claim_is_signed_off(
    ru_article, uk_article, analyst, reviewer, client
):
    group = build_group(ru_article, uk_article, analyst, reviewer, publish=False)
    _, second = members_of(group)
    services.claim_revoke_sign_off(claim=second, reviewer=reviewer)
    with pytest.raises(ValidationError) as caught:
        services.claim_group_publish(group=group, reviewer=reviewer)
    assert caught.value.error_dict["signed_off"][0].code == "publish_group_not_signed_off"
    assert caught.value.messages == [
        services.MSG_PUBLISH_GROUP_NOT_SIGNED_OFF.format(claims=second.pk)
    ]
    group.refresh_from_db()
    assert group.published_at is None and group.public_slug == ""
    services.claim_sign_off(claim=second, reviewer=reviewer)
    published = services.claim_group_publish(group=group, reviewer=reviewer)
    assert published.public_slug == "николас-мадуро-также-обращался-к-китаю"
    assert client.get(page_of(published)).status_code == 200


def test_only_reviewers_publish_groups(group, analyst, reviewer):
    with pytest.raises(PermissionDenied, match=services.MSG_NO_RIGHT_PUBLISH):
        services.claim_group_publish(group=group, reviewer=analyst)
    with pytest.raises(PermissionDenied, match=services.MSG_NO_RIGHT_PUBLISH):
        services.claim_group_unpublish(group=group, reviewer=analyst)


def test_publishing_twice_changes_nothing_and_leaves_history(group, reviewer):
    again = services.claim_group_publish(group=group, reviewer=reviewer)
    assert again.published_at == group.published_at
    for member in members_of(group):
        actions = HistoryEntry.objects.filter(claim_ref=member.pk).values_list("action", flat=True)
        assert list(actions).count("published") == 1


def test_unpublishing_answers_410_and_keeps_the_address(group, reviewer, client):
    services.claim_group_unpublish(group=group, reviewer=reviewer)
    group.refresh_from_db()
    response = client.get(page_of(group))
    assert response.status_code == 410
    assert GROUP_RU_QUOTE.encode() not in response.content
    services.claim_group_publish(group=group, reviewer=reviewer)
    assert client.get(page_of(group)).status_code == 200


def test_a_withdrawn_sign_off_hides_the_page_until_published_again(
    group, analyst, reviewer, client
):
    first, _ = members_of(group)
    services.claim_update(claim=first, actor=reviewer, rationale="Новое обоснование")
    assert client.get(page_of(group)).status_code == 410
    for member in members_of(group):
        if not member.is_signed_off:
            services.claim_sign_off(claim=member, reviewer=reviewer)
    response = client.get(page_of(group))  # vouching is not publishing
    assert response.status_code == 410 and "Новое обоснование".encode() not in response.content
    services.claim_group_publish(group=group, reviewer=reviewer)
    assert "Новое обоснование" in client.get(page_of(group)).content.decode()


def test_a_claim_linked_in_after_publication_hides_the_page(
    group, ru_article, analyst, reviewer, client
):
    first, _ = members_of(group)
    start, end = span_of(ru_article, "Кремле")
    newcomer = services.claim_link(first, article=ru_article, start=start, end=end, user=analyst)
    services.claim_sign_off(claim=newcomer.pk, reviewer=reviewer)
    assert client.get(page_of(group)).status_code == 410
    services.claim_group_publish(group=group, reviewer=reviewer)
    html = client.get(page_of(group)).content.decode()
    assert '<mark class="claim-quote">Кремле</mark>' in html


def test_a_lost_member_hides_the_page_and_blocks_publishing(group, reviewer, client):
    _, second = members_of(group)
    Claim.objects.filter(pk=second.pk).update(is_orphaned=True)
    assert client.get(page_of(group)).status_code == 410
    with pytest.raises(ValidationError) as caught:
        services.claim_group_publish(group=group, reviewer=reviewer)
    assert caught.value.error_dict["group"][0].code == "publish_group_lost"


def test_a_deleted_member_leaves_the_page(group, reviewer, client):
    _, second = members_of(group)
    services.claim_delete(claim=second, actor=reviewer)
    response = client.get(page_of(group))
    assert response.status_code == 200
    assert GROUP_UK_QUOTE not in response.content.decode()
    item = json_ld(response.content.decode())["itemReviewed"]
    assert item["appearance"] == item["firstAppearance"]  # one appearance left
    assert item["appearance"]["inLanguage"] == "ru"


def test_never_published_is_not_found_and_a_wrong_slug_redirects(
    ru_article, uk_article, analyst, reviewer, client
):
    hidden = build_group(ru_article, uk_article, analyst, reviewer, publish=False)
    assert client.get(f"/fact-checks/groups/{hidden.pk}-claim/").status_code == 404
    assert client.get("/fact-checks/groups/999999-claim/").status_code == 404
    services.claim_group_publish(group=hidden, reviewer=reviewer)
    hidden.refresh_from_db()
    response = client.get(f"/fact-checks/groups/{hidden.pk}-old/")
    assert response.status_code == 301 and response["Location"] == page_of(hidden)


# --- the page


def test_the_group_page_shows_every_appearance_with_its_evidence(group, client, settings):
    settings.DESK_URL = "https://factcheck.example.org/"
    response = client.get(page_of(group))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Verified" in html and "Документы WP это подтверждают." in html
    assert f'<mark class="claim-quote">{GROUP_RU_QUOTE}</mark>' in html
    assert f'<mark class="claim-quote">{GROUP_UK_QUOTE}</mark>' in html
    assert '<blockquote class="claim-context" lang="uk">' in html
    assert '<span class="language-label">Russian</span>' in html
    assert '<span class="language-label">Ukrainian</span>' in html
    assert "Source document 1" in html and "Source document 2" in html and WAYBACK in html
    assert "/archive/" not in html and "/api/" not in html
    assert not response.cookies
    review = json_ld(html)
    url = "https://factcheck.example.org" + page_of(group)
    assert review["@type"] == "ClaimReview" and review["url"] == url
    assert review["itemReviewed"]["@type"] == "Claim"
    languages = [a["inLanguage"] for a in review["itemReviewed"]["appearance"]]
    assert sorted(languages) == ["ru", "uk"]
    assert review["itemReviewed"]["firstAppearance"] == review["itemReviewed"]["appearance"][0]
    assert len(review["citation"]) == 2
    assert review["citation"][0]["archivedAt"][0]["url"] == WAYBACK


def test_a_member_claims_own_page_links_to_the_group_page(group, reviewer, client):
    first, _ = members_of(group)
    first = services.claim_publish(claim=first, reviewer=reviewer)
    claim_page = client.get(selectors_public.public_path(first)).content.decode()
    assert f'href="{page_of(group)}"' in claim_page
    group_page = client.get(page_of(group)).content.decode()
    assert f'href="{selectors_public.public_path(first)}"' in group_page
    services.claim_group_unpublish(group=group, reviewer=reviewer)
    assert page_of(group) not in client.get(selectors_public.public_path(first)).content.decode()


def test_the_group_page_runs_a_fixed_number_of_queries(
    group, ru_article, analyst, reviewer, client
):
    with CaptureQueriesContext(connection) as before:
        assert client.get(page_of(group)).status_code == 200
    first, _ = members_of(group)
    for quote in ("Кремле", "Си Цзиньпину"):
        start, end = span_of(ru_article, quote)
        added = services.claim_link(first, article=ru_article, start=start, end=end, user=analyst)
        services.evidence_add(claim=added, actor=analyst, url=f"https://example.org/{start}")
        services.claim_sign_off(claim=added.pk, reviewer=reviewer)
    services.claim_group_publish(group=group, reviewer=reviewer)
    with CaptureQueriesContext(connection) as after:
        html = client.get(page_of(group)).content.decode()
    assert html.count('class="appearance"') == 4
    assert len(after.captured_queries) == len(before.captured_queries) == 6


# --- index, feed and sitemap


def test_index_feed_and_sitemap_list_published_groups(
    group, ru_article, uk_article, make_claim, analyst, reviewer, client, settings
):
    settings.DESK_URL = "https://factcheck.example.org/"
    claim = make_claim(ru_article, "Венесуэла просит Россию", verdict="disputed", rationale="r")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    claim = services.claim_publish(claim=claim, reviewer=reviewer)
    hidden = build_group(
        ru_article,
        uk_article,
        analyst,
        reviewer,
        quotes=("пассивное оборудование обнаружения", "пасивне обладнання виявлення"),
        publish=False,
    )
    index = client.get("/fact-checks/").content.decode()
    assert index.count('class="fact-check-item"') == 2
    assert f'href="{page_of(group)}"' in index
    assert "пассивное" not in index
    feed = ET.fromstring(client.get("/fact-checks/feed/").content)
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links == [
        "https://factcheck.example.org" + selectors_public.public_path(claim),
        "https://factcheck.example.org" + page_of(group),
    ]
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    locs = [e.text for e in sitemap.iter(f"{SITEMAP}loc")]
    assert "https://factcheck.example.org" + page_of(group) in locs
    assert not any(f"/groups/{hidden.pk}-" in (loc or "") for loc in locs)


def test_index_and_feed_run_a_fixed_number_of_queries(
    ru_article, uk_article, analyst, reviewer, client
):
    build_group(ru_article, uk_article, analyst, reviewer)
    counts = []
    for n in range(2):
        with CaptureQueriesContext(connection) as index:
            assert client.get("/fact-checks/").status_code == 200
        with CaptureQueriesContext(connection) as feed:
            assert client.get("/fact-checks/feed/").status_code == 200
        counts.append((len(index.captured_queries), len(feed.captured_queries)))
        # Another group, of three appearances, on a new article.
        article = Article.objects.create(
            title=f"Статья {n}",
            slug=f"third-{n}",
            language="ru",
            body=f"{GROUP_RU_QUOTE}. И снова: Кремле.",
        )
        more = build_group(
            article,
            uk_article,
            analyst,
            reviewer,
            quotes=(GROUP_RU_QUOTE, ["Коротко", "Росія співпрацює з Венесуелою"][n]),
        )
        first = members_of(more)[0]
        start, end = span_of(article, "Кремле")
        third = services.claim_link(first, article=article, start=start, end=end, user=analyst)
        services.claim_sign_off(claim=third.pk, reviewer=reviewer)
        services.claim_group_publish(group=more, reviewer=reviewer)
    assert client.get("/fact-checks/").content.decode().count('class="fact-check-item"') == 3
    assert counts[0] == counts[1]


# --- the entry points: API and admin


def test_api_publishes_and_unpublishes_a_group(
    ru_article, uk_article, analyst, reviewer, outsider, client
):
    group = build_group(ru_article, uk_article, analyst, reviewer, publish=False)
    url = f"/api/v1/claim-groups/{group.pk}/publish/"
    assert client_for(analyst).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 403
    assert client.post(url).status_code in (401, 403)
    assert client_for(reviewer).post("/api/v1/claim-groups/999999/publish/").status_code == 404
    done = client_for(reviewer).post(url)
    assert done.status_code == 200
    body = done.json()
    assert body["claims"] == [m.pk for m in members_of(group)]
    assert body["public_url"].endswith(page_of(ClaimGroup.objects.get(pk=group.pk)))
    gone = client_for(reviewer).delete(url)
    assert gone.status_code == 200 and gone.json()["public_url"] is None
    assert client.get(page_of(ClaimGroup.objects.get(pk=group.pk))).status_code == 410


def test_api_refuses_a_group_with_a_claim_not_signed_off(ru_article, uk_article, analyst, reviewer):
    group = build_group(ru_article, uk_article, analyst, reviewer, publish=False)
    services.claim_revoke_sign_off(claim=members_of(group)[0], reviewer=reviewer)
    refused = client_for(reviewer).post(f"/api/v1/claim-groups/{group.pk}/publish/")
    assert refused.status_code == 400
    assert refused.json()["codes"] == {"signed_off": ["publish_group_not_signed_off"]}


def test_admin_actions_publish_and_unpublish_groups(
    ru_article, uk_article, analyst, reviewer, client
):
    group = build_group(ru_article, uk_article, analyst, reviewer, publish=False)
    client.force_login(analyst)
    assert client.get("/admin/annotations/claimgroup/").status_code in (302, 403)
    client.force_login(reviewer)
    listing = client.get("/admin/annotations/claimgroup/")
    assert listing.status_code == 200 and "Not published." in listing.content.decode()
    response = client.post(
        "/admin/annotations/claimgroup/",
        {"action": "publish", "_selected_action": [group.pk]},
        follow=True,
    )
    assert "1 claim group(s) published." in [str(m) for m in response.context["messages"]]
    group.refresh_from_db()
    assert services.claim_group_is_public(group, members_of(group))
    assert client.get(f"/admin/annotations/claimgroup/{group.pk}/change/").status_code == 200
    client.post(
        "/admin/annotations/claimgroup/",
        {"action": "unpublish", "_selected_action": [group.pk]},
    )
    group.refresh_from_db()
    assert group.published_at is None
