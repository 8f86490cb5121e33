"""Cited sources: evidence on a claim and the source links it shares."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations import weburl
from annotations.linkcheck.service import evidence_excerpt_changed, evidence_link_attached
from annotations.models import Claim, Evidence, HistoryEntry, SourceLink, Stance
from annotations.services.errors import (
    MSG_NO_RIGHT_EDIT,
    MSG_UNKNOWN_STANCE,
    MSG_URL_INVALID,
    MSG_URL_SCHEME,
    MSG_URL_TOO_LONG,
    ErrorCode,
    invalid,
)
from annotations.services.history import diff, evidence_record, record_history
from annotations.services.locking import lock_claim
from annotations.services.roles import User, account, can_change_evidence, can_cite, require
from annotations.wayback import service as wayback


def normalise_url(url: str) -> str:
    """The canonical form under which evidence shares one SourceLink (``weburl.normalise``)."""
    try:
        return weburl.normalise(url)
    except weburl.BadURL as exc:
        message, code = _URL_ERRORS.get(exc.reason, (MSG_URL_INVALID, ErrorCode.URL_INVALID))
        raise invalid("url", message, code) from None


_URL_ERRORS = {
    weburl.Reason.SCHEME: (MSG_URL_SCHEME, ErrorCode.URL_SCHEME),
    weburl.Reason.TOO_LONG: (MSG_URL_TOO_LONG, ErrorCode.URL_TOO_LONG),
}


def source_link_for(url: str) -> SourceLink:
    link, _ = SourceLink.objects.get_or_create(url=normalise_url(url))
    return link


def validate_stance(value: str) -> str:
    if value not in Stance.values:
        raise invalid(
            "stance",
            MSG_UNKNOWN_STANCE.format(value=value, choices=", ".join(Stance.values)),
            ErrorCode.UNKNOWN_STANCE,
        )
    return value


@transaction.atomic
def evidence_add(
    *,
    claim: Claim | int,
    actor: User,
    url: str,
    title: str = "",
    excerpt: str = "",
    note: str = "",
    stance: str = Stance.SUPPORTS,
) -> Evidence:
    """Attach a cited source to a claim; the link is shared with every other citation of it."""
    locked = lock_claim(claim)
    require(can_cite(actor, locked), MSG_NO_RIGHT_EDIT)
    validate_stance(stance)
    link = source_link_for(url)
    evidence = Evidence.objects.create(
        claim=locked,
        source_link=link,
        url=url.strip(),
        title=title,
        excerpt=excerpt,
        note=note,
        stance=stance,
        added_by=account(actor),
    )
    record_history(
        claim=locked,
        evidence=evidence,
        action=HistoryEntry.Action.CREATED,
        actor=actor,
        changes=evidence_record(evidence),
    )
    touch_claim(locked.pk)
    evidence_link_attached(evidence=evidence)  # checks the link once this commits
    wayback.link_cited(link=link)  # and, when the desk archives there, submits it once
    return evidence


@transaction.atomic
def evidence_update(
    *,
    evidence: Evidence | int,
    actor: User,
    url: str | None = None,
    title: str | None = None,
    excerpt: str | None = None,
    note: str | None = None,
    stance: str | None = None,
) -> Evidence:
    pk = evidence.pk if isinstance(evidence, Evidence) else evidence
    locked = Evidence.objects.select_for_update().select_related("claim").get(pk=pk)
    require(can_change_evidence(actor, locked), MSG_NO_RIGHT_EDIT)
    if stance is not None:
        validate_stance(stance)
    new_values: dict[str, Any] = {
        "title": title,
        "excerpt": excerpt,
        "note": note,
        "stance": stance,
        "url": url.strip() if url is not None else None,
    }
    changes = diff(locked, new_values)
    if not changes:
        return locked
    fields = [*changes, "updated_at"]
    if "url" in changes:
        locked.source_link = source_link_for(changes["url"][1])
        fields.append("source_link")
    for field, (_, value) in changes.items():
        setattr(locked, field, value)
    locked.save(update_fields=fields)
    touch_claim(locked.claim_id)
    record_history(
        claim=locked.claim,
        evidence=locked,
        action=HistoryEntry.Action.UPDATED,
        actor=actor,
        changes=changes,
    )
    if "url" in changes:
        evidence_link_attached(evidence=locked)  # a new source: track it afresh, check it
        wayback.link_cited(link=locked.source_link)
    elif "excerpt" in changes:
        evidence_excerpt_changed(evidence=locked)
    return locked


@transaction.atomic
def evidence_remove(*, evidence: Evidence | int, actor: User) -> None:
    pk = evidence.pk if isinstance(evidence, Evidence) else evidence
    locked = Evidence.objects.select_for_update().select_related("claim").get(pk=pk)
    require(can_change_evidence(actor, locked), MSG_NO_RIGHT_EDIT)
    record_history(
        claim=locked.claim,
        evidence=locked,
        action=HistoryEntry.Action.DELETED,
        actor=actor,
        changes=evidence_record(locked, removed=True),
    )
    locked.delete()
    touch_claim(locked.claim_id)


def touch_claim(claim_id: int) -> None:
    """A change to a claim's evidence changes the claim: its ``updated_at`` moves (exports'
    ``modified``), its version does not (the claim's own fields are as they were)."""
    Claim.with_deleted.filter(pk=claim_id).update(updated_at=timezone.now())
