"""Passages in other articles that report the same claim (the annotator's suggestions)."""

from dataclasses import dataclass

from django.conf import settings

from annotations import selectors  # a module: it imports the services, which import us
from annotations.matching.encoders import MatchText, current_encoder
from annotations.matching.index import Candidate, candidates
from annotations.matching.text import passage_key
from annotations.models import Article, Claim
from annotations.services.roles import User

CONTEXT = 60
# The seeds are one story in Russian and in Ukrainian: on a tie, the other one comes first.
COUNTERPART = {"ru": "uk", "uk": "ru"}


@dataclass(frozen=True)
class Match:
    """A passage of another article that may report the claim, and how close it is."""

    article_id: int
    article_title: str
    language: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    score: float
    claim_id: int | None


def _base(language: str) -> str:
    return language.lower().split("-")[0]


def claim_matches(claim: Claim, *, limit: int = 10, user: User | None = None) -> list[Match]:
    """Up to ``limit`` passages of other articles above ``MATCH_THRESHOLD``, best first.

    Candidates come from the passage index (``MATCH_CANDIDATES`` of them), the encoder named
    by ``MATCH_ENCODER`` scores them. ``claim_id`` is a live claim covering at least half of
    the passage; with ``user``, only a claim that user may see (the blind rule). A fixed
    number of queries (five) whatever the number of matches.
    """
    article = claim.article
    key = passage_key(claim.quote, article.language)
    found = candidates(
        key,
        exclude_article=article.pk,
        limit=settings.MATCH_CANDIDATES,
        terms=settings.MATCH_QUERY_TERMS,
    )
    if not found:
        return []
    articles = Article.objects.only("id", "title", "language", "body").in_bulk(
        {c.article_id for c in found}
    )
    encoder = current_encoder()

    def text_of(candidate: Candidate) -> MatchText:
        source = articles[candidate.article_id]
        body = source.body[candidate.start : candidate.end] if encoder.needs_text else ""
        return MatchText(text=body, language=source.language, key=candidate.key)

    query = MatchText(text=claim.quote, language=article.language, key=key)
    scores = encoder.similarities(query, [text_of(c) for c in found])
    counterpart = COUNTERPART.get(_base(article.language))
    ranked = sorted(
        (
            (score, candidate)
            for score, candidate in zip(scores, found, strict=True)
            if score >= settings.MATCH_THRESHOLD
        ),
        key=lambda pair: (
            -round(pair[0], 6),
            _base(articles[pair[1].article_id].language) != counterpart,
            pair[1].article_id,
            pair[1].start,
        ),
    )[:limit]
    covering = _covering_claims([c for _, c in ranked], user)
    matches = []
    for score, candidate in ranked:
        body = articles[candidate.article_id].body
        matches.append(
            Match(
                article_id=candidate.article_id,
                article_title=articles[candidate.article_id].title,
                language=articles[candidate.article_id].language,
                start=candidate.start,
                end=candidate.end,
                quote=body[candidate.start : candidate.end],
                prefix=body[max(0, candidate.start - CONTEXT) : candidate.start],
                suffix=body[candidate.end : candidate.end + CONTEXT],
                score=round(score, 4),
                claim_id=covering.get(candidate.passage_id),
            )
        )
    return matches


def _covering_claims(passages: list[Candidate], user: User | None) -> dict[int, int]:
    """{passage id: the live claim overlapping most of it, if at least half}, one query."""
    if not passages:
        return {}
    claims = Claim.objects.filter(
        article_id__in={p.article_id for p in passages}, is_orphaned=False
    )
    if user is not None:
        claims = selectors.claims_visible_to(user, claims)
    rows = list(claims.values_list("id", "article_id", "start", "end").order_by("id"))
    covering = {}
    for passage in passages:
        best, best_overlap = None, 0
        for pk, article_id, start, end in rows:
            if article_id != passage.article_id:
                continue
            overlap = min(end, passage.end) - max(start, passage.start)
            if overlap > best_overlap:
                best, best_overlap = pk, overlap
        if best is not None and best_overlap * 2 >= passage.end - passage.start:
            covering[passage.passage_id] = best
    return covering
