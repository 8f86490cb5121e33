"""One claim in several articles: linking its appearances into a group that shares a verdict.

The rule that keeps a group's desk verdict in step:

- The group is judged as one claim. While no reviewer has decided, its desk verdict is
  drawn (``assessments.desk_state``) from the assessments of every member together.
- A reviewer's decision on one member is the decision of every member.
- Whenever one member's desk verdict, rationale or decision changes, every other member
  takes the same values in the same transaction, with a history entry that names the
  member it followed; a sign-off on a member whose verdict moves is withdrawn, as anywhere.
- Linking two claims whose desk verdicts differ is refused until someone says which
  verdict stands (a reviewer: choosing is deciding). A plain pending claim differs from
  nothing: it takes the other's verdict.
- Unlinking leaves the claim with the verdict it had; its own assessments lead it again
  from its next change. A group left with one member is dissolved.

Locks: the claim being changed first (article, then claim, as everywhere), then the other
members in id order.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations.models import Article, Assessment, Claim, ClaimGroup, HistoryEntry, Verdict
from annotations.services.assessments import can_see_judgments, desk_state
from annotations.services.errors import (
    MSG_CHOICE_NOT_FINAL,
    MSG_LINK_OTHERS_CLAIM,
    MSG_LINK_SELF,
    MSG_NO_RIGHT_CHOOSE_VERDICT,
    MSG_NO_RIGHT_LINK,
    MSG_NOT_LINKED,
    MSG_VERDICTS_DIFFER,
    MSG_VERDICTS_DIFFER_HIDDEN,
    ErrorCode,
    VerdictConflictError,
    invalid,
)
from annotations.services.history import record_history
from annotations.services.locking import lock_article, lock_claim
from annotations.services.roles import User, account, can_decide, can_edit_claim, require
from annotations.services.sign_off import withdraw_sign_off

# What a group shares: the desk verdict and who decided it.
SHARED_FIELDS = ("verdict", "rationale", "in_disagreement", "decided_by_id", "decided_at")


def group_assessments(claim: Claim) -> list[Assessment]:
    """The assessments the claim's desk verdict is drawn from: the whole group's, if any."""
    if claim.group_id is None:
        return list(Assessment.objects.filter(claim_id=claim.pk).order_by("created_at", "id"))
    return list(
        Assessment.objects.filter(
            claim__group_id=claim.group_id, claim__deleted_at__isnull=True
        ).order_by("created_at", "id")
    )


def _shared(claim: Claim) -> dict[str, Any]:
    return {field: getattr(claim, field) for field in SHARED_FIELDS}


def _history_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _take(member: Claim, values: dict[str, Any], actor: User | None, *, because: int) -> None:
    """Give a locked member the group's shared values, saved with its history entry."""
    changes = {
        field.removesuffix("_id"): [_history_value(getattr(member, field)), _history_value(v)]
        for field, v in values.items()
        if getattr(member, field) != v
    }
    if not changes:
        return
    # Named as the desk's, as an assessment's entry names them: the blind rule's history
    # filter leaves them out for a reader who may not see the judgments yet.
    for field in ("verdict", "rationale"):
        if field in changes:
            changes[f"desk_{field}"] = changes.pop(field)
    for field, value in values.items():
        setattr(member, field, value)
    if {"desk_verdict", "desk_rationale"} & changes.keys():
        withdraw_sign_off(member, changes)
    if actor is not None and getattr(actor, "is_authenticated", False):
        member.updated_by = account(actor)
    member.version += 1
    fields = [*SHARED_FIELDS, "signed_off_by", "signed_off_at", "sign_off_withdrawn_at"]
    member.save(update_fields=[*fields, "updated_by", "version", "updated_at"])
    changes["followed_claim"] = [None, because]
    action = HistoryEntry.Action.DECIDED if "decided_by" in changes else HistoryEntry.Action.UPDATED
    record_history(claim=member, action=action, actor=actor, changes=changes)


