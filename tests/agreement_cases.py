"""Desks of two analysts for the agreement tests (tests/test_agreement_desk.py, the API's)."""

import pytest

from annotations import services
from annotations.models import Article, Assessment, Claim

LONG = "Николас Мадуро также обращался к Китаю и Ирану"
SHORTER = "Николас Мадуро также обращался к Китаю"  # 38 of 46 code points: overlaps by half


def assess(claim, who, verdict):
    return services.assessment_submit(claim=claim, analyst=who, verdict=verdict)


@pytest.fixture
def double_checked(ru_article, make_claim, analyst, other_analyst):
    """Olena and Pavlo on the Russian article, as in the module's docstring.

    Verdicts on three claims both submitted: (verified, verified), (disputed, verified),
    (unsourced, unsourced); a fourth Pavlo holds pending. Olena's long claim and Pavlo's
    shorter one overlap by half; Olena has one more claim alone.
    """
    c1 = make_claim(ru_article, "Венесуэла просит Россию", verdict="verified")
    c2 = make_claim(ru_article, "президент Венесуэлы", verdict="disputed")
    c3 = make_claim(ru_article, "ремонте радаров", verdict="unsourced")
    c4 = make_claim(ru_article, "военных самолетов", verdict="verified")
    make_claim(ru_article, LONG, verdict="verified")
    make_claim(ru_article, "Си Цзиньпину")
    assess(c1, other_analyst, "verified")
    assess(c2, other_analyst, "verified")
    assess(c3, other_analyst, "unsourced")
    assess(c4, other_analyst, "pending")
    make_claim(ru_article, SHORTER, author=other_analyst, verdict="disputed")
    return ru_article


def bulk_double_checked(article, n: int, first, second) -> None:
    """``n`` claims both analysts assessed, and every fifth shadowed by one of the second's
    alone that overlaps it (fixture data only: rows in bulk, no services)."""
    verdicts = ["verified", "disputed", "unsourced"]
    spans = [(10 * i, 10 * i + 6, True) for i in range(n)]
    spans += [(10 * i + 1, 10 * i + 7, False) for i in range(0, n, 5)]
    claims = Claim.objects.bulk_create(
        Claim(
            article=article,
            start=start,
            end=end,
            quote=article.body[start:end],
            created_by=first,
            updated_by=first,
        )
        for start, end, _ in spans
    )
    Assessment.objects.bulk_create(
        [
            Assessment(claim=claim, analyst=who, verdict=verdicts[(i + k * (i % 2)) % 3])
            for i, (claim, (_, _, both)) in enumerate(zip(claims, spans, strict=True))
            for k, who in enumerate((first, second) if both else (second,))
        ]
    )


def many_articles(seed, n: int, analyst, other_analyst) -> list:
    """``n`` copies of ``seed``, each double-checked on three claims; article i
    has i disagreeing claims (capped at three), so the order is known."""
    made = []
    for i in range(n):
        article = Article.objects.create(
            title=f"Copy {i}",
            slug=f"copy-{i}",
            body=seed.body,
            language=seed.language,
            content_hash=seed.content_hash,
            source_file=f"copy-{i}.txt",
        )
        claims = Claim.objects.bulk_create(
            Claim(
                article=article,
                start=10 * k,
                end=10 * k + 5,
                quote=seed.body[10 * k : 10 * k + 5],
                created_by=analyst,
                updated_by=analyst,
            )
            for k in range(3)
        )
        Assessment.objects.bulk_create(
            Assessment(claim=claim, analyst=who, verdict=verdict)
            for k, claim in enumerate(claims)
            for who, verdict in (
                (analyst, "verified"),
                (other_analyst, "disputed" if k < i else "verified"),
            )
        )
        made.append(article)
    return made
