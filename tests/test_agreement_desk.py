"""The desk's agreement figures read from assessments (annotations.selectors_agreement)."""

import pytest

from annotations import selectors_agreement
from annotations.models import Claim
from tests import agreement_cases, support
from tests.agreement_cases import assess, bulk_double_checked

double_checked = agreement_cases.double_checked  # the fixture, shared
pytestmark = pytest.mark.django_db


def test_pair_figures_per_article_and_desk_wide(double_checked, analyst, other_analyst):
    figures = selectors_agreement.desk_agreement(Claim.objects.all())

    assert figures.categories == ["verified", "disputed", "unsourced"]
    (article,) = figures.articles
    assert (article.article_id, article.items) == (double_checked.pk, 3)
    (pair,) = article.pairs
    assert (pair.first, pair.second) == (analyst.pk, other_analyst.pk)
    assert pair.items == 3
    # Rows: Olena (the lower id); columns: Pavlo.
    assert pair.confusion == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]
    assert pair.observed_agreement == pytest.approx(2 / 3)
    # p_e = 1/3 * 2/3 + 1/3 * 0 + 1/3 * 1/3 = 1/3, kappa = (2/3 - 1/3) / (2/3)
    assert pair.cohens_kappa == pytest.approx(0.5)
    assert figures.pairs == article.pairs
    assert figures.analysts == {analyst.pk: "olena", other_analyst.pk: "pavlo"}


def test_alpha_and_fleiss_desk_wide(double_checked):
    figures = selectors_agreement.desk_agreement(Claim.objects.all())

    assert figures.items == 3
    assert figures.observed_agreement == pytest.approx(2 / 3)
    # Coincidences: verified 3 values, disputed 1, unsourced 2 (n = 6), 2 off the diagonal:
    # D_o = 2/6, D_e = (36 - 9 - 1 - 4) / 30, alpha = 1 - D_o / D_e = 12/22.
    assert figures.krippendorff_alpha == pytest.approx(12 / 22)
    # Two raters on every item: P = 2/3, P_e = 14/36, kappa = 5/11.
    assert (figures.raters_per_item, figures.fleiss_kappa) == (2, pytest.approx(5 / 11))


def test_highlights_count_the_claims_each_analyst_holds(double_checked, analyst, other_analyst):
    (article,) = selectors_agreement.desk_agreement(Claim.objects.all()).articles

    (highlights,) = article.highlights
    # Olena holds 6 claims, Pavlo 5 (one pending, one his own); 4 are the same claims and
    # the long/shorter pair overlaps by half.
    assert (highlights.first_spans, highlights.second_spans) == (6, 5)
    assert (highlights.exact_matches, highlights.overlap_matches) == (4, 5)
    assert highlights.exact_f1 == pytest.approx(8 / 11)
    assert highlights.overlap_f1 == pytest.approx(10 / 11)


def test_a_third_rater_leaves_fleiss_out_and_alpha_in(double_checked, analyst, other_analyst):
    third = support.make_user("maria", "analyst")
    claim = Claim.objects.get(quote="Венесуэла просит Россию")
    assess(claim, third, "disputed")

    figures = selectors_agreement.desk_agreement(Claim.objects.all())

    assert (figures.fleiss_kappa, figures.raters_per_item) == (None, None)
    assert figures.krippendorff_alpha is not None
    assert [(p.first, p.second, p.items) for p in figures.pairs] == [
        (analyst.pk, other_analyst.pk, 3),
        (analyst.pk, third.pk, 1),
        (other_analyst.pk, third.pk, 1),
    ]
    # Pairwise: Olena and Pavlo agree on 2 of 3 claims; Maria's "disputed" on claim 1 adds
    # two disagreeing pairs (with each of them), so 2 agreeing pairs of 5.
    assert figures.observed_agreement == pytest.approx(2 / 5)


def test_filters_narrow_what_is_compared(double_checked, uk_article, make_claim, other_analyst):
    claim = make_claim(uk_article, "Венесуел", verdict="verified")
    assess(claim, other_analyst, "disputed")

    everything = selectors_agreement.desk_agreement(Claim.objects.all())
    only_uk = selectors_agreement.desk_agreement(Claim.objects.filter(article=uk_article))

    assert len(everything.articles) == 2
    assert [a.article_id for a in only_uk.articles] == [uk_article.pk]
    assert only_uk.items == 1
    # One item, two categories used once each: kappa is defined (-1 < 0), alpha too.
    assert only_uk.pairs[0].confusion == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_nothing_to_compare_gives_none_not_an_error(ru_article, make_claim):
    make_claim(ru_article, "Венесуэла просит Россию", verdict="verified")

    figures = selectors_agreement.desk_agreement(Claim.objects.all())

    assert (figures.items, figures.krippendorff_alpha, figures.fleiss_kappa) == (0, None, None)
    assert figures.pairs == []
    assert figures.observed_agreement is None
    # One analyst on the article: no pair, so the article is not listed.
    assert figures.articles == []


@pytest.mark.parametrize("n", [5, 60])
def test_a_fixed_number_of_queries_whatever_the_size(
    n, ru_article, uk_article, analyst, other_analyst, django_assert_num_queries
):
    bulk_double_checked(ru_article, n, analyst, other_analyst)
    bulk_double_checked(uk_article, n, analyst, other_analyst)

    with django_assert_num_queries(4):
        figures = selectors_agreement.desk_agreement(Claim.objects.all())

    assert figures.items == 2 * n
    shadowed = len(range(0, n, 5))
    for article in figures.articles:
        (highlights,) = article.highlights
        assert (highlights.first_spans, highlights.second_spans) == (n, n + shadowed)
        assert (highlights.exact_matches, highlights.overlap_matches) == (n, n)
