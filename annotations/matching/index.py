"""The passage index: keeping it current, and asking it for candidates.

Candidates always come from the database's text index (PostgreSQL full-text search, SQLite
FTS5), never from reading every passage; the scorer then looks only at those.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from annotations.matching.schema import (
    FTS_TABLE,
    PASSAGE_TABLE,
    TOTAL,
    add_term_counts,
    term_counts,
)
from annotations.matching.text import NAME_PREFIX, passage_key, split_passages
from annotations.models import Article, Passage, PassageTerm

# Words shorter than this are matched whole; longer names are matched by prefix, so a
# skeleton with a case ending (Путиным, 0qptnm) still meets the bare one (0qptn).
_PREFIX_MIN = len(NAME_PREFIX) + 3


@dataclass(frozen=True)
class Candidate:
    passage_id: int
    article_id: int
    start: int
    end: int
    key: str


def article_passages(article: Article) -> list[Passage]:
    """The passages of ``article``'s current text (unsaved)."""
    return [
        Passage(
            article=article,
            start=start,
            end=end,
            key=passage_key(article.body[start:end], article.language),
        )
        for start, end in split_passages(article.body)
    ]


@transaction.atomic
def article_passages_refresh(article: Article) -> int:
    """Index ``article`` anew (its text or language changed); returns the passage count."""
    old = Passage.objects.filter(article=article)
    delta: Counter[str] = Counter()
    delta.subtract(term_counts(old.values_list("key", flat=True)))  # what leaves, negative
    old.delete()
    new = Passage.objects.bulk_create(article_passages(article), batch_size=500)
    delta.update(term_counts(p.key for p in new))
    add_term_counts(connection, delta)
    return len(new)


def passages_rebuild(articles: Iterable[Article] | None = None) -> tuple[int, int]:
    """Index every article (or ``articles``) anew, one transaction each; (articles, passages)."""
    if articles is None:
        articles = Article.objects.only("id", "body", "language").order_by("id").iterator()
    done = passages = 0
    for article in articles:
        passages += article_passages_refresh(article)
        done += 1
    return done, passages


def term_weights(terms: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each term over all passages, in one query: a term in
    every passage weighs almost nothing, one in a single passage the most."""
    wanted = set(terms)
    counts = dict(
        PassageTerm.objects.filter(term__in=[*wanted, TOTAL]).values_list("term", "passages")
    )
    total = max(counts.pop(TOTAL, 0), 1)
    return {t: math.log(1 + total / max(counts.get(t, 0), 1)) for t in wanted}


def _terms(key: str, limit: int) -> list[tuple[str, bool]]:
    """(term, match by prefix) for the query, names and numbers first (they say the most)."""
    tokens = list(dict.fromkeys(key.split()))
    tokens.sort(key=lambda token: (not token[0].isdigit(), -len(token)))
    return [(t, t.startswith(NAME_PREFIX) and len(t) >= _PREFIX_MIN) for t in tokens[:limit]]


def candidates(
    key: str, *, exclude_article: int, limit: int, max_terms: int = 24
) -> list[Candidate]:
    """The ``limit`` passages outside ``exclude_article`` that share most with ``key``, by the
    index's own rank (``ts_rank`` on PostgreSQL, BM25 on SQLite)."""
    terms = _terms(key, max_terms)
    if not terms:
        return []
    if connection.vendor == "postgresql":
        query = " | ".join(f"{term}:*" if prefix else term for term, prefix in terms)
        sql = (
            f"SELECT p.id, p.article_id, p.start, p.end, p.key FROM {PASSAGE_TABLE} p, "
            "to_tsquery('simple', %s) q WHERE p.search @@ q AND p.article_id <> %s "
            "ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT %s"
        )
    else:
        query = " OR ".join(f'"{term}"*' if prefix else f'"{term}"' for term, prefix in terms)
        sql = (
            f"SELECT p.id, p.article_id, p.start, p.end, p.key FROM {FTS_TABLE} f "
            f"JOIN {PASSAGE_TABLE} p ON p.id = f.rowid WHERE {FTS_TABLE} MATCH %s "
            "AND p.article_id <> %s ORDER BY f.rank, p.id LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, exclude_article, limit])
        rows: Sequence[tuple[int, int, int, int, str]] = cursor.fetchall()
    return [Candidate(*row) for row in rows]
