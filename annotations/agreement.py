"""Agreement between analysts: the statistics alone, on plain counts (no Django, no database).

Krippendorff's alpha comes from the ``krippendorff`` package (it handles missing values,
which is the delicate part). Cohen's and Fleiss' kappa are the textbook formulas on a few
numpy arrays: the libraries that carry them (statsmodels, scikit-learn) would bring scipy and
pandas, some 200 MB, for two lines of arithmetic each. Every figure is checked against the
worked example its author published (tests/test_agreement_figures.py).

A figure that the data cannot define (no item with two ratings, every rating in one
category, so chance agreement is certain) is ``None``, never NaN, so it can go into JSON.
"""

import bisect
import math
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np
import numpy.typing as npt

# Counts per category: one row per item (claim), one column per category (verdict).
Counts = Sequence[Sequence[int]] | npt.NDArray[np.int64]
Span = tuple[int, int]


def _defined(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def confusion_matrix(
    pairs: Iterable[tuple[str, str]], categories: Sequence[str]
) -> list[list[int]]:
    """Rows: the first rater's category, columns: the second's, in the order of ``categories``."""
    index = {category: i for i, category in enumerate(categories)}
    matrix = [[0] * len(categories) for _ in categories]
    for first, second in pairs:
        matrix[index[first]][index[second]] += 1
    return matrix


def observed_agreement(confusion: Counts) -> float | None:
    """The share of items on which two raters chose the same category (the diagonal)."""
    table = np.asarray(confusion, dtype=np.int64)
    n = int(table.sum())
    return float(np.trace(table) / n) if n else None


def cohens_kappa(confusion: Counts) -> float | None:
    """Cohen's (1960) kappa for two raters from their confusion matrix of counts.

    kappa = (p_o - p_e) / (1 - p_e), p_e from the product of the two raters' marginals.
    Undefined (None) with no items, or when both raters used one and the same category
    throughout (p_e = 1): agreement cannot be told from chance there.
    """
    table = np.asarray(confusion, dtype=np.float64)
    n = table.sum()
    if n == 0:
        return None
    p_o = np.trace(table) / n
    p_e = float((table.sum(axis=1) / n) @ (table.sum(axis=0) / n))
    if math.isclose(p_e, 1.0):
        return None
    return _defined((p_o - p_e) / (1 - p_e))


def fleiss_kappa(counts: Counts) -> float | None:
    """Fleiss' (1971) kappa: every item rated by the same number (>= 2) of raters.

    ``counts[i][j]`` is how many raters put item i in category j. None when there are no
    items, the items have different numbers of raters (use Krippendorff's alpha then), or
    every rating falls in one category.
    """
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] == 0:
        return None
    raters = table.sum(axis=1)
    m = raters[0]
    if m < 2 or not np.all(raters == m):
        return None
    n_items = table.shape[0]
    p_j = table.sum(axis=0) / (n_items * m)
    p_i = ((table * table).sum(axis=1) - m) / (m * (m - 1))
    p_bar = p_i.mean()
    p_e = float(p_j @ p_j)
    if math.isclose(p_e, 1.0):
        return None
    return _defined((p_bar - p_e) / (1 - p_e))


def krippendorff_alpha(counts: Counts) -> float | None:
    """Krippendorff's alpha, nominal, from the values each item (unit) received.

    ``counts[i][j]`` is how many raters gave item i value j; items may have any number of
    raters (missing values), and items with fewer than two are not pairable and count for
    nothing, as in Krippendorff (2011). None when no item has two ratings or all pairable
    ratings are one value (no expected disagreement).
    """
    table = np.asarray(counts, dtype=np.int64)
    if table.ndim != 2 or table.shape[0] == 0:
        return None
    pairable = table[table.sum(axis=1) >= 2]
    if pairable.shape[0] == 0 or np.count_nonzero(pairable.sum(axis=0)) < 2:
        return None
    value = krippendorff.alpha(value_counts=pairable, level_of_measurement="nominal")
    return _defined(float(value))


def pairable_items(counts: Counts) -> int:
    """The number of items with two or more ratings: the n behind alpha and Fleiss' kappa."""
    table = np.asarray(counts, dtype=np.int64)
    return int((table.sum(axis=1) >= 2).sum()) if table.ndim == 2 else 0


# --- Highlights: how far two analysts chose the same spans of one article


def overlaps_by_half(a: Span, b: Span) -> bool:
    """Two spans overlap by at least half: their common part is at least half the longer one.

    With ``[start, end)`` offsets, ``min(ends) - max(starts) >= max(lengths) / 2`` and > 0.
    Measured against the longer span, so a short highlight inside a long one does not match
    (three words inside a paragraph are not the same claim), and the relation is symmetric.
    """
    common = min(a[1], b[1]) - max(a[0], b[0])
    longer = max(a[1] - a[0], b[1] - b[0])
    return common > 0 and 2 * common >= longer


def _maximum_matching(first: Sequence[Span], second: Sequence[Span]) -> int:
    """The most one-to-one pairs of spans that overlap by half (augmenting paths, Kuhn)."""
    order = sorted(range(len(second)), key=lambda j: second[j])
    starts = [second[j][0] for j in order]
    edges: list[list[int]] = []
    for start, end in first:
        # A span overlapping by half is at most twice as long, so it starts no earlier than
        # start - (end - start) and before end.
        low = bisect.bisect_left(starts, start - (end - start))
        high = bisect.bisect_left(starts, end)
        edges.append(
            [order[k] for k in range(low, high) if overlaps_by_half((start, end), second[order[k]])]
        )
    matched_first: list[int | None] = [None] * len(first)
    matched_second: list[int | None] = [None] * len(second)
    for root in range(len(first)):
        if not edges[root]:
            continue
        came_from: dict[int, int] = {}
        queue = deque([root])
        found: int | None = None
        while queue and found is None:
            i = queue.popleft()
            for j in edges[i]:
                if j in came_from:
                    continue
                came_from[j] = i
                partner = matched_second[j]
                if partner is None:
                    found = j
                    break
                queue.append(partner)
        j_free = found
        while j_free is not None:
            i = came_from[j_free]
            previous = matched_first[i]
            matched_first[i], matched_second[j_free] = j_free, i
            j_free = previous if i != root else None
    return sum(1 for j in matched_first if j is not None)


@dataclass(frozen=True)
class SpanAgreement:
    """How two analysts' highlights on one article agree.

    F1 = 2 * matched / (spans of the first + spans of the second), the harmonic mean of
    precision and recall taking either analyst as the reference (it is symmetric). Spans
    are matched one to one: exactly (same start and end), or by overlapping by at least
    half (``overlaps_by_half``; an exact match is also an overlap match).
    """

    first_spans: int
    second_spans: int
    exact_matches: int
    overlap_matches: int

    @staticmethod
    def _f1(matches: int, total: int) -> float | None:
        return 2 * matches / total if total else None

    @property
    def exact_f1(self) -> float | None:
        return self._f1(self.exact_matches, self.first_spans + self.second_spans)

    @property
    def overlap_f1(self) -> float | None:
        return self._f1(self.overlap_matches, self.first_spans + self.second_spans)


def span_agreement(first: Collection[Span], second: Collection[Span]) -> SpanAgreement:
    """Exact and overlap-by-half matches between two analysts' spans on one article."""
    a, b = list(dict.fromkeys(first)), list(dict.fromkeys(second))
    return SpanAgreement(
        first_spans=len(a),
        second_spans=len(b),
        exact_matches=len(set(a) & set(b)),
        overlap_matches=_maximum_matching(a, b),
    )
