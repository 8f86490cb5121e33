"""Each analyst's own judgment of a claim, the desk verdict drawn from them, and decisions.

The desk verdict (``Claim.verdict`` and ``Claim.rationale``) is never written by hand:
``_follow_assessments`` derives it from the submitted assessments until a reviewer decides,
and ``claim_decide`` records the reviewer's verdict and reason without touching any
analyst's rationale. Under blind double-checking, ``can_see_judgments`` is the one rule
that decides whether a reader may see the other analysts' judgments and the desk verdict.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotations.models import Article, Assessment, Claim, HistoryEntry, Notification, Verdict
from annotations.services.errors import (
    MSG_NO_RIGHT_ASSESS,
    MSG_NO_RIGHT_DECIDE,
    StaleClaimError,
)
from annotations.services.history import record_history
from annotations.services.locking import lock_claim
from annotations.services.notifications import claim_assessors, notify
from annotations.services.roles import (
    User,
    account,
    can_create_claims,
    can_decide,
    is_reviewer,
    require,
)
from annotations.services.sign_off import withdraw_sign_off

# What a change of the desk verdict writes on the claim.
DESK_FIELDS = ["verdict", "rationale", "in_disagreement"]


class StaleAssessmentError(Exception):
    """The analyst's assessment changed since it was read (another tab, another device)."""

    def __init__(self, current: Assessment):
        super().__init__(
            f"Your assessment is at version {current.version}; reload it and apply the change "
            "again."
        )
        self.current = current


def article_is_blind(article: Article) -> bool:
    """Blind double-checking: the article's own setting, or the desk default."""
    if article.blind_review is None:
        return bool(settings.BLIND_REVIEW_DEFAULT)
    return article.blind_review


def can_see_judgments(user: User, claim: Claim, *, own: Assessment | None = None) -> bool:
    """May ``user`` see the other analysts' assessments and the desk verdict on ``claim``?

    Reviewers always may; on a blind article an analyst may once their own assessment
    is submitted. ``own`` saves a query when the caller has the user's assessment at hand.
    """
    if is_reviewer(user):
        return True
    if not user.is_authenticated:
        return False
    if not article_is_blind(claim.article):
        return True
    if own is None:
        return Assessment.objects.filter(
            claim_id=claim.pk, analyst_id=user.pk, verdict__in=Verdict.final()
        ).exists()
    return own.is_submitted


def assessments_of(claim: Claim) -> QuerySet[Assessment]:
    return Assessment.objects.filter(claim_id=claim.pk).order_by("created_at", "id")


def rationale_language_of(author: User) -> str:
    """The language a person's rationale is stored with: the desk's ``RATIONALE_LANGUAGE``
    (no per-person preference exists yet), never the article's."""
    return settings.RATIONALE_LANGUAGE


def desk_state(claim: Claim, assessments: list[Assessment]) -> dict[str, Any]:
    """The desk verdict the assessments give, while no reviewer has decided.

    One analyst: the desk follows them, as a desk of one expects. Several who agree (the
    ones still pending do not count against them): their verdict, with the first one's
    reasoning. Several who differ: pending, in disagreement, until a reviewer decides.
    """
    if claim.is_decided:
        return {
            "verdict": claim.verdict,
            "rationale": claim.rationale,
            "rationale_language": claim.rationale_language,
            "in_disagreement": False,
        }
    submitted = [a for a in assessments if a.is_submitted]
    if len({a.verdict for a in submitted}) > 1:
        return {
            "verdict": Verdict.PENDING,
            "rationale": "",
            "rationale_language": "",
            "in_disagreement": True,
        }
    leads = submitted or assessments
    lead = leads[0] if leads else None
    return {
        "verdict": lead.verdict if lead else Verdict.PENDING,
        "rationale": lead.rationale if lead else "",
        "rationale_language": lead.rationale_language if lead else "",
        "in_disagreement": False,
    }


def follow_assessments(claim: Claim) -> dict[str, list[Any]]:
    """Bring a locked claim's desk verdict in line with its assessments (not saved).

    Returns the changes, sign-off withdrawal included: a reviewer signed off what the
    desk said before.
    """
    from annotations.services.claim_groups import group_assessments  # it imports this module

    # A linked claim is judged with its group: every member's assessments count.
    state = desk_state(claim, group_assessments(claim))
    changes = {
        field: [getattr(claim, field), value]
        for field, value in state.items()
        if getattr(claim, field) != value
    }
    for field, (_, value) in changes.items():
        setattr(claim, field, value)
    if {"verdict", "rationale"} & changes.keys():
        withdraw_sign_off(claim, changes)
    return changes


def desk_update_fields(changes: dict[str, list[Any]]) -> list[str]:
    """The claim's fields a change writes: what changed and the bookkeeping every change moves."""
    fields = [*changes, "updated_by", "version", "updated_at"]
    if "signed_off_by" in changes:
        fields.append("sign_off_withdrawn_at")
    return fields


def save_desk(claim: Claim, actor: User, changes: dict[str, list[Any]]) -> None:
    claim.updated_by = account(actor)
    claim.version += 1
    claim.save(update_fields=desk_update_fields(changes))
    if claim.group_id is not None:
        from annotations.services.claim_groups import group_follow

        group_follow(claim, actor)  # the group shares the desk verdict


