"""Agreement between the desk's analysts, read from their assessments (issue 10, item 3).

What is compared, and why:

- **Verdicts**: claims with two or more *submitted* assessments (verdict not pending). Per
  article and desk-wide, for each pair of analysts who both submitted on a claim: the number
  of such claims, observed agreement, Cohen's kappa and the confusion matrix (rows: the
  analyst with the lower id). Desk-wide also Krippendorff's alpha (nominal) across all
  analysts, every claim with two or more submitted verdicts counting whatever its number of
  raters, and Fleiss' kappa only when every such claim has the same number of raters (it is
  not defined otherwise; alpha is the figure for the general case). Observed agreement of
  an article or the desk is pairwise: the share of agreeing pairs among all pairs of
  submitted verdicts on one claim.
- **Highlights**: per article, for each pair of analysts who both hold an assessment there
  (pending or not), their spans are the claims they hold an assessment on. Since a second
  analyst highlighting an existing span joins that claim rather than making a new one,
  "holds an assessment" is what "highlighted it" means; the claim's creator is no better
  witness. Orphaned claims are left out of highlights (their offsets no longer point into
  the text) but not out of verdicts. See ``annotations.agreement.span_agreement``.

The claims come filtered as the claims API filters them. The reads are four queries
whatever the desk's size, and no row per assessment comes back: the database folds each
claim's assessments into one "who said what" string and counts the claims of each article
judged the same way (one pass over the assessments). The confusion matrices, the per-claim
verdict profiles (all that alpha and Fleiss' kappa need) and the claims each analyst holds
are read off those few rows. Articles come a page at a time (most disagreeing first); only
the page's articles have their spans read, and only those of claims that overlap another
claim (the others can only match themselves, which a count says).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import Lead

from annotations import agreement
from annotations.models import Article, Assessment, Claim, Verdict

CATEGORIES: list[str] = [str(v) for v in Verdict.final()]
ARTICLES_PER_PAGE = 25
MSG_NO_SUCH_PAGE = "No such page of articles: there are {pages}."


@dataclass(frozen=True)
class PairFigures:
    """Two analysts' verdicts on the claims both submitted on."""

    first: int
    second: int
    items: int
    observed_agreement: float | None
    cohens_kappa: float | None
    confusion: list[list[int]]


@dataclass(frozen=True)
class HighlightFigures:
    """Two analysts' highlights on one article."""

    first: int
    second: int
    first_spans: int
    second_spans: int
    exact_matches: int
    overlap_matches: int
    exact_f1: float | None
    overlap_f1: float | None


@dataclass
class ArticleFigures:
    article_id: int
    title: str
    items: int = 0
    observed_agreement: float | None = None
    pairs: list[PairFigures] = field(default_factory=list)
    highlights: list[HighlightFigures] = field(default_factory=list)


@dataclass
class DeskFigures:
    categories: list[str]
    items: int
    observed_agreement: float | None
    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    raters_per_item: int | None
    pairs: list[PairFigures]
    articles: list[ArticleFigures]
    analysts: dict[int, str]
    article_count: int = 0
    page: int = 1
    pages: int = 1


Confusions = dict[tuple[int, int], list[list[int]]]


def _pair_figures(confusions: Confusions) -> list[PairFigures]:
    return [
        PairFigures(
            first=first,
            second=second,
            items=sum(map(sum, matrix)),
            observed_agreement=agreement.observed_agreement(matrix),
            cohens_kappa=agreement.cohens_kappa(matrix),
            confusion=matrix,
        )
        for (first, second), matrix in sorted(confusions.items())
    ]


def _pairwise_agreement(confusions: Iterable[list[list[int]]]) -> float | None:
    agreeing = total = 0
    for matrix in confusions:
        agreeing += sum(matrix[i][i] for i in range(len(matrix)))
        total += sum(map(sum, matrix))
    return agreeing / total if total else None


def _claim_rows(claims: QuerySet[Claim]) -> tuple[str, tuple]:
    """SQL for the claims' (claim_key, article_key, orphaned) rows, one per claim.

    The claims' own query when it joins nothing (a join could repeat a claim), else the
    claims by id. Raises EmptyResultSet for a filter that no claim can pass (``article=-1``).
    """
    plain = len(claims.query.alias_map) <= 1
    rows = claims if plain else Claim.with_deleted.filter(pk__in=claims.order_by().values("pk"))
    return (
        rows.order_by()
        .values(claim_key=F("pk"), article_key=F("article_id"), orphaned=F("is_orphaned"))
        .query.sql_with_params()
    )


Judgments = tuple[tuple[int, str], ...]


