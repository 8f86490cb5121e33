"""What stands in the way of signing a claim off, so a reviewer sees it before vouching for it.

One rule, read three ways: for many claims at once in a fixed number of queries (the admin's
bulk sign-off confirmation), for one claim whose evidence is already loaded (the API's claim
shape, which the annotator shows), and as plain values (both of those end up here).

Most blockers are advice: a reviewer may still sign off a claim without evidence, deliberately,
one by one. The hard ones (``Blocker.hard``) are refused by ``claim_sign_off`` itself.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from django.db.models import QuerySet

from annotations.models import Claim, Evidence, LinkOutcome, Verdict


class BlockerCode(StrEnum):
    PENDING = "pending"
    DISAGREEMENT = "disagreement"
    ORPHANED = "orphaned"
    NO_RATIONALE = "no_rationale"
    NO_EVIDENCE = "no_evidence"
    LINK_FAILING = "link_failing"
    SOURCE_CHANGED = "source_changed"


# Refused by claim_sign_off whatever the reviewer ticks.
HARD_BLOCKERS = frozenset({BlockerCode.PENDING, BlockerCode.ORPHANED})

MSG_BLOCKER_PENDING = "The verdict is pending."
MSG_BLOCKER_DISAGREEMENT = "The analysts disagree: a reviewer has to decide the verdict first."
MSG_BLOCKER_ORPHANED = "The claim was lost after a text change."
MSG_BLOCKER_NO_RATIONALE = "No rationale."
MSG_BLOCKER_NO_EVIDENCE = "No evidence."
MSG_BLOCKER_LINK_FAILING = "A source link fails ({outcome}): {url}"
MSG_BLOCKER_SOURCE_CHANGED = "The source changed since it was cited: {url}"
MSG_BLOCKER_EXCERPT_GONE = "The quoted excerpt is no longer on the page: {url}"


@dataclass(frozen=True)
class Blocker:
    code: BlockerCode
    message: str

    @property
    def hard(self) -> bool:
        """The service refuses this sign-off; ticking the claim cannot override it."""
        return self.code in HARD_BLOCKERS


class Citation(NamedTuple):
    """What the rule needs to know of one piece of evidence."""

    url: str
    outcome: str
    source_changed_at: datetime | None
    excerpt_found: bool | None


def blockers_of(
    *,
    verdict: str,
    rationale: str,
    is_orphaned: bool,
    in_disagreement: bool,
    citations: Iterable[Citation],
) -> list[Blocker]:
    """The rule itself, on plain values: every reason to think twice before signing off."""
    found: list[Blocker] = []
    if in_disagreement:
        found.append(Blocker(BlockerCode.DISAGREEMENT, MSG_BLOCKER_DISAGREEMENT))
    if verdict == Verdict.PENDING:
        found.append(Blocker(BlockerCode.PENDING, MSG_BLOCKER_PENDING))
    if is_orphaned:
        found.append(Blocker(BlockerCode.ORPHANED, MSG_BLOCKER_ORPHANED))
    if not rationale.strip():
        found.append(Blocker(BlockerCode.NO_RATIONALE, MSG_BLOCKER_NO_RATIONALE))
    citations = list(citations)
    if not citations:
        found.append(Blocker(BlockerCode.NO_EVIDENCE, MSG_BLOCKER_NO_EVIDENCE))
    unhealthy = LinkOutcome.unhealthy()
    for citation in citations:
        if citation.outcome in unhealthy:
            label = LinkOutcome(citation.outcome).label.lower()
            message = MSG_BLOCKER_LINK_FAILING.format(outcome=label, url=citation.url)
            found.append(Blocker(BlockerCode.LINK_FAILING, message))
        if citation.source_changed_at is not None:
            message = MSG_BLOCKER_SOURCE_CHANGED.format(url=citation.url)
            found.append(Blocker(BlockerCode.SOURCE_CHANGED, message))
        elif citation.excerpt_found is False:
            message = MSG_BLOCKER_EXCERPT_GONE.format(url=citation.url)
            found.append(Blocker(BlockerCode.SOURCE_CHANGED, message))
    return found


def claim_sign_off_blockers(claim: Claim) -> list[Blocker]:
    """One claim's blockers, from its evidence (prefetched with each source link, no query)."""
    citations = [
        Citation(ev.url, ev.source_link.outcome, ev.source_changed_at, ev.excerpt_found)
        for ev in claim.evidence.all()
    ]
    return blockers_of(
        verdict=claim.verdict,
        rationale=claim.rationale,
        is_orphaned=claim.is_orphaned,
        in_disagreement=claim.in_disagreement,
        citations=citations,
    )


def sign_off_blockers(claims: QuerySet[Claim] | Iterable[Claim | int]) -> dict[int, list[Blocker]]:
    """Each claim's blockers (an empty list: nothing in the way), in two queries however many.

    Deleted claims are left out: they can only be restored, not signed off.
    """
    if isinstance(claims, QuerySet):
        ids: QuerySet | list[int] = claims.values("pk")
    else:
        ids = [c.pk if isinstance(c, Claim) else c for c in claims]
    rows = list(Claim.objects.filter(pk__in=ids).values(*_CLAIM_FIELDS))
    citations: dict[int, list[Citation]] = defaultdict(list)
    evidence = (
        Evidence.objects.filter(claim_id__in=[row["pk"] for row in rows])
        .order_by("claim_id", "created_at", "id")
        .values_list(
            "claim_id", "url", "source_link__outcome", "source_changed_at", "excerpt_found"
        )
    )
    for claim_id, url, outcome, changed_at, excerpt_found in evidence:
        citations[claim_id].append(Citation(url, outcome, changed_at, excerpt_found))
    return {
        row["pk"]: blockers_of(
            verdict=row["verdict"],
            rationale=row["rationale"],
            is_orphaned=row["is_orphaned"],
            in_disagreement=row["in_disagreement"],
            citations=citations[row["pk"]],
        )
        for row in rows
    }


_CLAIM_FIELDS = ["pk", "verdict", "rationale", "is_orphaned", "in_disagreement"]
