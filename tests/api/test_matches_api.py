"""GET /api/v1/claims/{id}/matches/: same-claim suggestions, who may read them, the blind rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.matching.text import split_passages
from tests.conftest import span_of

IRAN_RU = "почти наверняка беспилотников с дальностью действия 1 тысячи километров"
IRAN_UK = "дрони з дальністю до 1000 км"
FIELDS = {
    "article",
    "article_title",
    "language",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "score",
    "claim",
}


def sentence_span(article, quote: str) -> tuple[int, int]:
    start = article.body.index(quote)
    return next((s, e) for s, e in split_passages(article.body) if s <= start < e)


def claim_on(article, span, author, **kwargs):
    start, end = span
    return services.claim_create(
        article=article,
        author=author,
        start=start,
        end=end,
        quote=article.body[start:end],
        **kwargs,
    )


def url(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/matches/"


@pytest.fixture
def ru_claim(ru_article, analyst):
    return claim_on(ru_article, sentence_span(ru_article, IRAN_RU), analyst)


@pytest.mark.django_db
def test_the_counterpart_comes_first_with_its_context(ru_claim, uk_article, analyst_api):
    response = analyst_api.get(url(ru_claim))
    assert response.status_code == 200
    results = response.json()["results"]
    first = results[0]
    assert set(first) == FIELDS
    start, end = sentence_span(uk_article, IRAN_UK)
    assert (first["article"], first["language"], first["start"], first["end"]) == (
        uk_article.pk,
        "uk",
        start,
        end,
    )
    assert first["quote"] == uk_article.body[start:end]
    assert first["prefix"] == uk_article.body[start - 60 : start]
    assert first["suffix"] == uk_article.body[end : end + 60]
    assert first["article_title"] == uk_article.title
    assert first["claim"] is None
    assert 0 < first["score"] <= 1


@pytest.mark.django_db
def test_an_existing_claim_on_the_passage_is_named(ru_claim, uk_article, other_analyst, other_api):
    there = claim_on(uk_article, sentence_span(uk_article, IRAN_UK), other_analyst)
    first = other_api.get(url(ru_claim)).json()["results"][0]
    assert first["claim"] == there.pk


@pytest.mark.django_db
def test_who_may_read_suggestions(ru_claim, anon_api, outsider_api, reviewer_api):
    assert anon_api.get(url(ru_claim)).status_code in (401, 403)
    assert outsider_api.get(url(ru_claim)).status_code == 200
    assert reviewer_api.get(url(ru_claim)).status_code == 200
    assert reviewer_api.get("/api/v1/claims/999999/matches/").status_code == 404


@pytest.mark.django_db
def test_a_deleted_claim_has_no_suggestions(ru_claim, analyst, analyst_api):
    services.claim_delete(claim=ru_claim, actor=analyst)
    assert analyst_api.get(url(ru_claim)).status_code == 404


@pytest.mark.django_db
def test_a_blind_claim_the_reader_may_not_see_is_404(
    ru_article, uk_article, other_analyst, analyst_api, reviewer_api
):
    uk_article.blind_review = True
    uk_article.save(update_fields=["blind_review"])
    hidden = claim_on(uk_article, sentence_span(uk_article, IRAN_UK), other_analyst)
    assert analyst_api.get(url(hidden)).status_code == 404
    assert reviewer_api.get(url(hidden)).status_code == 200


@pytest.mark.django_db
def test_the_blind_rule_hides_whose_claim_covers_a_passage(
    ru_claim, uk_article, other_analyst, analyst_api, reviewer_api
):
    uk_article.blind_review = True
    uk_article.save(update_fields=["blind_review"])
    hidden = claim_on(uk_article, sentence_span(uk_article, IRAN_UK), other_analyst)
    seen_by_analyst = analyst_api.get(url(ru_claim)).json()["results"][0]
    seen_by_reviewer = reviewer_api.get(url(ru_claim)).json()["results"][0]
    assert (seen_by_analyst["start"], seen_by_analyst["claim"]) == (hidden.start, None)
    assert seen_by_reviewer["claim"] == hidden.pk


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_suggestions(
    ru_article, uk_article, analyst, other_analyst, analyst_api, settings
):
    def queries(claim) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = analyst_api.get(url(claim))
        assert response.status_code == 200
        return len(ctx), len(response.json()["results"])

    short = claim_on(ru_article, span_of(ru_article, "Ил-76ТД"), analyst)
    settings.MATCH_THRESHOLD = 0.0
    few_queries, few = queries(short)
    for s, e in split_passages(uk_article.body)[:12]:
        claim_on(uk_article, (s, e), other_analyst)
    wide = claim_on(ru_article, sentence_span(ru_article, IRAN_RU), analyst)
    many_queries, many = queries(wide)
    assert few < many, (few, many)
    assert few_queries == many_queries
