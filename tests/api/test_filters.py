"""Claim filters and orderings: each one narrows the list (and the export) as named."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from annotations import services
from annotations.models import Claim, LinkOutcome, SourceLink


@pytest.fixture
def desk(ru_article, uk_article, make_claim, analyst, other_analyst, reviewer):
    """Four claims in two languages, by two analysts, in different states."""
    a = make_claim(ru_article, "Венесуэла", verdict="verified", rationale="есть документ")
    b = make_claim(ru_article, "Россию", author=other_analyst, verdict="disputed")
    c = make_claim(uk_article, "Мадуро", verdict="unsourced")
    d = make_claim(uk_article, "Путіна", author=other_analyst)
    services.claim_sign_off(claim=a, reviewer=reviewer)
    services.evidence_add(claim=a, actor=analyst, url="https://example.org/ok")
    services.evidence_add(claim=c, actor=analyst, url="https://example.org/broken")
    SourceLink.objects.filter(url="https://example.org/ok").update(outcome=LinkOutcome.OK)
    SourceLink.objects.filter(url="https://example.org/broken").update(outcome=LinkOutcome.BROKEN)
    return {"a": a, "b": b, "c": c, "d": d}


def ids(client, query):
    response = client.get(f"/api/v1/claims/?{query}")
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["results"]}


def export_ids(client, query):
    import json

    response = client.get(f"/api/v1/export/claims?format=jsonl&{query}")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    return {json.loads(line)["id"] for line in lines}


def names(desk, *keys):
    return {desk[k].pk for k in keys}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "abcd"),
        ("verdict=verified", "a"),
        ("verdict=verified&verdict=disputed", "ab"),
        ("language=uk", "cd"),
        ("signed_off=true", "a"),
        ("signed_off=false", "bcd"),
        ("has_evidence=true", "ac"),
        ("has_evidence=false", "bd"),
        ("link_outcome=broken", "c"),
        ("link_outcome=ok&link_outcome=broken", "ac"),
        ("search=документ", "a"),
        ("search=Путіна", "d"),
        ("is_orphaned=false", "abcd"),
    ],
)
def test_filter(analyst_api, desk, query, expected):
    assert ids(analyst_api, query) == names(desk, *expected)
    assert export_ids(analyst_api, query) == names(desk, *expected)


def test_filter_article_and_author(analyst_api, desk, ru_article, other_analyst):
    assert ids(analyst_api, f"article={ru_article.pk}") == names(desk, "a", "b")
    assert ids(analyst_api, f"author={other_analyst.pk}") == names(desk, "b", "d")


def test_created_and_updated_ranges(analyst_api, desk):
    past = timezone.now() - timedelta(days=3)
    Claim.objects.filter(pk=desk["b"].pk).update(created_at=past, updated_at=past)
    cut = (timezone.now() - timedelta(days=1)).isoformat()
    quoted = cut.replace("+", "%2B")
    assert ids(analyst_api, f"created_before={quoted}") == names(desk, "b")
    assert ids(analyst_api, f"created_after={quoted}") == names(desk, "a", "c", "d")
    assert ids(analyst_api, f"updated_before={quoted}") == names(desk, "b")
    assert ids(analyst_api, f"updated_after={quoted}") == names(desk, "a", "c", "d")
    day = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert ids(analyst_api, f"created_after={day}") == names(desk, "a", "c", "d")


@pytest.mark.parametrize("ordering", ["id", "-id", "created_at", "-updated_at", "verdict"])
def test_orderings_page_through_everything(analyst_api, desk, ordering):
    seen = []
    url = f"/api/v1/claims/?ordering={ordering}&page_size=1"
    while url:
        page = analyst_api.get(url).json()
        seen += page["results"]
        url = page["next"]
    assert len(seen) == 4
    key = ordering.lstrip("-")
    values = [(c[key], c["id"]) for c in seen]
    assert values == sorted(values, reverse=ordering.startswith("-"))


def test_cursor_from_another_ordering_is_refused(analyst_api, desk):
    page = analyst_api.get("/api/v1/claims/?ordering=id&page_size=1").json()
    cursor = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
    response = analyst_api.get("/api/v1/claims/", {"ordering": "-id", "cursor": cursor})
    assert response.status_code == 400 and "cursor" in response.json()


@pytest.mark.parametrize("value", ["0.0", "1.0", "1e3", "one"])
def test_an_id_filter_takes_only_whole_numbers(analyst_api, value):
    response = analyst_api.get("/api/v1/evidence/", {"claim": value})
    assert response.status_code == 400
    assert "claim" in response.json()
