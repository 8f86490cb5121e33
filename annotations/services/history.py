"""The history entry every write leaves behind."""

from typing import Any

from annotations.models import Assessment, Claim, Evidence, HistoryEntry
from annotations.services.notifications import notify_sign_off_withdrawn
from annotations.services.roles import Account, User


def record_history(
    *,
    claim: Claim,
    action: str,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    evidence: Evidence | None = None,
    assessment: Assessment | None = None,
) -> HistoryEntry:
    """Record one write; a field whose value stays the same is left out, so no row says "x -> x"."""
    changes = {field: pair for field, pair in (changes or {}).items() if pair[0] != pair[1]}
    subject = HistoryEntry.Subject.CLAIM
    if evidence:
        subject = HistoryEntry.Subject.EVIDENCE
    elif assessment:
        subject = HistoryEntry.Subject.ASSESSMENT
    if action != HistoryEntry.Action.SIGN_OFF_REVOKED:
        # Every write that withdraws a sign-off records it here, so the reviewer hears of it once.
        notify_sign_off_withdrawn(claim=claim, actor=actor, changes=changes)
    return HistoryEntry.objects.create(
        claim=claim if claim.pk else None,
        claim_ref=claim.pk,
        subject=subject,
        evidence_ref=evidence.pk if evidence else None,
        assessment_ref=assessment.pk if assessment else None,
        action=action,
        changes=changes,
        actor=actor if isinstance(actor, Account) else None,
    )


def diff(obj: object, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """Field -> [old, new] for the values that really change."""
    return {
        field: [getattr(obj, field), value]
        for field, value in new_values.items()
        if value is not None and getattr(obj, field) != value
    }


def evidence_record(evidence: Evidence, *, removed: bool = False) -> dict[str, list[Any]]:
    """The whole citation as a history change: what was cited, how, and why."""
    fields = ["url", "stance", "title", "excerpt", "note"]
    return {
        field: [getattr(evidence, field), None] if removed else [None, getattr(evidence, field)]
        for field in fields
        if getattr(evidence, field)
    }
