"""The agreement figures against the worked examples their authors published.

No database: ``annotations.agreement`` works on plain counts.
"""

import json
import math

import pytest

from annotations import agreement

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania, section C ("nominal data, any number of
# observers, missing data"): 4 observers, 12 units, values 1-5, None where an observer gave
# no value. The paper's result: alpha = 0.743 (nominal).
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
# (depression, personality disorder, schizophrenia, neurosis, other). Fleiss gives the
# counts per patient and diagnosis; these are the ratings behind them as the R package irr
# ships them (`diagnoses`), whose column totals are the paper's 26, 26, 30, 55, 43.
# The paper's result: kappa = 0.430.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip

# The worked example of the Wikipedia article "Fleiss' kappa" (10 subjects, 14 raters, 5
# categories), often quoted as Fleiss' own: it is not in the 1971 paper. Result: 0.210.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip


def value_counts(ratings_by_rater: list[list[int | None]], values: range) -> list[list[int]]:
    """Units as rows, values as columns: how many raters gave each unit each value."""
    units = range(len(ratings_by_rater[0]))
    return [[sum(1 for r in ratings_by_rater if r[u] == v) for v in values] for u in units]


def test_krippendorff_2011_nominal_example_with_missing_values():
    counts = value_counts(KRIPPENDORFF_2011, range(1, 6))

    assert round(agreement.krippendorff_alpha(counts), 3) == 0.743
    # Unit 12 has one value only: not pairable, so 11 units and 40 pairable values.
    assert agreement.pairable_items(counts) == 11
    assert sum(sum(row) for row in counts if sum(row) >= 2) == 40


def test_fleiss_1971_example():
    counts = value_counts([list(column) for column in zip(*FLEISS_1971, strict=True)], range(1, 6))
    assert [sum(column) for column in zip(*counts, strict=True)] == [26, 26, 30, 55, 43]

    assert round(agreement.fleiss_kappa(counts), 3) == 0.430
    # irr's kappam.fleiss(diagnoses) prints 0.4302445.
    assert agreement.fleiss_kappa(counts) == pytest.approx(0.4302445, abs=1e-7)


def test_fleiss_wikipedia_example():
    assert round(agreement.fleiss_kappa(FLEISS_WIKIPEDIA), 3) == 0.210


def test_cohens_kappa_examples():
    # Cohen (1960) defines kappa = (p_o - p_c) / (1 - p_c). Worked examples:
    # Wikipedia, "Cohen's kappa": 50 grant proposals read by A (rows) and B (columns),
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    assert agreement.observed_agreement([[20, 5], [10, 15]]) == pytest.approx(0.7)
    assert agreement.cohens_kappa([[20, 5], [10, 15]]) == pytest.approx(0.4)
    # Its two tables with the same 60% agreement and different kappas (0.1304, 0.2593).
    assert agreement.cohens_kappa([[45, 15], [25, 15]]) == pytest.approx(0.1304, abs=1e-4)
    assert agreement.cohens_kappa([[25, 35], [5, 35]]) == pytest.approx(0.2593, abs=1e-4)
    # SAS PROC FREQ's simple kappa on a 3x3 table, as statsmodels' tests reproduce it: 0.4842.
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    assert agreement.cohens_kappa(table) == pytest.approx(0.4842, abs=1e-4)


def test_cohens_kappa_equals_fleiss_on_perfect_agreement():
    assert agreement.cohens_kappa([[3, 0], [0, 2]]) == 1.0
    assert agreement.fleiss_kappa([[2, 0], [2, 0], [0, 2]]) == 1.0
    assert agreement.krippendorff_alpha([[2, 0], [2, 0], [0, 2]]) == 1.0


def test_confusion_matrix_rows_are_the_first_rater():
    pairs = [("verified", "verified"), ("verified", "disputed"), ("unsourced", "disputed")]
    matrix = agreement.confusion_matrix(pairs, ["verified", "disputed", "unsourced"])

    assert matrix == [[1, 1, 0], [0, 0, 0], [0, 1, 0]]
    assert agreement.observed_agreement(matrix) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "counts",
    [
        [],  # no items
        [[1, 0], [0, 1]],  # no item has two ratings
        [[2, 0], [3, 0]],  # one category only: chance agreement is certain
    ],
)
def test_undefined_figures_are_none(counts):
    assert agreement.krippendorff_alpha(counts) is None
    assert agreement.fleiss_kappa(counts) is None


def test_undefined_kappa_is_none_and_serialises():
    figures = {
        "no items": agreement.cohens_kappa([[0, 0], [0, 0]]),
        "one category": agreement.cohens_kappa([[4, 0], [0, 0]]),
        "agreement without items": agreement.observed_agreement([[0, 0], [0, 0]]),
    }
    assert figures == dict.fromkeys(figures)
    assert json.loads(json.dumps(figures, allow_nan=False)) == figures
    # One category but both raters always agreeing is still full observed agreement.
    assert agreement.observed_agreement([[4, 0], [0, 0]]) == 1.0


def test_fleiss_needs_the_same_number_of_raters_per_item():
    assert agreement.fleiss_kappa([[2, 0], [1, 2]]) is None
    # Alpha takes them as they are.
    assert agreement.krippendorff_alpha([[2, 0], [1, 2]]) is not None


def test_alpha_is_never_nan():
    value = agreement.krippendorff_alpha([[1, 1], [1, 1]])
    assert value is not None and not math.isnan(value)


# --- Highlights


def test_overlap_by_half_is_measured_against_the_longer_span():
    assert agreement.overlaps_by_half((0, 10), (0, 5))  # 5 of 10
    assert not agreement.overlaps_by_half((0, 10), (0, 4))  # 4 of 10
    assert agreement.overlaps_by_half((0, 10), (5, 15))  # 5 of 10, both ways
    assert not agreement.overlaps_by_half((0, 10), (10, 20))  # touching is not overlapping
    assert agreement.overlaps_by_half((3, 8), (3, 8))


def test_span_agreement_exact_and_overlap():
    first = [(0, 10), (20, 30), (40, 50)]
    second = [(0, 10), (22, 30), (70, 80), (90, 95)]

    result = agreement.span_agreement(first, second)

    assert (result.exact_matches, result.overlap_matches) == (1, 2)
    assert result.exact_f1 == pytest.approx(2 * 1 / 7)
    assert result.overlap_f1 == pytest.approx(2 * 2 / 7)


def test_span_matching_is_one_to_one_and_maximal():
    # (0, 10) overlaps both of the second analyst's spans by half and is tried first; taking
    # (0, 6) for it would leave the first analyst's (0, 6) without a partner. The maximum
    # pairs (0, 10)-(4, 10) and (0, 6)-(0, 6).
    result = agreement.span_agreement([(0, 10), (0, 6)], [(0, 6), (4, 10)])
    assert (result.exact_matches, result.overlap_matches) == (1, 2)
    # One long span against two halves: it matches one of them only.
    result = agreement.span_agreement([(0, 10)], [(0, 5), (5, 10)])
    assert result.overlap_matches == 1
    assert result.overlap_f1 == pytest.approx(2 / 3)


def test_span_agreement_without_spans_is_undefined():
    result = agreement.span_agreement([], [])
    assert result.exact_f1 is None and result.overlap_f1 is None
    assert agreement.span_agreement([(0, 1)], []).exact_f1 == 0.0
