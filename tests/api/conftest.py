"""API clients for the fixed cast of tests/conftest.py."""

import pytest
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        from annotations.services import token_issue

        client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user, rotate=True)}")
    return client


@pytest.fixture
def anon_api(db) -> APIClient:
    return APIClient()


@pytest.fixture
def analyst_api(analyst) -> APIClient:
    return client_for(analyst)


@pytest.fixture
def other_api(other_analyst) -> APIClient:
    return client_for(other_analyst)


@pytest.fixture
def reviewer_api(reviewer) -> APIClient:
    return client_for(reviewer)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return client_for(outsider)


def bulk_claims(article, n: int, author, *, evidence_per_claim: int = 2, verdict="pending"):
    """``n`` claims on distinct spans with evidence, inserted in bulk (fixture data only)."""
    from annotations.anchoring import context_around
    from annotations.models import Claim, Evidence, SourceLink

    body = article.body
    spans = []
    length = 1
    while len(spans) < n:
        for start in range(0, len(body) - length):
            spans.append((start, start + length))
            if len(spans) == n:
                break
        length += 1
    claims = []
    for start, end in spans:
        prefix, suffix = context_around(body, start, end)
        claims.append(
            Claim(
                article=article,
                start=start,
                end=end,
                quote=body[start:end],
                prefix=prefix,
                suffix=suffix,
                verdict=verdict,
                created_by=author,
                updated_by=author,
            )
        )
    claims = Claim.objects.bulk_create(claims)
    links = SourceLink.objects.bulk_create(
        [SourceLink(url=f"https://example.org/source/{i}") for i in range(evidence_per_claim)],
        ignore_conflicts=True,
    )
    links = list(SourceLink.objects.filter(url__startswith="https://example.org/source/"))
    Evidence.objects.bulk_create(
        [
            Evidence(claim=claim, source_link=link, url=link.url, added_by=author)
            for claim in claims
            for link in links[:evidence_per_claim]
        ]
    )
    return list(Claim.objects.filter(article=article).order_by("id"))
