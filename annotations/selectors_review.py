"""Reads of the review desk (the admin), and the paragraph split it shares with the annotator.

A sibling of ``selectors`` rather than a part of it, so that file stays under the size limit.
Every list here runs a fixed number of queries whatever its length: counts are annotations.
"""

import re
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from annotations.models import Claim, Evidence, LinkOutcome, SourceLink
from annotations.selectors import with_evidence, with_link_outcome

# --- Claims and the health of the links their evidence cites


class LinkHealth:
    """The states of a claim's evidence links, as the claim list filters them."""

    UNHEALTHY = "unhealthy"  # at least one broken, blocked, unreachable, timed-out, invalid
    PENDING = "pending"  # at least one not checked yet
    HEALTHY = "healthy"  # has evidence, and every link checked and fine
    NONE = "none"  # no evidence at all


class ClaimLinkCounts(TypedDict):
    """What ``claims_with_link_counts`` annotates on each claim."""

    evidence_total: int
    unhealthy_links: int
    unchecked_links: int


class CitationCount(TypedDict):
    """What ``source_links_with_citation_counts`` annotates on each source link."""

    citation_count: int


def claims_with_link_counts(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Claims annotated with ``evidence_total``, ``unhealthy_links`` and ``unchecked_links``."""
    return claims.annotate(
        evidence_total=Count("evidence", distinct=True),
        unhealthy_links=Count(
            "evidence",
            filter=Q(evidence__source_link__outcome__in=LinkOutcome.unhealthy()),
            distinct=True,
        ),
        unchecked_links=Count(
            "evidence",
            filter=Q(evidence__source_link__outcome=LinkOutcome.PENDING),
            distinct=True,
        ),
    )


def claims_by_link_health(claims: QuerySet[Claim], health: str | None) -> QuerySet[Claim]:
    """The claims whose evidence links are in ``health`` (a ``LinkHealth``); all for another."""
    unhealthy = LinkOutcome.unhealthy()
    match health:
        case LinkHealth.UNHEALTHY:
            return with_link_outcome(claims, unhealthy)
        case LinkHealth.PENDING:
            return with_link_outcome(claims, [LinkOutcome.PENDING])
        case LinkHealth.HEALTHY:
            not_fine = Evidence.objects.filter(
                claim_id=OuterRef("pk"),
                source_link__outcome__in=[*unhealthy, LinkOutcome.PENDING],
            )
            return with_evidence(claims, True).filter(~Exists(not_fine))
        case LinkHealth.NONE:
            return with_evidence(claims, False)
    return claims


def source_links_with_citation_counts(links: QuerySet[SourceLink]) -> QuerySet[SourceLink]:
    """Source links annotated with ``citation_count``: how many evidence items cite each."""
    return links.annotate(citation_count=Count("evidence"))


# --- Paragraphs of an article body

# Paragraphs are separated by a blank line (or more).
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")


class Paragraph(TypedDict):
    start: int
    text: str


def paragraphs_of(body: str) -> list[Paragraph]:
    """Split the canonical body into paragraphs, each with its code-point offset in the body.

    Python strings index code points, as the claim offsets do, so the offsets are exact.
    """
    paragraphs: list[Paragraph] = []
    start = 0
    for gap in [*_PARAGRAPH_BREAK.finditer(body), None]:
        end = gap.start() if gap else len(body)
        if end > start:
            paragraphs.append(Paragraph(start=start, text=body[start:end]))
        if gap:
            start = gap.end()
    return paragraphs


@dataclass(frozen=True)
class SpanInContext:
    """A span with the rest of the paragraph (or paragraphs) it stands in, before and after."""

    before: str
    quote: str
    after: str


def span_in_context(body: str, start: int, end: int) -> SpanInContext:
    """``body[start:end]`` within its paragraphs, as the claim page shows it."""
    paragraphs = paragraphs_of(body)
    first = max((p["start"] for p in paragraphs if p["start"] <= start), default=0)
    ends = (p["start"] + len(p["text"]) for p in paragraphs)
    last = min((e for e in ends if e >= end), default=len(body))
    return SpanInContext(body[first:start], body[start:end], body[end:last])
