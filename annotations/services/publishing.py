"""A reviewer publishing a signed-off claim as a public fact-check page, and taking it down.

A claim is public while it is published *after* its latest sign-off (``claim_is_public``,
and ``selectors_public.public_claims`` for lists). An edit that withdraws the sign-off hides
the page at once (410), and signing the changed claim off again does not bring it back: the
reviewer publishes it again, so nothing reaches the public that nobody chose to publish.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from annotations.models import Claim, Evidence, HistoryEntry, Verdict
from annotations.services.errors import (
    MSG_NO_RIGHT_PUBLISH,
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
