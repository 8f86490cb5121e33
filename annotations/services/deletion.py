"""Deleting a claim softly, restoring it as itself, and purging it once its retention ends.

A deleted claim keeps its id, evidence and history for CLAIM_DELETED_RETENTION_DAYS, so an
undo (or a reviewer in the admin) brings back the same claim rather than a copy.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations.models import Claim, HistoryEntry
from annotations.services.errors import (
    MSG_NO_RIGHT_DELETE,
    MSG_NOT_DELETED,
    MSG_RESTORE_SPAN_TAKEN,
    ErrorCode,
    StaleClaimError,
    invalid,
)
from annotations.services.history import record_history
from annotations.services.locking import lock_claim
from annotations.services.roles import User, account, can_delete_claim, require

DELETE_FIELDS = ["deleted_at", "deleted_by", "updated_by", "version", "updated_at"]


@transaction.atomic
def claim_delete(*, claim: Claim | int, actor: User, expected_version: int | None = None) -> None:
    """Take the claim out of every list; it stays restorable until the retention ends."""
    locked = lock_claim(claim)
    require(can_delete_claim(actor, locked), MSG_NO_RIGHT_DELETE)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    locked.deleted_at = timezone.now()
    locked.deleted_by = account(actor)
    locked.updated_by = account(actor)
    locked.version += 1
    locked.save(update_fields=DELETE_FIELDS)
    record_history(
        claim=locked,
        action=HistoryEntry.Action.DELETED,
        actor=actor,
        changes={"quote": [locked.quote, None], "verdict": [locked.verdict, None]},
    )


@transaction.atomic
def claim_restore(*, claim: Claim | int, actor: User, expected_version: int | None = None) -> Claim:
    """Bring a deleted claim back with its id, evidence and history; the delete rules apply.

    Refused when another claim has taken the span meanwhile: one claim per span holds.
    """
    try:
        locked = lock_claim(claim, deleted=True)
    except Claim.DoesNotExist:
        pk = claim.pk if isinstance(claim, Claim) else claim
        if Claim.objects.filter(pk=pk).exists():
            raise invalid("id", MSG_NOT_DELETED, ErrorCode.NOT_DELETED) from None
        raise
    require(can_delete_claim(actor, locked), MSG_NO_RIGHT_DELETE)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    changes: dict[str, list] = {"quote": [None, locked.quote], "verdict": [None, locked.verdict]}
    if not locked.is_orphaned:
        if locked.article.body[locked.start : locked.end] != locked.quote:
            # The text changed while the claim was deleted: back, but placed again by hand.
            locked.is_orphaned = True
            changes["is_orphaned"] = [False, True]
        else:
            other = (
                Claim.objects.filter(
                    article_id=locked.article_id,
                    start=locked.start,
                    end=locked.end,
                    is_orphaned=False,
                )
                .values_list("pk", flat=True)
                .first()
            )
            if other is not None:
                message = MSG_RESTORE_SPAN_TAKEN.format(
                    other=other, start=locked.start, end=locked.end
                )
                raise invalid("start", message, ErrorCode.RESTORE_SPAN_TAKEN)
    locked.deleted_at = None
    locked.deleted_by = None
    locked.updated_by = account(actor)
    locked.version += 1
    locked.save(update_fields=[*DELETE_FIELDS, "is_orphaned"])
    record_history(claim=locked, action=HistoryEntry.Action.RESTORED, actor=actor, changes=changes)
    return locked


def claims_purge_deleted(*, now: datetime | None = None) -> int:
    """Delete for good the claims deleted longer ago than the retention; how many went.

    Their evidence goes with them; their history stays, by reference, as for any deletion.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.CLAIM_DELETED_RETENTION_DAYS)
    _, deleted = Claim.with_deleted.filter(deleted_at__lt=cutoff).delete()
    return deleted.get(Claim._meta.label, 0)