def _others_locked(claim: Claim) -> list[Claim]:
    if claim.group_id is None:
        return []
    ids = (
        Claim.objects.filter(group_id=claim.group_id)
        .exclude(pk=claim.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [lock_claim(pk) for pk in ids]


def group_follow(claim: Claim, actor: User | None) -> None:
    """The saved desk verdict of ``claim`` becomes every other member's (called by
    ``assessments.save_desk``)."""
    values = _shared(claim)
    for member in _others_locked(claim):
        _take(member, values, actor, because=claim.pk)


def _stance(claim: Claim) -> str | None:
    """What a claim's desk says, for the conflict check; None for a plain pending claim."""
    if claim.in_disagreement:
        return "in disagreement"
    return None if claim.verdict == Verdict.PENDING else claim.verdict


def _covering_claim(article: Article, start: int, end: int) -> Claim | None:
    """The claim on exactly this passage, or else the shortest one that contains it."""
    covering = Claim.objects.filter(
        article=article, start__lte=start, end__gte=end, is_orphaned=False
    )
    exact = covering.filter(start=start, end=end).first()
    if exact is not None:
        return exact
    return min(covering, key=lambda c: (c.end - c.start, c.pk), default=None)


def _conflict(source: Claim, target: Claim, user: User) -> VerdictConflictError:
    if can_see_judgments(user, source) and can_see_judgments(user, target):
        message = MSG_VERDICTS_DIFFER.format(
            first=source.pk,
            first_verdict=_stance(source),
            second=target.pk,
            second_verdict=_stance(target),
        )
        verdicts = {source.pk: source.verdict, target.pk: target.verdict}
        return VerdictConflictError(message, (source.pk, target.pk), verdicts)
    return VerdictConflictError(MSG_VERDICTS_DIFFER_HIDDEN, (source.pk, target.pk), None)


def _settle(members: list[Claim], user: User, verdict_choice: str | None, *, because: int) -> None:
    """Bring the locked members of a newly formed group to one desk verdict."""
    if verdict_choice is not None:
        lead = next((m for m in members if m.verdict == verdict_choice), None)
        values = {
            "verdict": verdict_choice,
            "rationale": lead.rationale if lead else "",
            "in_disagreement": False,
            "decided_by_id": user.pk,
            "decided_at": timezone.now(),
        }
    else:
        decided = [m for m in members if m.is_decided]
        if decided:
            values = _shared(max(decided, key=lambda m: (m.decided_at, m.pk)))
        else:
            state = desk_state(members[0], group_assessments(members[0]))
            values = {**state, "decided_by_id": None, "decided_at": None}
    for member in members:
        _take(member, values, user, because=because)


def _join(member: Claim, group: ClaimGroup, user: User, *, other: int) -> None:
    before = member.group_id
    member.group = group
    member.version += 1
    member.updated_by = account(user)
    member.save(update_fields=["group", "version", "updated_by", "updated_at"])
    # A new appearance was never published with the group: its page hides until a reviewer
    # publishes the group again (``services.claim_group_is_public``).
    ClaimGroup.objects.filter(pk=group.pk).update(members_changed_at=timezone.now())
    record_history(
        claim=member,
        action=HistoryEntry.Action.LINKED,
        actor=user,
        changes={"group": [before, group.pk], "linked_with": [None, other]},
    )


@transaction.atomic
def claim_link(
    claim: Claim | int,
    *,
    article: Article | int,
    start: int,
    end: int,
    user: User,
    verdict_choice: str | None = None,
) -> Claim:
    """Link ``claim`` with the same claim's appearance at ``article[start:end]``.

    The claim covering that passage is linked; if none does, a highlight is made there
    (``claim_create``, with the linking user as its analyst). Returns that appearance.
    """
    from annotations.services.claims import claim_create, validate_claim_span

    source = lock_claim(claim)
    require(can_edit_claim(user, source), MSG_NO_RIGHT_LINK)
    # Saying which verdict stands decides the group's desk verdict: a reviewer's call.
    require(verdict_choice is None or can_decide(user), MSG_NO_RIGHT_CHOOSE_VERDICT)
    if verdict_choice is not None and verdict_choice not in Verdict.final():
        raise invalid(
            "verdict",
            MSG_CHOICE_NOT_FINAL.format(choices=", ".join(Verdict.final())),
            ErrorCode.CHOICE_NOT_FINAL,
        )
    place = lock_article(article)
    target = None
    if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool):
        target = _covering_claim(place, start, end)
    if target is None:
        validate_claim_span(article=place, start=start, end=end)
        target = claim_create(article=place, start=start, end=end, author=user)
    elif target.pk != source.pk:
        require(can_edit_claim(user, target), MSG_LINK_OTHERS_CLAIM)
    if target.pk == source.pk:
        raise invalid("start", MSG_LINK_SELF, ErrorCode.LINK_SELF)
    target = lock_claim(target)
    if source.group_id is not None and source.group_id == target.group_id:
        return target
    stances = {_stance(source), _stance(target)} - {None}
    if len(stances) > 1 and verdict_choice is None:
        raise _conflict(source, target, user)
    group = source.group or target.group or ClaimGroup.objects.create(created_by=account(user))
    joining = [m for m in (source, target) if m.group_id != group.pk]
    if target.group_id is not None and target.group_id != group.pk:
        # Two groups meet: the target's whole group joins the source's.
        old_group = target.group_id
        joining = [lock_claim(pk) for pk in _member_ids(old_group)]
        ClaimGroup.objects.filter(pk=old_group).delete()
    for member in joining:
        _join(member, group, user, other=target.pk if member.pk == source.pk else source.pk)
    members = [lock_claim(pk) for pk in _member_ids(group.pk)]
    _settle(members, user, verdict_choice, because=source.pk)
    return lock_claim(target.pk)


def _member_ids(group_id: int) -> list[int]:
    return list(Claim.objects.filter(group_id=group_id).order_by("pk").values_list("pk", flat=True))


def _leave(member: Claim, user: User) -> None:
    before = member.group_id
    member.group = None
    member.version += 1
    member.updated_by = account(user)
    member.save(update_fields=["group", "version", "updated_by", "updated_at"])
    record_history(
        claim=member,
        action=HistoryEntry.Action.UNLINKED,
        actor=user,
        changes={"group": [before, None]},
    )


@transaction.atomic
def claim_unlink(claim: Claim | int, user: User) -> Claim:
    """Take the claim out of its group, keeping the verdict it has; always possible for
    whoever may edit it. A group left with one member is dissolved."""
    locked = lock_claim(claim)
    require(can_edit_claim(user, locked), MSG_NO_RIGHT_LINK)
    if locked.group_id is None:
        raise invalid("group", MSG_NOT_LINKED, ErrorCode.NOT_LINKED)
    group_id = locked.group_id
    _leave(locked, user)
    rest = _member_ids(group_id)
    if len(rest) <= 1:
        for pk in rest:
            _leave(lock_claim(pk), user)
        if not Claim.with_deleted.filter(group_id=group_id).exists():
            ClaimGroup.objects.filter(pk=group_id).delete()
    return locked
