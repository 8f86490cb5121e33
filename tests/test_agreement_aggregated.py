"""The database-aggregated agreement figures equal the straightforward computation.

``selectors_agreement.desk_agreement`` lets the database count pairs, verdict profiles and
spans held, and matches highlights only for one page of articles. Here a random desk of a
few hundred claims (up to four analysts per claim, pending verdicts, orphaned and deleted
claims, overlapping spans) is computed again the plain way: every assessment fetched, every
pair of analysts on a claim enumerated, one row of verdict counts per claim handed to the
statistics, every article's spans matched in full. Runs on SQLite and PostgreSQL (the two
take different SQL: GROUPING SETS there, UNION ALL here).
"""

import random
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from itertools import combinations

import pytest

from annotations import agreement, selectors_agreement
from annotations.models import Article, Assessment, Claim
from tests import support

pytestmark = pytest.mark.django_db
CATEGORIES = selectors_agreement.CATEGORIES
VERDICTS = [*CATEGORIES, "pending"]


def random_desk(seed: int, articles: list[Article], analysts: list) -> None:
    rng = random.Random(seed)
    claims = []
    for article in articles:
        spans: set[tuple[int, int]] = set()
        while len(spans) < 60:
            start = rng.randrange(0, 400)
            spans.add((start, start + rng.randrange(3, 30)))
        for start, end in sorted(spans):
            deleted = rng.random() < 0.05
            claims.append(
                Claim(
                    article=article,
                    start=start,
                    end=end,
                    quote=article.body[start:end],
                    is_orphaned=rng.random() < 0.05,
                    deleted_at=datetime.now(UTC) if deleted else None,
                    created_by=analysts[0],
                    updated_by=analysts[0],
                )
            )
    made = Claim.with_deleted.bulk_create(claims)
    Assessment.objects.bulk_create(
        Assessment(
            claim=claim,
            analyst=who,
            # Mostly agreeing, as a desk does, so that kappa and alpha are far from 0.
            verdict=CATEGORIES[claim.start % 3] if rng.random() < 0.6 else rng.choice(VERDICTS),
        )
        for claim in made
        for who in rng.sample(analysts, rng.choice([0, 1, 2, 2, 2, 3, 4]))
    )


