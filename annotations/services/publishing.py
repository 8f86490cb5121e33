"""A reviewer publishing a signed-off claim as a public fact-check page, and taking it down.

A claim is public while it is published *after* its latest sign-off (``claim_is_public``,
and ``selectors_public.public_claims`` for lists). An edit that withdraws the sign-off hides
the page at once (410), and signing the changed claim off again does not bring it back: the
reviewer publishes it again, so nothing reaches the public that nobody chose to publish.

A claim group (the same claim in several articles, one shared verdict) is published as one
fact-check (``claim_group_publish``) under the same rule, over its members: its live
(not deleted) claims. It is public while it has at least one, each one signed off with a
final verdict and still placed in its article, and it was published after the latest of
their sign-offs and after the latest claim joined it (``claim_group_is_public``, and
``selectors_public.public_groups`` for lists). So an edit withdrawing any member's sign-off,
a member lost after a re-import or a new appearance linked in hides the page (410) until a
reviewer publishes the group again. A deleted member simply leaves the page: it shows nothing
new. Unpublishing answers 410 from then on; the slug is kept.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from annotations.models import Claim, ClaimGroup, Evidence, HistoryEntry, Verdict
from annotations.services.errors import (
    MSG_NO_RIGHT_PUBLISH,
    MSG_PUBLISH_GROUP_EMPTY,
    MSG_PUBLISH_GROUP_LOST,
    MSG_PUBLISH_GROUP_NOT_SIGNED_OFF,
    MSG_PUBLISH_NOT_SIGNED_OFF,
    ErrorCode,
    invalid,
)
from annotations.services.history import record_history
from annotations.services.locking import lock_claim
from annotations.services.roles import User, account, can_sign_off, require

PUBLIC_SLUG_WORDS = 6
PUBLIC_SLUG_LENGTH = 40
PUBLISH_FIELDS = ["published_at", "published_by", "public_slug", "version", "updated_at"]


def public_slug_for(quote: str) -> str:
    """A readable slug of the quote's first words (Cyrillic kept), cut at a word boundary."""
    words = slugify(quote, allow_unicode=True).split("-")
    slug = ""
    for word in words[:PUBLIC_SLUG_WORDS]:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > PUBLIC_SLUG_LENGTH:
            break
        slug = longer
    return slug or "claim"


def claim_is_public(claim: Claim) -> bool:
    """Published after the latest sign-off, with a final verdict, placed and not deleted."""
    return bool(
        claim.published_at is not None
        and claim.signed_off_at is not None
        and claim.published_at >= claim.signed_off_at
        and claim.verdict in Verdict.final()
        and not claim.is_orphaned
        and claim.deleted_at is None
    )


def _cited_since(claim: Claim) -> bool:
    return Evidence.objects.filter(claim=claim, created_at__gt=claim.published_at).exists()


@transaction.atomic
def claim_publish(*, claim: Claim | int, reviewer: User) -> Claim:
    """Give a signed-off claim its public page, or publish what a public one holds now.

    Sources cited after the publication wait for the next one (``published_evidence``), so
    publishing a public claim again publishes them; with none, it changes nothing.
    """
    require(can_sign_off(reviewer), MSG_NO_RIGHT_PUBLISH)
    locked = lock_claim(claim)
    if not locked.is_signed_off:
        raise invalid("signed_off", MSG_PUBLISH_NOT_SIGNED_OFF, ErrorCode.PUBLISH_NOT_SIGNED_OFF)
    if claim_is_public(locked) and not _cited_since(locked):
        return locked
    before = locked.published_at
    locked.published_at = timezone.now()
    locked.published_by = account(reviewer)
    locked.public_slug = locked.public_slug or public_slug_for(locked.quote)
    locked.version += 1
    locked.save(update_fields=PUBLISH_FIELDS)
    changes = {
        "published_at": [before.isoformat() if before else None, locked.published_at.isoformat()],
        "published_by": [None, reviewer.pk],
    }
    record_history(
        claim=locked, action=HistoryEntry.Action.PUBLISHED, actor=reviewer, changes=changes
    )
    return locked


@transaction.atomic
def claim_unpublish(*, claim: Claim | int, reviewer: User) -> Claim:
    """Take the public page down (it answers 410 from then on). The slug is kept."""
    require(can_sign_off(reviewer), MSG_NO_RIGHT_PUBLISH)
    locked = lock_claim(claim)
    if locked.published_at is None:
        return locked
    changes = {
        "published_at": [locked.published_at.isoformat(), None],
        "published_by": [locked.published_by_id, None],
    }
    locked.published_at = None
    locked.published_by = None
    locked.version += 1
    locked.save(update_fields=PUBLISH_FIELDS)
    record_history(
        claim=locked, action=HistoryEntry.Action.UNPUBLISHED, actor=reviewer, changes=changes
    )
    return locked


