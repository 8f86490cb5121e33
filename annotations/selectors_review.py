"""Reads of the review desk (the admin), and the paragraph split it shares with the annotator.

A sibling of ``selectors`` rather than a part of it, so that file stays under the size limit.
Every list here runs a fixed number of queries whatever its length: counts are annotations.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from annotations.models import ArticleAssignment, Claim, Evidence, LinkOutcome, SourceLink, Verdict
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


# --- The review queue: what needs a reviewer, most urgent first


class QueueKind:
    """Why a claim is in the review queue, most urgent first (``QUEUE_KINDS`` is the order).

    A claim that fits several kinds is listed once, under the most urgent: what a reviewer
    does about that one settles, or changes, the others.
    """

    EVIDENCE_BROKEN = "evidence_broken"  # signed off (published) and its evidence went bad
    DISAGREEMENT = "disagreement"  # the analysts' verdicts differ, nobody has decided
    ORPHANED = "orphaned"  # lost after a re-import: must be placed again before anything
    SIGN_OFF_WITHDRAWN = "sign_off_withdrawn"  # an edit withdrew the sign-off
    AWAITING_SIGN_OFF = "awaiting_sign_off"  # a final desk verdict nobody has signed off


QUEUE_KINDS: list[tuple[str, str]] = [
    (QueueKind.EVIDENCE_BROKEN, "Signed off, evidence broken or changed"),
    (QueueKind.DISAGREEMENT, "Analysts disagree"),
    (QueueKind.ORPHANED, "Lost after a re-import"),
    (QueueKind.SIGN_OFF_WITHDRAWN, "Sign-off withdrawn by an edit"),
    (QueueKind.AWAITING_SIGN_OFF, "Verdict awaiting sign-off"),
]
QUEUE_PAGE_SIZE = 50


def _bad_evidence() -> QuerySet[Evidence]:
    """A claim's evidence that no longer backs a sign-off: a failing link, a source whose text
    changed after the sign-off, or an excerpt no longer on the page."""
    return Evidence.objects.filter(claim_id=OuterRef("pk")).filter(
        Q(source_link__outcome__in=LinkOutcome.unhealthy())
        | Q(source_changed_at__gt=OuterRef("signed_off_at"))
        | Q(excerpt_found=False)
    )


def _kind_conditions() -> dict[str, Q]:
    """Each kind as a condition; they exclude each other, so every claim has at most one.

    A signed-off claim is never in disagreement, orphaned or withdrawn (each of those
    withdraws the sign-off), so only the last three need to rule out the ones before.
    """
    unsigned = Q(signed_off_at__isnull=True)
    settled = unsigned & Q(in_disagreement=False)
    return {
        QueueKind.EVIDENCE_BROKEN: Q(signed_off_at__isnull=False) & Q(Exists(_bad_evidence())),
        QueueKind.DISAGREEMENT: unsigned & Q(in_disagreement=True),
        QueueKind.ORPHANED: settled & Q(is_orphaned=True),
        QueueKind.SIGN_OFF_WITHDRAWN: settled
        & Q(is_orphaned=False, sign_off_withdrawn_at__isnull=False),
        QueueKind.AWAITING_SIGN_OFF: settled
        & Q(is_orphaned=False, sign_off_withdrawn_at__isnull=True, verdict__in=Verdict.final()),
    }


def _since() -> dict[str, Any]:
    """When each kind of trouble began, as far as the data tells; the oldest waits first."""
    went_bad = (
        _bad_evidence()
        .annotate(
            at=Coalesce(
                "source_changed_at", "source_link__last_checked_at", output_field=DateTimeField()
            )
        )
        .order_by("at")
        .values("at")[:1]
    )
    return {
        QueueKind.EVIDENCE_BROKEN: Coalesce(Subquery(went_bad), F("signed_off_at")),
        QueueKind.DISAGREEMENT: F("updated_at"),
        QueueKind.ORPHANED: F("updated_at"),
        QueueKind.SIGN_OFF_WITHDRAWN: F("sign_off_withdrawn_at"),
        QueueKind.AWAITING_SIGN_OFF: F("updated_at"),
    }


def _kind_of(
    *,
    signed_off: bool,
    disagreement: bool,
    orphaned: bool,
    withdrawn: bool,
    verdict: str,
) -> str | None:
    """``_kind_conditions`` over one group of flags, for the claims not signed off (the
    counts read groups, not rows). The tests hold the two to each other: every kind's
    count equals its rows.
    """
    if signed_off:
        return None  # counted apart: EVIDENCE_BROKEN needs the evidence
    if disagreement:
        return QueueKind.DISAGREEMENT
    if orphaned:
        return QueueKind.ORPHANED
    if withdrawn:
        return QueueKind.SIGN_OFF_WITHDRAWN
    return QueueKind.AWAITING_SIGN_OFF if verdict in Verdict.final() else None


def _counts(claims: QuerySet[Claim]) -> dict[str, int]:
    """Claims per kind in two queries: one pass grouped by the flags that decide the kind,
    and the signed-off claims with bad evidence (a semi-join, not a probe per row).

    A GROUP BY over plain columns costs about a bare count; five FILTERed counts, or an
    EXISTS evaluated inside the pass, cost several times that (see benchmarks/review_queue.py).
    """
    signed = Q(signed_off_at__isnull=False)
    groups = (
        claims.annotate(
            q_signed=Case(When(signed, then=Value(True)), default=Value(False)),
            q_withdrawn=Case(
                When(sign_off_withdrawn_at__isnull=False, then=Value(True)), default=Value(False)
            ),
        )
        .values_list("q_signed", "in_disagreement", "is_orphaned", "q_withdrawn", "verdict")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {name: 0 for name, _ in QUEUE_KINDS}
    for signed_off, disagreement, orphaned, withdrawn, verdict, n in groups:
        kind = _kind_of(
            signed_off=signed_off,
            disagreement=disagreement,
            orphaned=orphaned,
            withdrawn=withdrawn,
            verdict=verdict,
        )
        if kind is not None:
            counts[kind] += n
    broken = _kind_conditions()[QueueKind.EVIDENCE_BROKEN]
    counts[QueueKind.EVIDENCE_BROKEN] = claims.filter(broken).count()
    return counts


@dataclass(frozen=True)
class QueueRow:
    kind: str
    kind_label: str
    claim_id: int
    article_id: int
    article_title: str
    quote: str
    verdict: str
    since: datetime | None
    # A signed-off claim whose cited page is gone: the citation's archived copy stands in.
    archived_evidence_id: int | None = None
    archived_snapshot_id: int | None = None
    archived_at: datetime | None = None


@dataclass(frozen=True)
class ReviewQueue:
    """One page of the queue, with how many claims wait in each kind under the filters."""

    rows: list[QueueRow]
    counts: dict[str, int]
    page: int
    page_size: int
    total: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def review_queue(
    *,
    kind: str | None = None,
    article_id: int | None = None,
    assigned_to: int | None = None,
    page: int = 1,
    page_size: int = QUEUE_PAGE_SIZE,
) -> ReviewQueue:
    """The claims that need a reviewer, most urgent kind first, oldest first within a kind.

    Three queries whatever the size: the counts per kind (two), then the page's rows, which read
    only the kinds that page reaches (the counts say which), so the common first page
    never sorts the long tail of claims awaiting sign-off. ``assigned_to`` keeps the claims
    on articles assigned to that user; an unknown ``kind`` is an empty queue.
    """
    conditions = _kind_conditions()
    claims = Claim.objects.all()
    if article_id is not None:
        claims = claims.filter(article_id=article_id)
    if assigned_to is not None:
        claims = claims.filter(
            Exists(
                ArticleAssignment.objects.filter(
                    article_id=OuterRef("article_id"), analyst_id=assigned_to
                )
            )
        )
    counts = _counts(claims)
    kinds = [name for name, _ in QUEUE_KINDS if kind is None or name == kind]
    total = sum(counts[name] for name in kinds)
    page = max(1, page)
    offset = (page - 1) * page_size
    # The kinds this page reaches, and how many rows of them come before it.
    reached: list[str] = []
    skipped = seen = 0
    for name in kinds:
        if seen + counts[name] > offset and seen < offset + page_size:
            if not reached:
                skipped = offset - seen
            reached.append(name)
        seen += counts[name]
    rows: list[QueueRow] = []
    if reached:
        since = _since()
        rank = {name: i for i, (name, _) in enumerate(QUEUE_KINDS)}
        if len(reached) == 1:
            rank_expr: Any = Value(rank[reached[0]])
            since_expr: Any = since[reached[0]]
        else:
            rank_expr = Case(
                *(When(conditions[name], then=Value(rank[name])) for name in reached),
                output_field=IntegerField(),
            )
            since_expr = Case(
                *(When(conditions[name], then=since[name]) for name in reached),
                output_field=DateTimeField(),
            )
        # The first citation of the claim whose page is gone and that has a pinned copy:
        # read in the page's own query (subqueries), so the count of queries stays three.
        gone = Evidence.objects.filter(
            claim_id=OuterRef("pk"),
            source_link__outcome__in=LinkOutcome.gone(),
            pinned_snapshot__isnull=False,
        ).order_by("pk")
        either = Q()
        for name in reached:
            either |= conditions[name]
        page_rows = (
            claims.filter(either)
            .annotate(
                queue_rank=rank_expr,
                queue_since=since_expr,
                archived_evidence=Subquery(gone.values("pk")[:1]),
                archived_snapshot=Subquery(gone.values("pinned_snapshot_id")[:1]),
                archived_at=Subquery(gone.values("pinned_snapshot__captured_at")[:1]),
            )
            .order_by("queue_rank", F("queue_since").asc(nulls_last=True), "pk")
            .values_list(
                "queue_rank",
                "pk",
                "article_id",
                "article__title",
                "quote",
                "verdict",
                "queue_since",
                "archived_evidence",
                "archived_snapshot",
                "archived_at",
            )[skipped : skipped + page_size]
        )
        labels = dict(QUEUE_KINDS)
        for queue_rank, pk, article, title, quote, verdict, at, *archived in page_rows:
            name = QUEUE_KINDS[queue_rank][0]
            if name != QueueKind.EVIDENCE_BROKEN:
                archived = [None, None, None]
            rows.append(
                QueueRow(name, labels[name], pk, article, title, quote, verdict, at, *archived)
            )
    return ReviewQueue(rows, counts, page, page_size, total)
