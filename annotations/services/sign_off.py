"""A reviewer vouching for a claim, and the sign-off lapsing when the claim changes."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations.models import Claim, HistoryEntry, Notification, Verdict
from annotations.services.errors import (
    MSG_CLAIM_ORPHANED,
    MSG_NO_RIGHT_SIGN_OFF,
    MSG_SIGN_OFF_PENDING,
    ErrorCode,
    StaleClaimError,
    invalid,
)
from annotations.services.history import record_history
from annotations.services.locking import lock_claim
from annotations.services.notifications import claim_assessors, notify
from annotations.services.roles import User, account, can_sign_off, require

# What revoking a sign-off writes; signing off also clears the mark of a withdrawn one.
REVOKE_FIELDS = ["signed_off_by", "signed_off_at", "updated_by", "version", "updated_at"]
SIGN_OFF_FIELDS = [*REVOKE_FIELDS, "sign_off_withdrawn_at"]


def withdraw_sign_off(claim: Claim, changes: dict[str, list[Any]]) -> None:
    """A reviewer signed off what the claim said before: a changed claim needs a new sign-off.

    ``sign_off_withdrawn_at`` puts the claim in the review queue until it is signed off again;
    callers save it with the other fields (``SIGN_OFF_WITHDRAWN``).
    """
    if claim.is_signed_off:
        changes["signed_off_by"] = [claim.signed_off_by_id, None]
        signed_off_at = claim.signed_off_at
        changes["signed_off_at"] = [signed_off_at.isoformat() if signed_off_at else None, None]
        claim.signed_off_by = None
        claim.signed_off_at = None
        claim.sign_off_withdrawn_at = timezone.now()


@transaction.atomic
def claim_sign_off(
    *, claim: Claim | int, reviewer: User, expected_version: int | None = None
) -> Claim:
    """A reviewer vouches for the claim's current verdict. Signing off twice changes nothing."""
    require(can_sign_off(reviewer), MSG_NO_RIGHT_SIGN_OFF)
    locked = lock_claim(claim)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    if locked.verdict == Verdict.PENDING:
        raise invalid("verdict", MSG_SIGN_OFF_PENDING, ErrorCode.SIGN_OFF_PENDING)
    if locked.is_orphaned:
        raise invalid("start", MSG_CLAIM_ORPHANED, ErrorCode.CLAIM_ORPHANED)
    if locked.is_signed_off:
        return locked
    locked.signed_off_by = account(reviewer)
    locked.signed_off_at = timezone.now()
    locked.sign_off_withdrawn_at = None
    locked.updated_by = account(reviewer)
    locked.version += 1
    locked.save(update_fields=SIGN_OFF_FIELDS)
    record_history(
        claim=locked,
        action=HistoryEntry.Action.SIGNED_OFF,
        actor=reviewer,
        changes={
            "signed_off_by": [None, reviewer.pk],
            "signed_off_at": [None, locked.signed_off_at.isoformat()],
        },
    )
    notify(
        Notification.Kind.SIGNED_OFF,
        recipients=claim_assessors(locked),
        actor=reviewer,
        claim=locked,
    )
    return locked


@transaction.atomic
def claim_revoke_sign_off(*, claim: Claim | int, reviewer: User) -> Claim:
    require(can_sign_off(reviewer), MSG_NO_RIGHT_SIGN_OFF)
    locked = lock_claim(claim)
    if not locked.is_signed_off:
        return locked
    changes = {
        "signed_off_by": [locked.signed_off_by_id, None],
        "signed_off_at": [locked.signed_off_at.isoformat() if locked.signed_off_at else None, None],
    }
    locked.signed_off_by = None
    locked.signed_off_at = None
    locked.updated_by = account(reviewer)
    locked.version += 1
    locked.save(update_fields=REVOKE_FIELDS)
    record_history(
        claim=locked, action=HistoryEntry.Action.SIGN_OFF_REVOKED, actor=reviewer, changes=changes
    )
    return locked