# --- claim groups


def claim_group_is_public(group: ClaimGroup, members: Sequence[Claim]) -> bool:
    """``members``: the group's live claims. Published after the latest of their sign-offs
    and of the latest join, each signed off with a final verdict and placed."""
    published_at = group.published_at
    if published_at is None or not members:
        return False
    if group.members_changed_at is not None and group.members_changed_at > published_at:
        return False
    return all(
        m.signed_off_at is not None
        and m.signed_off_at <= published_at
        and m.verdict in Verdict.final()
        and not m.is_orphaned
        and m.deleted_at is None
        for m in members
    )


def appearance_order(claim: Claim) -> tuple[bool, date, int]:
    """Earliest published article first (ClaimReview's ``firstAppearance``), then by id."""
    published_on = claim.article.published_on
    return (published_on is None, published_on or date.min, claim.pk)


def group_lead(members: Sequence[Claim]) -> Claim:
    """The appearance that names the group. The members' articles must be loaded."""
    return min(members, key=appearance_order)


def _locked_group(group: ClaimGroup | int) -> tuple[ClaimGroup, list[Claim]]:
    """Lock the members (article, then claim, in id order: the order ``claim_groups`` and the
    importer take), then the group row, which ``claim_link`` writes while holding claims."""
    pk = group.pk if isinstance(group, ClaimGroup) else group
    ids = Claim.objects.filter(group_id=pk).order_by("pk").values_list("pk", flat=True)
    members = [lock_claim(member) for member in ids]
    return ClaimGroup.objects.select_for_update().get(pk=pk), members


def _group_cited_since(group: ClaimGroup, members: list[Claim]) -> bool:
    return Evidence.objects.filter(claim__in=members, created_at__gt=group.published_at).exists()


def _ids(claims: list[Claim]) -> str:
    return ", ".join(str(c.pk) for c in claims)


@transaction.atomic
def claim_group_publish(*, group: ClaimGroup | int, reviewer: User) -> ClaimGroup:
    """Give a claim group whose every claim is signed off its public page, or publish what a
    public one holds now (sources cited since; a new appearance). With nothing new, a no-op."""
    require(can_sign_off(reviewer), MSG_NO_RIGHT_PUBLISH)
    locked, members = _locked_group(group)
    if not members:
        raise invalid("group", MSG_PUBLISH_GROUP_EMPTY, ErrorCode.PUBLISH_GROUP_EMPTY)
    if unsigned := [m for m in members if not m.is_signed_off]:
        raise invalid(
            "signed_off",
            MSG_PUBLISH_GROUP_NOT_SIGNED_OFF.format(claims=_ids(unsigned)),
            ErrorCode.PUBLISH_GROUP_NOT_SIGNED_OFF,
        )
    if lost := [m for m in members if m.is_orphaned]:
        raise invalid(
            "group",
            MSG_PUBLISH_GROUP_LOST.format(claims=_ids(lost)),
            ErrorCode.PUBLISH_GROUP_LOST,
        )
    if claim_group_is_public(locked, members) and not _group_cited_since(locked, members):
        return locked
    before = locked.published_at
    locked.published_at = timezone.now()
    locked.published_by = account(reviewer)
    locked.public_slug = locked.public_slug or public_slug_for(group_lead(members).quote)
    locked.save(update_fields=["published_at", "published_by", "public_slug"])
    _record_group(locked, members, reviewer, before, HistoryEntry.Action.PUBLISHED)
    return locked


@transaction.atomic
def claim_group_unpublish(*, group: ClaimGroup | int, reviewer: User) -> ClaimGroup:
    """Take the group's public page down (410 from then on). The slug is kept."""
    require(can_sign_off(reviewer), MSG_NO_RIGHT_PUBLISH)
    locked, members = _locked_group(group)
    if locked.published_at is None:
        return locked
    before = locked.published_at
    locked.published_at = None
    locked.published_by = None
    locked.save(update_fields=["published_at", "published_by"])
    _record_group(locked, members, reviewer, before, HistoryEntry.Action.UNPUBLISHED)
    return locked


def _record_group(
    group: ClaimGroup, members: list[Claim], reviewer: User, before: Any, action: str
) -> None:
    """Each member's history says its group's page went up or down (the group has none)."""
    after = group.published_at
    changes = {
        "group_published_at": [
            before.isoformat() if before else None,
            after.isoformat() if after else None,
        ]
    }
    for member in members:
        record_history(claim=member, action=action, actor=reviewer, changes=changes)