@transaction.atomic
def assessment_submit(
    *,
    claim: Claim | int,
    analyst: User,
    verdict: str | None = None,
    rationale: str | None = None,
    expected_version: int | None = None,
) -> Assessment:
    """Write the analyst's own verdict and rationale on a claim; ``None`` keeps a field.

    The first call creates the assessment (pending unless a verdict is given). With
    ``expected_version`` the change applies only to that version of the assessment.
    The desk verdict follows, and the entry in the history says what moved on both.
    """
    from annotations.services.claims import validate_verdict

    require(can_create_claims(analyst), MSG_NO_RIGHT_ASSESS)
    locked = lock_claim(claim)
    if verdict is not None:
        validate_verdict(verdict)
    assessment, created = _own_assessment(locked, analyst)
    if expected_version is not None and assessment.version != expected_version:
        raise StaleAssessmentError(assessment)
    changes: dict[str, list[Any]] = {}
    for field, value in (("verdict", verdict), ("rationale", rationale)):
        if value is not None and (created or getattr(assessment, field) != value):
            before = None if created else getattr(assessment, field)
            changes[field] = [before, value]
            setattr(assessment, field, value)
    if "rationale" in changes:
        assessment.rationale_language = rationale_language_of(analyst) if rationale else ""
    if created and "verdict" not in changes:
        changes["verdict"] = [None, assessment.verdict]
    if not changes:
        return assessment
    if not created:
        assessment.version += 1
    assessment.updated_at = timezone.now()
    assessment.save()
    desk = follow_assessments(locked)
    # The claim's version moves even when the desk verdict does not: what the claim shows
    # (its assessments) changed, and a client holding the old version must hear of it.
    save_desk(locked, analyst, desk)
    record_history(
        claim=locked,
        action=HistoryEntry.Action.CREATED if created else HistoryEntry.Action.UPDATED,
        actor=analyst,
        changes=changes | _desk_moves(desk, assessment),
        assessment=assessment,
    )
    return assessment


def _desk_moves(desk: dict[str, list[Any]], assessment: Assessment) -> dict[str, list[Any]]:
    """What the history adds to an assessment's entry about the claim.

    A desk verdict that simply follows the assessment would repeat it; one that does
    not (disagreement, another analyst's reasoning kept) is named ``desk_...``.
    """
    moves = {}
    for field, pair in desk.items():
        if field in ("verdict", "rationale"):
            if pair[1] != getattr(assessment, field):
                moves[f"desk_{field}"] = pair
        else:
            moves[field] = pair
    return moves


def _own_assessment(claim: Claim, analyst: User) -> tuple[Assessment, bool]:
    existing = Assessment.objects.filter(claim_id=claim.pk, analyst_id=analyst.pk).first()
    if existing is not None:
        return existing, False
    assessment = Assessment(claim=claim, analyst=account(analyst))
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        # The same analyst in two tabs: the claim lock makes this rare, not impossible.
        return Assessment.objects.get(claim_id=claim.pk, analyst_id=analyst.pk), False
    return assessment, True


def _decision_comment(claim: Claim | int, reviewer: User, comment: str) -> None:
    """Post the decision's comment; its faults are the request's ``comment`` field's."""
    from annotations.services.comments import comment_add

    try:
        comment_add(claim=claim, author=reviewer, body=comment)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "body" in exc.error_dict:
            raise ValidationError(
                {"comment": exc.error_dict.pop("body"), **exc.error_dict}
            ) from exc
        raise


@transaction.atomic
def claim_decide(
    *,
    claim: Claim | int,
    reviewer: User,
    verdict: str,
    reason: str | None = None,
    expected_version: int | None = None,
    comment: str | None = None,
) -> Claim:
    """A reviewer sets the desk verdict and says why; the analysts' rationales stay theirs.

    The decision stands over later assessments until a reviewer decides again. With
    ``expected_version`` two reviewers deciding at once cannot both win. A ``comment``
    joins the claim's discussion in the same transaction (both or neither).
    """
    from annotations.services.claims import validate_verdict

    require(can_decide(reviewer), MSG_NO_RIGHT_DECIDE)
    if comment:
        _decision_comment(claim, reviewer, comment)
    locked = lock_claim(claim)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    validate_verdict(verdict)
    new_values = {
        "verdict": verdict,
        "rationale": locked.rationale if reason is None else reason,
        "rationale_language": (
            locked.rationale_language
            if reason is None
            else (rationale_language_of(reviewer) if reason else "")
        ),
        "in_disagreement": False,
    }
    changes = {
        field: [getattr(locked, field), value]
        for field, value in new_values.items()
        if getattr(locked, field) != value
    }
    already = locked.is_decided and locked.decided_by_id == reviewer.pk
    if not changes and already:
        return locked
    for field, (_, value) in changes.items():
        setattr(locked, field, value)
    if {"verdict", "rationale"} & changes.keys():
        withdraw_sign_off(locked, changes)
    now = timezone.now()
    changes["decided_by"] = [locked.decided_by_id, reviewer.pk]
    changes["decided_at"] = [locked.decided_at.isoformat() if locked.decided_at else None, now]
    locked.decided_by = account(reviewer)
    locked.decided_at = now
    save_desk(locked, reviewer, changes)
    changes["decided_at"][1] = now.isoformat()
    record_history(
        claim=locked, action=HistoryEntry.Action.DECIDED, actor=reviewer, changes=changes
    )
    notify(
        Notification.Kind.VERDICT_DECIDED,
        recipients=claim_assessors(locked),
        actor=reviewer,
        claim=locked,
    )
    return locked