def _judgment_sets(claims_sql: str, params: tuple) -> list[tuple[int, bool, Judgments, int]]:
    """(article, orphaned, the claim's (analyst, verdict) pairs, claims judged so), grouped.

    One pass over the claims' assessments, pending ones too (they count as highlights): the
    database folds each claim's assessments into one string and counts the claims of each
    article that were judged the same way, so a desk of 100,000 claims comes back as a few
    thousand rows. The confusion matrices, the verdict profiles behind alpha and Fleiss'
    kappa, and the claims each analyst holds are all read off these rows. Django cannot
    group by an aggregate, so this is hand-built SQL around the ORM's claim query.
    """
    quote = connection.ops.quote_name
    analyst, verdict = f"s.{quote('analyst_id')}", f"s.{quote('verdict')}"
    if connection.vendor == "postgresql":
        folded = f"string_agg({analyst}::text || ':' || {verdict}, ',')"
    else:
        folded = f"group_concat(CAST({analyst} AS TEXT) || ':' || {verdict}, ',')"
    article, orphaned = f"c.{quote('article_key')}", f"c.{quote('orphaned')}"
    sql = (
        f"SELECT article, orphaned, judgments, COUNT(*) FROM ("
        f"SELECT {article} AS article, {orphaned} AS orphaned, {folded} AS judgments "
        f"FROM {quote(Assessment._meta.db_table)} s "
        f"JOIN ({claims_sql}) c ON c.{quote('claim_key')} = s.{quote('claim_id')} "
        f"GROUP BY s.{quote('claim_id')}, {article}, {orphaned}) per_claim "
        f"GROUP BY article, orphaned, judgments"
    )
    merged: dict[tuple[int, bool, Judgments], int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for article_id, is_orphaned, folded_judgments, claims in cursor.fetchall():
            # The order inside a claim's string is the database's: sort, then merge.
            judgments = tuple(
                sorted(
                    (int(analyst_id), verdict_value)
                    for analyst_id, _, verdict_value in (
                        item.partition(":") for item in folded_judgments.split(",")
                    )
                )
            )
            merged[(article_id, bool(is_orphaned), judgments)] += int(claims)
    return [(a, o, j, n) for (a, o, j), n in merged.items()]


def _overlapping_spans(claims: QuerySet[Claim]) -> list[tuple[int, int, int, int, int]]:
    """(article, claim, start, end, analyst) for placed claims that overlap another one.

    A claim overlaps a neighbour when, in start order within its article, an earlier claim
    ends after it starts or the next one starts before it ends.
    """
    order = [F("start"), F("end"), F("id")]
    contested = (
        claims.filter(is_orphaned=False)
        .annotate(
            earlier_end=Window(
                Max("end"),
                partition_by=[F("article_id")],
                order_by=order,
                frame=RowRange(start=None, end=-1),
            ),
            next_start=Window(Lead("start"), partition_by=[F("article_id")], order_by=order),
        )
        .filter(Q(earlier_end__gt=F("start")) | Q(next_start__lt=F("end")))
        .values("pk")
    )
    return list(
        Assessment.objects.filter(claim_id__in=contested)
        .values_list("claim__article_id", "claim_id", "claim__start", "claim__end", "analyst_id")
        .order_by()
    )


def _highlights(
    held: list[tuple[int, int, int]],
    shared: dict[tuple[int, int, int], int],
    contested: list[tuple[int, int, int, int, int]],
) -> dict[int, list[HighlightFigures]]:
    """Per article, the highlight figures of every pair of analysts working on it.

    A claim that overlaps no other claim can only match itself, so it adds one exact and
    one overlap match to every pair holding it: those come from the counts. The spans of
    overlapping claims are matched one to one (``agreement.span_agreement``).
    """
    spans_per: dict[int, dict[int, int]] = defaultdict(dict)
    for article_id, analyst_id, n in held:
        spans_per[article_id][analyst_id] = n
    contested_spans: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    contested_claims: dict[tuple[int, int], set[int]] = defaultdict(set)
    for article_id, claim_id, start, end, analyst_id in contested:
        contested_spans[(article_id, analyst_id)].add((start, end))
        contested_claims[(article_id, analyst_id)].add(claim_id)
    result: dict[int, list[HighlightFigures]] = {}
    for article_id, analysts in spans_per.items():
        figures = []
        for first, second in combinations(sorted(analysts), 2):
            both = shared.get((article_id, first, second), 0)
            a = contested_claims.get((article_id, first), set())
            b = contested_claims.get((article_id, second), set())
            plain_shared = both - len(a & b)
            spans = agreement.span_agreement(
                contested_spans.get((article_id, first), set()),
                contested_spans.get((article_id, second), set()),
            )
            exact = plain_shared + spans.exact_matches
            overlap = plain_shared + spans.overlap_matches
            total = analysts[first] + analysts[second]
            figures.append(
                HighlightFigures(
                    first=first,
                    second=second,
                    first_spans=analysts[first],
                    second_spans=analysts[second],
                    exact_matches=exact,
                    overlap_matches=overlap,
                    exact_f1=2 * exact / total if total else None,
                    overlap_f1=2 * overlap / total if total else None,
                )
            )
        result[article_id] = figures
    return result


def _disagreement(confusions: Confusions) -> int:
    """Pairs of verdicts on one claim that differ: what orders the articles."""
    return sum(
        sum(map(sum, matrix)) - sum(matrix[i][i] for i in range(len(matrix)))
        for matrix in confusions.values()
    )


def desk_agreement(
    claims: QuerySet[Claim], page: int = 1, per_page: int = ARTICLES_PER_PAGE
) -> DeskFigures:
    """Every agreement figure for ``claims`` (already filtered), in four queries.

    The desk-wide figures cover every claim; the articles come a page at a time, the most
    disagreeing pairs of verdicts first (then by id), and only the page's articles have
    their highlights matched and their titles read. A page past the last is empty.
    """
    try:
        claims_sql, params = _claim_rows(claims)
    except EmptyResultSet:  # a filter that no claim can pass (``article=-1``): no rows
        claims_sql, params = _claim_rows(Claim.with_deleted.filter(pk__isnull=True))
    index = {category: i for i, category in enumerate(CATEGORIES)}
    size = len(CATEGORIES)

    by_article: dict[int, Confusions] = defaultdict(dict)
    desk: Confusions = defaultdict(lambda: [[0] * size for _ in range(size)])
    shared: dict[tuple[int, int, int], int] = defaultdict(int)
    items_per_article: dict[int, int] = defaultdict(int)
    desk_profiles: dict[tuple[int, ...], int] = defaultdict(int)
    held_per: dict[tuple[int, int], int] = defaultdict(int)
    for article_id, orphaned, judgments, n in _judgment_sets(claims_sql, params):
        for (first, v1), (second, v2) in combinations(judgments, 2):
            if not orphaned:
                shared[(article_id, first, second)] += n
            if v1 in index and v2 in index:
                cell = by_article[article_id].setdefault(
                    (first, second), [[0] * size for _ in range(size)]
                )
                cell[index[v1]][index[v2]] += n
                desk[(first, second)][index[v1]][index[v2]] += n
        profile = [0] * size
        for _, verdict in judgments:
            if verdict in index:
                profile[index[verdict]] += 1
        if sum(profile) >= 2:
            items_per_article[article_id] += n
            desk_profiles[tuple(profile)] += n
        if not orphaned:
            for analyst_id, _ in judgments:
                held_per[(article_id, analyst_id)] += n
    held = [(article_id, analyst_id, n) for (article_id, analyst_id), n in held_per.items()]
    # One row per claim, as the statistics take them: a few distinct profiles, repeated.
    rows = np.repeat(
        np.array(list(desk_profiles), dtype=np.int64).reshape(-1, size),
        list(desk_profiles.values()),
        axis=0,
    )
    raters = {sum(profile) for profile in desk_profiles}

    # Articles where two analysts met: a verdict pair or two analysts holding claims there.
    holders: dict[int, int] = defaultdict(int)
    for article_id, _, _ in held:
        holders[article_id] += 1
    listed = sorted(
        set(by_article) | {pk for pk, n in holders.items() if n >= 2},
        key=lambda pk: (-_disagreement(by_article.get(pk, {})), pk),
    )
    pages = max(1, -(-len(listed) // per_page))
    shown = listed[(page - 1) * per_page : page * per_page] if page >= 1 else []
    on_page = set(shown)
    highlights = _highlights(
        [row for row in held if row[0] in on_page],
        shared,
        _overlapping_spans(claims.filter(article_id__in=shown)),
    )
    titles = dict(Article.objects.filter(pk__in=shown).values_list("pk", "title"))
    articles = []
    for article_id in shown:
        confusions = by_article.get(article_id, {})
        articles.append(
            ArticleFigures(
                article_id=article_id,
                title=titles.get(article_id, ""),
                items=items_per_article.get(article_id, 0),
                observed_agreement=_pairwise_agreement(confusions.values()),
                pairs=_pair_figures(confusions),
                highlights=highlights.get(article_id, []),
            )
        )

    analyst_ids = {a for pair in desk for a in pair} | {
        a for figures in highlights.values() for h in figures for a in (h.first, h.second)
    }
    analysts = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=analyst_ids)
    }
    return DeskFigures(
        categories=CATEGORIES,
        items=int(rows.shape[0]),
        observed_agreement=_pairwise_agreement(desk.values()),
        krippendorff_alpha=agreement.krippendorff_alpha(rows),
        fleiss_kappa=agreement.fleiss_kappa(rows) if len(raters) == 1 else None,
        raters_per_item=next(iter(raters)) if len(raters) == 1 else None,
        pairs=_pair_figures(desk),
        articles=articles,
        analysts=analysts,
        article_count=len(listed),
        page=page,
        pages=pages,
    )
