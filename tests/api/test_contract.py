"""The shapes the web UI relies on: me, articles, claims, evidence, source links, history."""

import pytest

from annotations.models import Claim, Verdict
from tests.conftest import span_of

CLAIM_KEYS = {
    "id",
    "article",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "verdict",
    "rationale",
    "version",
    "is_orphaned",
    "in_disagreement",
    "decided_by",
    "decided_at",
    "judgments_visible",
    "my_assessment",
    "assessments",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "signed_off_by",
    "signed_off_at",
    "evidence",
    "url",
    "permissions",
    "sign_off_blockers",
    "group",
    "published_at",
    "public_url",
}
EVIDENCE_KEYS = {
    "id",
    "claim",
    "url",
    "title",
    "excerpt",
    "note",
    "stance",
    "added_by",
    "created_at",
    "updated_at",
    "source_changed_at",
    "excerpt_found",
    "archive_url",
    "archived_at",
    "link",
    "pinned_snapshot",
    "memento",
}
LINK_KEYS = {
    "error_detail",
    "wayback",
    "id",
    "url",
    "outcome",
    "http_status",
    "final_url",
    "page_title",
    "last_checked_at",
    "text_changed_at",
    "error",
}
QUOTE = "Венесуэла"


def test_me_lists_roles(analyst_api, reviewer_api, outsider_api, analyst, reviewer):
    assert analyst_api.get("/api/v1/me/").json() == {
        "id": analyst.pk,
        "username": "olena",
        "roles": ["analyst"],
        "can_sign_off": False,
    }
    me = reviewer_api.get("/api/v1/me/").json()
    assert me["roles"] == ["reviewer"] and me["can_sign_off"] is True
    assert outsider_api.get("/api/v1/me/").json()["roles"] == []


def test_articles_list_and_detail(analyst_api, ru_article, uk_article, make_claim):
    make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    page = analyst_api.get("/api/v1/articles/").json()
    assert set(page) == {"next", "previous", "results"}
    by_id = {item["id"]: item for item in page["results"]}
    assert "body" not in by_id[ru_article.pk]
    assert by_id[ru_article.pk]["claim_counts"] == {
        "pending": 0,
        "verified": 1,
        "disputed": 0,
        "unsourced": 0,
    }
    detail = analyst_api.get(f"/api/v1/articles/{ru_article.pk}/").json()
    assert detail["body"] == ru_article.body
    assert detail["title"] == ru_article.title
    assert detail["content_hash"] == ru_article.content_hash
    assert set(detail) == {
        "id",
        "slug",
        "title",
        "language",
        "source_name",
        "source_url",
        "published_on",
        "body",
        "content_hash",
        "blind_review",
        "blind",
        "claim_counts",
        "assigned_to_me",
        "my_progress",
    }


def test_articles_filter_language_and_search(analyst_api, ru_article, uk_article):
    uk = analyst_api.get("/api/v1/articles/?language=uk").json()["results"]
    assert [a["id"] for a in uk] == [uk_article.pk]
    found = analyst_api.get("/api/v1/articles/", {"search": "Венесуэла"}).json()["results"]
    assert [a["id"] for a in found] == [ru_article.pk]


