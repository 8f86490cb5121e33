"""The passage index: keeping it current, and asking it for candidates.

Candidates always come from the database's text index (PostgreSQL full-text search, SQLite
FTS5), never from reading every passage; the scorer then looks only at those.
"""

import itertools
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


def term_counts_of(terms: Iterable[str]) -> tuple[int, dict[str, int]]:
    """(all passages, {term: passages holding it}) for ``terms``, in one query."""
    wanted = set(terms)
    counts = dict(
        PassageTerm.objects.filter(term__in=[*wanted, TOTAL]).values_list("term", "passages")
    )
    total = max(counts.pop(TOTAL, 0), 1)
    return total, {t: counts.get(t, 0) for t in wanted}


def term_weights(terms: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each term over all passages, in one query: a term in
    every passage weighs almost nothing, one in a single passage the most."""
    total, counts = term_counts_of(terms)
    return {t: math.log(1 + total / max(n, 1)) for t, n in counts.items()}


# The index ranks every passage its query finds, so the query is held to about this many:
# the claim's rarest terms, each alone while their passages fit, then (when fewer than
# MIN_TERMS fit) pairs of the next rarest, which find only the passages holding both.
ROWS_BUDGET = 5000
MIN_TERMS = 3
PAIR_TERMS = 4

Term = tuple[str, bool]  # (term, matched by prefix)


def query_terms(key: str, *, limit: int) -> list[tuple[Term, ...]]:
    """What to ask the index for the claim's key: groups of terms, a passage matching every
    term of one group or another (``[(a,), (b,), (c, d)]`` is a | b | (c & d)).

    A term in at most one passage is left out: that passage is, as a rule, the claim's own
    (a name matched by prefix is kept: its longer forms may be elsewhere).
    """
    _, counts = term_counts_of(key.split())
    usable = []
    for term, n in counts.items():
        prefix = term.startswith(NAME_PREFIX) and len(term) >= _PREFIX_MIN
        if n > 1 or prefix:
            usable.append((n, term, prefix))
    usable.sort()
    singles: list[Term] = []
    rows = 0
    for n, term, prefix in usable[:limit]:
        if rows + n > ROWS_BUDGET:
            break
        singles.append((term, prefix))
        rows += n
    groups: list[tuple[Term, ...]] = [(single,) for single in singles]
    if len(singles) >= MIN_TERMS or len(usable) <= len(singles):
        return groups
    rest = [(t, p) for _, t, p in usable[len(singles) : len(singles) + PAIR_TERMS]]
    if len(rest) == 1:
        return [*groups, (rest[0],)]
    return groups + list(itertools.combinations(rest, 2))


def query_text(groups: Sequence[tuple[Term, ...]], vendor: str) -> str:
    """``groups`` in the database's query syntax (to_tsquery, or FTS5's MATCH)."""
    if vendor == "postgresql":
        return " | ".join(
            "(" + " & ".join(f"{t}:*" if p else t for t, p in group) + ")" for group in groups
        )
    return " OR ".join(
        "(" + " AND ".join(f'"{t}"*' if p else f'"{t}"' for t, p in group) + ")" for group in groups
    )


def candidates(key: str, *, exclude_article: int, limit: int, terms: int = 12) -> list[Candidate]:
    """The ``limit`` passages outside ``exclude_article`` that share most of the claim's
    rarest ``terms`` with ``key``, by the index's own rank (``ts_rank`` on PostgreSQL, BM25 on
    SQLite). Two queries: the terms' counts, then the index."""
    groups = query_terms(key, limit=terms)
    if not groups:
        return []
    query = query_text(groups, connection.vendor)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT p.id, p.article_id, p.start, p.end, p.key FROM {PASSAGE_TABLE} p, "
            "to_tsquery('simple', %s) q WHERE p.search @@ q AND p.article_id <> %s "
            "ORDER BY ts_rank(p.search, q) DESC, p.id LIMIT %s"
        )
    else:
        sql = (
            f"SELECT p.id, p.article_id, p.start, p.end, p.key FROM {FTS_TABLE} f "
            f"JOIN {PASSAGE_TABLE} p ON p.id = f.rowid WHERE {FTS_TABLE} MATCH %s "
            "AND p.article_id <> %s ORDER BY f.rank, p.id LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, exclude_article, limit])
        rows: Sequence[tuple[int, int, int, int, str]] = cursor.fetchall()
    return [Candidate(*row) for row in rows]
