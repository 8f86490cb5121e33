"""Placing claims again after an import changed their article's text.

One service owns the whole decision: where each claim goes, that two claims never share a
span, setting claims aside while they move, withdrawing sign-offs and writing the history.
"""

from enum import StrEnum
from typing import Any

from annotations import anchoring
from annotations.models import Article, Claim, HistoryEntry
from annotations.services.history import diff, record_history
from annotations.services.sign_off import withdraw_sign_off

CLAIM_FIELDS_PLACED = ["start", "end", "quote", "prefix", "suffix", "is_orphaned"]


class ClaimOutcome(StrEnum):
    """What a re-import did to one claim."""

    UNCHANGED = "unchanged"  # still on the same words at the same place
    MOVED = "moved"  # the same quote elsewhere: keeps its sign-off
    CHANGED = "changed"  # the words of the quote were edited: the sign-off lapses
    ORPHANED = "orphaned"  # lost: flagged, never dropped; the sign-off lapses


def claim_reanchor(*, claim: Claim, body: str, span: tuple[int, int] | None) -> ClaimOutcome:
    """Record where an import of changed text put a claim, or that it lost its place.

    Called inside the import's transaction, with the article and claims locked. A moved
    quote keeps its sign-off; a changed or lost one does not, since the reviewer vouched
    for other words.
    """
    if span is None:
        if claim.is_orphaned:
            return ClaimOutcome.UNCHANGED
        changes: dict[str, list[Any]] = {"is_orphaned": [False, True]}
        claim.is_orphaned = True
        action, result = HistoryEntry.Action.ORPHANED, ClaimOutcome.ORPHANED
        withdraw_sign_off(claim, changes)
    else:
        start, end = span
        quote = body[start:end]
        prefix, suffix = anchoring.context_around(body, start, end)
        changes = diff(claim, {"start": start, "end": end, "quote": quote, "is_orphaned": False})
        if not changes:
            if (claim.prefix, claim.suffix) != (prefix, suffix):
                claim.prefix, claim.suffix = prefix, suffix
                claim.save(update_fields=["prefix", "suffix"])
            return ClaimOutcome.UNCHANGED
        result = ClaimOutcome.CHANGED if "quote" in changes else ClaimOutcome.MOVED
        if result == ClaimOutcome.CHANGED:
            withdraw_sign_off(claim, changes)
        claim.start, claim.end, claim.quote, claim.is_orphaned = start, end, quote, False
        claim.prefix, claim.suffix = prefix, suffix
        action = HistoryEntry.Action.REANCHORED
    claim.version += 1
    claim.save(
        update_fields=[
            *CLAIM_FIELDS_PLACED,
            "signed_off_by",
            "signed_off_at",
            "version",
            "updated_at",
        ]
    )
    record_history(claim=claim, action=action, actor=None, changes=changes)
    return result


def _spans(
    article: Article, claims: list[Claim]
) -> tuple[dict[int, tuple[int, int] | None], set[int]]:
    """Each claim's place in the new body, and which claims stay where they were.

    Two claims never end up on one span.

    Claims that stay where they were keep their spans first; the others take free spans
    in text order, and one whose place is taken is lost rather than doubled.
    """
    placed = {
        claim.pk: anchoring.locate(
            article.body,
            quote=claim.quote,
            prefix=claim.prefix,
            suffix=claim.suffix,
            start=claim.start,
            end=claim.end,
        )
        for claim in claims
    }

    def stays(claim: Claim) -> bool:
        anchor = placed[claim.pk]
        return (
            anchor is not None
            and anchor.placement == anchoring.Placement.UNCHANGED
            and not claim.is_orphaned
        )

    taken: set[tuple[int, int] | None] = set()
    spans: dict[int, tuple[int, int] | None] = {}
    for claim in sorted(claims, key=lambda c: (not stays(c), c.start, c.pk)):
        anchor = placed[claim.pk]
        span = (anchor.start, anchor.end) if anchor else None
        spans[claim.pk] = span if span not in taken else None
        taken.add(span)
    return spans, {claim.pk for claim in claims if stays(claim)}


def article_reanchor_claims(*, article: Article) -> list[tuple[Claim, ClaimOutcome]]:
    """Place every claim of ``article`` on its current body, in text order.

    Runs inside the caller's transaction with the article locked (the services' lock order:
    article, then claims).
    """
    claims = list(article.claims.select_for_update().order_by("start", "id"))
    spans, staying = _spans(article, claims)
    # Claims about to move are first set aside (orphaned claims are outside the unique-span
    # constraint), so that two claims trading places never collide on the way.
    moving = {c.pk for c in claims if c.pk not in staying and not c.is_orphaned}
    Claim.objects.filter(pk__in=moving).update(is_orphaned=True)
    outcomes = []
    for claim in claims:
        outcome = claim_reanchor(claim=claim, body=article.body, span=spans[claim.pk])
        if outcome == ClaimOutcome.UNCHANGED and claim.pk in moving:
            Claim.objects.filter(pk=claim.pk).update(is_orphaned=False)  # back where it was
        outcomes.append((claim, outcome))
    return outcomes