def test_create_claim_shape_etag_and_author(analyst_api, analyst, other_analyst, ru_article):
    start, end = span_of(ru_article, QUOTE)
    response = analyst_api.post(
        "/api/v1/claims/",
        {
            "article": ru_article.pk,
            "start": start,
            "end": end,
            "quote": QUOTE,
            "verdict": "disputed",
            "rationale": "Нет источника",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == CLAIM_KEYS
    assert response["ETag"] == '"1"'
    assert response["Location"] == body["url"]
    assert body["created_by"] == {"id": analyst.pk, "username": "olena"}
    assert body["quote"] == QUOTE and body["verdict"] == "disputed"
    assert body["prefix"] == ru_article.body[max(0, start - 32) : start]
    assert body["suffix"] == ru_article.body[end : end + 32]
    claim = Claim.objects.get(pk=body["id"])
    assert claim.created_by == analyst and claim.rationale == "Нет источника"


def test_author_cannot_be_chosen_by_payload(analyst_api, other_analyst, ru_article):
    start, end = span_of(ru_article, QUOTE)
    response = analyst_api.post(
        "/api/v1/claims/",
        {
            "article": ru_article.pk,
            "start": start,
            "end": end,
            "quote": QUOTE,
            "created_by": other_analyst.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "created_by" in response.json()
    assert not Claim.objects.exists()


def test_claim_detail_has_etag(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = analyst_api.get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["url"].endswith(f"/api/v1/claims/{claim.pk}/")


def test_claims_list_by_article_in_text_order(analyst_api, ru_article, uk_article, make_claim):
    words = ["Венесуэла", "Россию", "Washington"]
    for word in words:
        make_claim(ru_article, word)
    make_claim(uk_article, uk_article.body[0:10])
    results = analyst_api.get(f"/api/v1/claims/?article={ru_article.pk}").json()["results"]
    starts = [c["start"] for c in results]
    assert starts == sorted(starts) and len(results) == 3
    assert {c["article"] for c in results} == {ru_article.pk}


def test_claims_cursor_pages_are_stable_under_inserts(analyst_api, ru_article, make_claim):
    body = ru_article.body
    for i in range(0, 50, 5):
        make_claim(ru_article, body[i : i + 3])
    first = analyst_api.get(f"/api/v1/claims/?article={ru_article.pk}&page_size=4").json()
    assert len(first["results"]) == 4 and first["previous"] is None
    seen = [c["id"] for c in first["results"]]
    # A claim inserted before the page boundary must not shift the next page.
    make_claim(ru_article, body[1:3])
    url = first["next"]
    while url:
        page = analyst_api.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 10
    back = analyst_api.get(page["previous"]).json() if page["previous"] else None
    assert back is None or all(c["id"] in seen or c["start"] < 5 for c in back["results"])


def test_claims_previous_link_walks_back(analyst_api, ru_article, make_claim):
    body = ru_article.body
    for i in range(0, 30, 3):
        make_claim(ru_article, body[i : i + 2])
    first = analyst_api.get("/api/v1/claims/?page_size=3").json()
    second = analyst_api.get(first["next"]).json()
    back = analyst_api.get(second["previous"]).json()
    assert [c["id"] for c in back["results"]] == [c["id"] for c in first["results"]]
    assert back["previous"] is None


def test_page_size_bounds(analyst_api, seeds):
    assert analyst_api.get("/api/v1/claims/?page_size=1000").status_code == 200
    response = analyst_api.get("/api/v1/claims/?page_size=1001")
    assert response.status_code == 400 and "page_size" in response.json()
    assert analyst_api.get("/api/v1/claims/?cursor=garbage").status_code == 400


def test_evidence_crud_and_link(analyst_api, analyst, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = analyst_api.post(
        "/api/v1/evidence/",
        {
            "claim": claim.pk,
            "url": "HTTPS://Example.org/report#p2",
            "title": "Отчёт",
            "excerpt": "цитата",
            "note": "см. стр. 2",
            "stance": "refutes",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    evidence = response.json()
    assert set(evidence) == EVIDENCE_KEYS
    assert set(evidence["link"]) == LINK_KEYS
    assert evidence["link"]["url"] == "https://example.org/report"
    assert evidence["added_by"] == {"id": analyst.pk, "username": "olena"}
    eid = evidence["id"]
    assert analyst_api.get(f"/api/v1/evidence/{eid}/").json()["title"] == "Отчёт"
    listed = analyst_api.get(f"/api/v1/evidence/?claim={claim.pk}").json()["results"]
    assert [e["id"] for e in listed] == [eid]
    patched = analyst_api.patch(f"/api/v1/evidence/{eid}/", {"note": "новое"}, format="json")
    assert patched.status_code == 200 and patched.json()["note"] == "новое"
    assert analyst_api.get(f"/api/v1/claims/{claim.pk}/").json()["evidence"][0]["id"] == eid
    assert analyst_api.delete(f"/api/v1/evidence/{eid}/").status_code == 204
    assert analyst_api.get(f"/api/v1/evidence/{eid}/").status_code == 404


def test_source_links_read_only(analyst_api, reviewer_api, ru_article, make_claim, analyst):
    from annotations import services

    claim = make_claim(ru_article, QUOTE)
    services.evidence_add(claim=claim, actor=analyst, url="https://example.org/x")
    links = analyst_api.get("/api/v1/source-links/").json()["results"]
    assert [link["url"] for link in links] == ["https://example.org/x"]
    detail = analyst_api.get(f"/api/v1/source-links/{links[0]['id']}/")
    assert set(detail.json()) == LINK_KEYS
    for method in ("post", "patch", "delete"):
        assert getattr(reviewer_api, method)("/api/v1/source-links/").status_code == 405


def test_recheck_queues_a_forced_check_of_the_link(
    analyst_api, outsider_api, ru_article, make_claim, analyst, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from annotations import services
    from annotations.models import SourceLink

    claim = make_claim(ru_article, QUOTE)
    link = services.evidence_add(
        claim=claim, actor=analyst, url="https://example.org/x"
    ).source_link
    SourceLink.objects.filter(pk=link.pk).update(  # checked before the coalescing window
        outcome="ok", last_checked_at=timezone.now() - timedelta(minutes=5), check_requested_at=None
    )
    url = f"/api/v1/source-links/{link.pk}/recheck/"
    assert outsider_api.post(url).status_code == 403
    with django_capture_on_commit_callbacks() as callbacks:
        response = analyst_api.post(url)
    assert response.status_code == 202
    assert response.json()["queued"] is True
    assert response.json()["link"]["outcome"] == "ok"  # the state until the new check is done
    assert len(callbacks) == 1  # sent to the broker once the request's work is committed
    assert SourceLink.objects.get(pk=link.pk).check_requested_at is not None
    assert analyst_api.post("/api/v1/source-links/999999/recheck/").status_code == 404


def test_sign_off_and_revoke(reviewer_api, reviewer, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    signed = reviewer_api.post(f"/api/v1/claims/{claim.pk}/sign-off/")
    assert signed.status_code == 200
    assert signed.json()["signed_off_by"] == {"id": reviewer.pk, "username": "iryna"}
    assert signed["ETag"] == '"2"'
    stale = reviewer_api.post(f"/api/v1/claims/{claim.pk}/sign-off/", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    revoked = reviewer_api.delete(f"/api/v1/claims/{claim.pk}/sign-off/")
    assert revoked.status_code == 200 and revoked.json()["signed_off_by"] is None
    assert revoked["ETag"] == '"3"'


def test_sign_off_pending_is_400(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = reviewer_api.post(f"/api/v1/claims/{claim.pk}/sign-off/")
    assert response.status_code == 400 and "verdict" in response.json()


def test_history_newest_first(analyst_api, analyst, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    analyst_api.patch(
        f"/api/v1/claims/{claim.pk}/", {"verdict": "verified"}, format="json", HTTP_IF_MATCH='"1"'
    )
    history = analyst_api.get(f"/api/v1/claims/{claim.pk}/history/").json()
    assert [h["action"] for h in history] == ["updated", "created"]
    assert (history[0]["actor_id"], history[0]["actor"]) == (analyst.pk, "olena")
    assert history[0]["changes"] == [
        {"name": "verdict", "title": "verdict", "before": "Pending", "after": "Verified"}
    ]
    assert set(history[0]) == {"at", "actor_id", "actor", "subject", "action", "summary", "changes"}


def test_delete_claim(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    assert analyst_api.delete(f"/api/v1/claims/{claim.pk}/").status_code == 428
    response = analyst_api.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()


@pytest.mark.parametrize("path", ["/api/v1/claims/999999/", "/api/v1/evidence/999999/"])
def test_missing_is_404(analyst_api, seeds, path):
    assert analyst_api.get(path).status_code == 404


def test_each_claim_in_a_list_links_to_itself(analyst_api, ru_article, make_claim):
    claims = [make_claim(ru_article, QUOTE), make_claim(ru_article, "Путина")]
    results = analyst_api.get("/api/v1/claims/", {"article": ru_article.pk}).json()["results"]
    assert {r["id"]: r["url"] for r in results} == {
        c.pk: f"http://testserver/api/v1/claims/{c.pk}/" for c in claims
    }
