"""Finding a claim's span again after its article text changed.

A claim remembers its quote plus about 32 code points of text on either side
(the W3C TextQuoteSelector idea, as Hypothesis uses it). When the body changes we
look for, in order: the same quote at the old offsets; the same quote elsewhere,
preferring the occurrence whose surroundings match; the old surroundings with
edited text between them; a near-identical passage. Anything else is lost.
"""

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

CONTEXT_LENGTH = 32
_FUZZY_THRESHOLD = 0.85
_CONTEXT_MIN = 8


class Placement(StrEnum):
    UNCHANGED = "unchanged"
    MOVED = "moved"
    CHANGED = "changed"


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    placement: Placement


def context_around(body: str, start: int, end: int) -> tuple[str, str]:
    """Return the prefix and suffix that a TextQuoteSelector keeps for a span."""
    return body[max(0, start - CONTEXT_LENGTH) : start], body[end : end + CONTEXT_LENGTH]


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _context_score(body: str, start: int, end: int, prefix: str, suffix: str) -> int:
    before, after = context_around(body, start, end)
    return _common_suffix(before, prefix) + _common_prefix(after, suffix)


def _find_all(body: str, needle: str) -> list[int]:
    found, at = [], body.find(needle)
    while at != -1:
        found.append(at)
        at = body.find(needle, at + 1)
    return found


def _by_quote(body: str, quote: str, prefix: str, suffix: str, hint: int) -> Anchor | None:
    starts = _find_all(body, quote)
    if not starts:
        return None
    best = max(
        starts,
        key=lambda s: (_context_score(body, s, s + len(quote), prefix, suffix), -abs(s - hint)),
    )
    placement = Placement.UNCHANGED if best == hint else Placement.MOVED
    return Anchor(best, best + len(quote), placement)


def _by_context(body: str, quote: str, prefix: str, suffix: str) -> Anchor | None:
    """The quote was edited but the text around it survived: take what lies between."""
    if len(prefix) < _CONTEXT_MIN and len(suffix) < _CONTEXT_MIN:
        return None
    starts = [p + len(prefix) for p in _find_all(body, prefix)] if prefix else [0]
    longest = max(2 * len(quote), len(quote) + 40)
    best: tuple[float, int, int] | None = None
    for start in starts:
        if suffix:
            end = body.find(suffix, start + 1)
            if end == -1 or end - start > longest:
                continue
        else:
            end = len(body)
            if end - start > longest:
                continue
        ratio = difflib.SequenceMatcher(None, body[start:end], quote, autojunk=False).ratio()
        if ratio >= 0.5 and (best is None or ratio > best[0]):
            best = (ratio, start, end)
    if best is None:
        return None
    _, start, end = best
    return Anchor(start, end, Placement.CHANGED)


def _by_similarity(body: str, quote: str) -> Anchor | None:
    """Last resort: a passage that reads almost the same (a typo fixed, a word changed)."""
    best: tuple[float, int, int] | None = None
    word_starts = [0, *(m.end() for m in re.finditer(r"\s+", body))]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    for start in word_starts:
        for length in {len(quote), len(quote) - 1, len(quote) + 1}:
            candidate = body[start : start + length]
            if not candidate:
                continue
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() < _FUZZY_THRESHOLD:
                continue
            if matcher.quick_ratio() < _FUZZY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= _FUZZY_THRESHOLD and (best is None or ratio > best[0]):
                best = (ratio, start, start + len(candidate.rstrip()))
    if best is None:
        return None
    _, start, end = best
    return Anchor(start, end, Placement.CHANGED)


def locate(
    body: str, *, quote: str, prefix: str, suffix: str, start: int, end: int
) -> Anchor | None:
    """Place a quote in a (possibly changed) body, or return None when it is lost."""
    if body[start:end] == quote and _context_score(body, start, end, prefix, suffix) == len(
        prefix
    ) + len(suffix):
        return Anchor(start, end, Placement.UNCHANGED)
    return (
        _by_quote(body, quote, prefix, suffix, start)
        or _by_context(body, quote, prefix, suffix)
        or _by_similarity(body, quote)
    )