def straightforward(claims) -> dict:
    """Every figure from every assessment, with no help from the database."""
    rows = Assessment.objects.filter(claim__in=claims).values_list(
        "claim_id",
        "claim__article_id",
        "claim__is_orphaned",
        "claim__start",
        "claim__end",
        "analyst_id",
        "verdict",
    )
    on_claim: dict[int, list[tuple[int, str]]] = defaultdict(list)
    article_of: dict[int, int] = {}
    spans: dict[int, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for claim_id, article_id, orphaned, start, end, analyst_id, verdict in rows:
        on_claim[claim_id].append((analyst_id, verdict))
        article_of[claim_id] = article_id
        if not orphaned:
            spans[article_id][analyst_id].add((start, end))
    size = len(CATEGORIES)
    desk: dict = defaultdict(lambda: [[0] * size for _ in range(size)])
    per_article: dict = defaultdict(lambda: defaultdict(lambda: [[0] * size for _ in range(size)]))
    counts, items = [], defaultdict(int)
    for claim_id, judged in on_claim.items():
        submitted = sorted((a, v) for a, v in judged if v in CATEGORIES)
        for (a1, v1), (a2, v2) in combinations(submitted, 2):
            i, j = CATEGORIES.index(v1), CATEGORIES.index(v2)
            desk[(a1, a2)][i][j] += 1
            per_article[article_of[claim_id]][(a1, a2)][i][j] += 1
        if len(submitted) >= 2:
            counts.append([sum(1 for _, v in submitted if v == c) for c in CATEGORIES])
            items[article_of[claim_id]] += 1
    raters = {sum(row) for row in counts}

    def pairs(confusions):
        return [
            (a, b, sum(map(sum, m)), agreement.cohens_kappa(m), m)
            for (a, b), m in sorted(confusions.items())
        ]

    def observed(confusions):
        total = sum(sum(map(sum, m)) for m in confusions.values())
        agreeing = sum(m[i][i] for m in confusions.values() for i in range(size))
        return agreeing / total if total else None

    articles = {}
    for article_id in set(per_article) | {pk for pk, held in spans.items() if len(held) >= 2}:
        held = spans.get(article_id, {})
        highlights = []
        for a, b in combinations(sorted(held), 2):
            figures = agreement.span_agreement(held[a], held[b])
            highlights.append(
                (a, b, *asdict(figures).values(), figures.exact_f1, figures.overlap_f1)
            )
        articles[article_id] = {
            "items": items.get(article_id, 0),
            "observed_agreement": observed(per_article.get(article_id, {})),
            "pairs": pairs(per_article.get(article_id, {})),
            "highlights": highlights,
        }
    return {
        "items": len(counts),
        "observed_agreement": observed(desk),
        "krippendorff_alpha": agreement.krippendorff_alpha(counts) if counts else None,
        "fleiss_kappa": agreement.fleiss_kappa(counts) if len(raters) == 1 else None,
        "raters_per_item": next(iter(raters)) if len(raters) == 1 else None,
        "pairs": pairs(desk),
        "articles": articles,
    }


def aggregated(claims, per_page: int) -> dict:
    """The same shape from ``desk_agreement``, its pages of articles put together."""
    first = selectors_agreement.desk_agreement(claims, page=1, per_page=per_page)
    pages = [first] + [
        selectors_agreement.desk_agreement(claims, page=n, per_page=per_page)
        for n in range(2, first.pages + 1)
    ]
    listed = [article for page in pages for article in page.articles]
    assert len(listed) == first.article_count

    def pairs(figures):
        return [(p.first, p.second, p.items, p.cohens_kappa, p.confusion) for p in figures]

    return {
        "items": first.items,
        "observed_agreement": first.observed_agreement,
        "krippendorff_alpha": first.krippendorff_alpha,
        "fleiss_kappa": first.fleiss_kappa,
        "raters_per_item": first.raters_per_item,
        "pairs": pairs(first.pairs),
        "articles": {
            a.article_id: {
                "items": a.items,
                "observed_agreement": a.observed_agreement,
                "pairs": pairs(a.pairs),
                "highlights": [tuple(asdict(h).values()) for h in a.highlights],
            }
            for a in listed
        },
        "order": [a.article_id for a in listed],
    }


@pytest.fixture
def desk_articles(seeds) -> list[Article]:
    """Six articles: copies of the two seeds (their text is all a claim needs)."""
    originals = list(seeds.values())
    for i in range(4):
        seed = originals[i % 2]
        Article.objects.create(
            title=f"{seed.title} #{i}",
            slug=f"copy-{i}",
            body=seed.body,
            language=seed.language,
            content_hash=seed.content_hash,
            source_file=f"copy-{i}.txt",
        )
    return list(Article.objects.order_by("id"))


@pytest.mark.parametrize(
    ("seed", "joined"),
    # A filter through a join repeats claims: the aggregation then reads the claims by id.
    [(1, False), (2, False), (3, True)],
)
def test_the_aggregated_figures_equal_the_straightforward_ones(seed, joined, desk_articles):
    analysts = [support.make_user(f"analyst-{i}", "analyst") for i in range(4)]
    random_desk(seed, desk_articles, analysts)
    claims = Claim.objects.all()
    if joined:
        claims = claims.filter(assessments__verdict__in=["verified", "disputed"])
        assert claims.count() > claims.distinct().count()

    expected = straightforward(claims)
    got = aggregated(claims, per_page=2)

    assert got["items"] > 100  # a desk worth comparing
    assert expected["articles"], "the desk has articles to compare"
    order = got.pop("order")
    # The floats may differ in the last place (sums taken in another order), nothing more.
    same(got, expected)
    disagreement = [
        sum(sum(map(sum, m)) - sum(m[i][i] for i in range(3)) for *_, m in pairs)
        for pairs in (got["articles"][pk]["pairs"] for pk in order)
    ]
    assert disagreement == sorted(disagreement, reverse=True)


def near(value):
    """Equal, to 12 significant digits for floats (None stays None)."""
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-12)
    if isinstance(value, (list, tuple)):
        return type(value)(near(v) for v in value)
    return value


def same(got: dict, expected: dict) -> None:
    """Counts equal, figures equal to 12 significant digits (pytest.approx is not nested)."""
    for key in ("items", "raters_per_item", "observed_agreement", "krippendorff_alpha"):
        assert got[key] == near(expected[key]), key
    assert got["fleiss_kappa"] == near(expected["fleiss_kappa"])
    assert got["pairs"] == near(expected["pairs"])
    assert set(got["articles"]) == set(expected["articles"])
    for pk, article in got["articles"].items():
        want = expected["articles"][pk]
        assert article["items"] == want["items"], pk
        assert article["observed_agreement"] == near(want["observed_agreement"]), pk
        assert article["pairs"] == near(want["pairs"]), pk
        assert article["highlights"] == near(want["highlights"]), pk
