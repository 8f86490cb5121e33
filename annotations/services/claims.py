"""Creating and changing claims, one at a time or in bulk (deleting: ``deletion``)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from annotations.anchoring import context_around
from annotations.models import Article, Assessment, Claim, HistoryEntry, Verdict
from annotations.services.assessments import (
    article_is_blind,
    assessment_submit,
    claim_decide,
    desk_update_fields,
    rationale_language_of,
)
from annotations.services.errors import (
    MSG_DUPLICATE_SPAN,
    MSG_END_PAST_BODY,
    MSG_NO_RIGHT_CREATE,
    MSG_NO_RIGHT_EDIT,
    MSG_OFFSET_TYPE,
    MSG_QUOTE_MISMATCH,
    MSG_START_NEGATIVE,
    MSG_START_NOT_BEFORE_END,
    MSG_UNKNOWN_VERDICT,
    ErrorCode,
    StaleClaimError,
    invalid,
)
from annotations.services.history import diff, record_history
from annotations.services.locking import lock_article, lock_claim
from annotations.services.roles import (
    User,
    account,
    can_create_claims,
    can_edit_claim,
    is_reviewer,
    require,
)
from annotations.services.sign_off import claim_sign_off, withdraw_sign_off


def validate_claim_span(
    *,
    article: Article,
    start: Any,
    end: Any,
    quote: str | None = None,
    exclude_claim_id: int | None = None,
) -> str:
    """Check a span against the article and return its quote.

    Offsets count Unicode code points (Python's ``str`` indexing), as the W3C
    TextPositionSelector does. Overlapping and nested claims are fine; the same
    exact span twice is not.
    """
    if isinstance(start, bool) or isinstance(end, bool):
        raise invalid("start", MSG_OFFSET_TYPE, ErrorCode.OFFSET_TYPE)
    if not isinstance(start, int) or not isinstance(end, int):
        raise invalid("start", MSG_OFFSET_TYPE, ErrorCode.OFFSET_TYPE)
    if start < 0:
        raise invalid("start", MSG_START_NEGATIVE, ErrorCode.START_NEGATIVE)
    if start >= end:
        raise invalid("end", MSG_START_NOT_BEFORE_END, ErrorCode.START_NOT_BEFORE_END)
    length = len(article.body)
    if end > length:
        raise invalid(
            "end", MSG_END_PAST_BODY.format(end=end, length=length), ErrorCode.END_PAST_BODY
        )
    actual = article.body[start:end]
    if quote is not None and quote != actual:
        shown = actual if len(actual) <= 80 else actual[:79] + "…"
        raise invalid(
            "quote",
            MSG_QUOTE_MISMATCH.format(start=start, end=end, actual=shown),
            ErrorCode.QUOTE_MISMATCH,
        )
    clash = Claim.objects.filter(article=article, start=start, end=end, is_orphaned=False)
    if exclude_claim_id is not None:
        clash = clash.exclude(pk=exclude_claim_id)
    if clash.exists():
        raise invalid(
            "start", MSG_DUPLICATE_SPAN.format(start=start, end=end), ErrorCode.DUPLICATE_SPAN
        )
    return actual


def validate_verdict(value: str) -> str:
    if value not in Verdict.values:
        raise invalid(
            "verdict",
            MSG_UNKNOWN_VERDICT.format(value=value, choices=", ".join(Verdict.values)),
            ErrorCode.UNKNOWN_VERDICT,
        )
    return value


def _save_claim(claim: Claim, **save_kwargs: Any) -> None:
    """Save, turning a lost race on the unique span into the same message as the check."""
    try:
        with transaction.atomic():
            claim.save(**save_kwargs)
    except IntegrityError as exc:
        if (
            Claim.objects.filter(
                article_id=claim.article_id, start=claim.start, end=claim.end, is_orphaned=False
            )
            .exclude(pk=claim.pk)
            .exists()
        ):
            raise invalid(
                "start",
                MSG_DUPLICATE_SPAN.format(start=claim.start, end=claim.end),
                ErrorCode.DUPLICATE_SPAN,
            ) from exc
        raise


@transaction.atomic
def claim_create(
    *,
    article: Article,
    start: int,
    end: int,
    author: User,
    quote: str | None = None,
    verdict: str = Verdict.PENDING,
    rationale: str = "",
) -> Claim:
    """Highlight a span as a claim, the author's verdict on it their own assessment.

    On a blind article a span someone else has highlighted already is not refused: the
    author's assessment joins that claim, and nothing tells them whose it was or what
    they judged. The prefix and suffix come from the body, not the caller.
    """
    require(can_create_claims(author), MSG_NO_RIGHT_CREATE)
    article = lock_article(article)  # an import running now must not move the text under us
    validate_verdict(verdict)
    if article_is_blind(article):
        joined = _join_blind_claim(article, start, end, quote, author, verdict, rationale)
        if joined is not None:
            return joined
    quote = validate_claim_span(article=article, start=start, end=end, quote=quote)
    prefix, suffix = context_around(article.body, start, end)
    language = rationale_language_of(author) if rationale else ""
    claim = Claim(
        article=article,
        start=start,
        end=end,
        quote=quote,
        prefix=prefix,
        suffix=suffix,
        verdict=verdict,
        rationale=rationale,
        rationale_language=language,
        created_by=account(author),
        updated_by=account(author),
    )
    _save_claim(claim)
    Assessment.objects.create(
        claim=claim,
        analyst=claim.created_by,
        verdict=verdict,
        rationale=rationale,
        rationale_language=language,
    )
    record_history(
        claim=claim,
        action=HistoryEntry.Action.CREATED,
        actor=author,
        changes={
            "start": [None, start],
            "end": [None, end],
            "quote": [None, quote],
            "verdict": [None, verdict],
            "rationale": [None, rationale],
        },
    )
    return claim


def _join_blind_claim(
    article: Article,
    start: Any,
    end: Any,
    quote: str | None,
    author: User,
    verdict: str,
    rationale: str,
) -> Claim | None:
    """The claim on this span that the author has not assessed yet, now with their assessment."""
    if not isinstance(start, int) or not isinstance(end, int):
        return None  # validate_claim_span says what is wrong
    taken = (
        Claim.objects.filter(article=article, start=start, end=end, is_orphaned=False)
        .exclude(assessments__analyst_id=author.pk)
        .first()
    )
    if taken is None:
        return None
    validate_claim_span(
        article=article, start=start, end=end, quote=quote, exclude_claim_id=taken.pk
    )
    assessment_submit(claim=taken, analyst=author, verdict=verdict, rationale=rationale)
    return Claim.objects.get(pk=taken.pk)


@transaction.atomic
def claim_update(
    *,
    claim: Claim | int,
    actor: User,
    expected_version: int | None = None,
    verdict: str | None = None,
    rationale: str | None = None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
) -> Claim:
    """Change a claim's span, or the actor's verdict and rationale; ``None`` leaves a field.

    The verdict and rationale are the actor's own assessment when they created the claim
    or have assessed it; from any other reviewer they are a decision of the desk verdict.
    With ``expected_version`` the change applies only to that version (no lost updates).
    A signed-off claim whose desk verdict, rationale or span changes loses its sign-off:
    the reviewer signed off what it said before.
    """
    locked = lock_claim(claim)
    moves = start is not None or end is not None or quote is not None
    judges = verdict is not None or rationale is not None
    own = judges and (
        locked.created_by_id == actor.pk
        or Assessment.objects.filter(claim_id=locked.pk, analyst_id=actor.pk).exists()
    )
    require(
        (not moves or can_edit_claim(actor, locked)) and (not judges or own or is_reviewer(actor)),
        MSG_NO_RIGHT_EDIT,
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    if verdict is not None:
        validate_verdict(verdict)
    if moves:
        locked = _move_claim(locked, actor, start=start, end=end, quote=quote)
    if not judges:
        return locked
    if own:
        assessment_submit(claim=locked, analyst=actor, verdict=verdict, rationale=rationale)
    else:
        claim_decide(
            claim=locked, reviewer=actor, verdict=verdict or locked.verdict, reason=rationale
        )
    return lock_claim(locked.pk)


def _move_claim(
    locked: Claim, actor: User, *, start: int | None, end: int | None, quote: str | None
) -> Claim:
    """A new span for a locked claim, placed again if it had been lost."""
    new_start = locked.start if start is None else start
    new_end = locked.end if end is None else end
    new_quote = validate_claim_span(
        article=locked.article,
        start=new_start,
        end=new_end,
        quote=quote,
        exclude_claim_id=locked.pk,
    )
    prefix, suffix = context_around(locked.article.body, new_start, new_end)
    changes = diff(
        locked,
        {
            "start": new_start,
            "end": new_end,
            "quote": new_quote,
            "prefix": prefix,
            "suffix": suffix,
            "is_orphaned": False,
        },
    )
    if not changes:
        return locked
    for field, (_, value) in changes.items():
        setattr(locked, field, value)
    withdraw_sign_off(locked, changes)
    locked.updated_by = account(actor)
    locked.version += 1
    _save_claim(locked, update_fields=desk_update_fields(changes))
    record_history(claim=locked, action=HistoryEntry.Action.UPDATED, actor=actor, changes=changes)
    return locked


def _each_claim(claims: Iterable[Claim | int], change: Any) -> int:
    """Apply ``change`` to each claim; how many really changed (their version moved)."""
    changed = 0
    for claim in claims:
        pk = claim.pk if isinstance(claim, Claim) else claim
        before = Claim.objects.filter(pk=pk).values_list("version", flat=True).get()
        changed += change(pk).version != before
    return changed


@transaction.atomic
def claims_set_verdict(*, claims: Iterable[Claim | int], verdict: str, actor: User) -> int:
    """Bulk decision for the admin: all or nothing, each one in the history."""
    validate_verdict(verdict)
    return _each_claim(claims, lambda pk: claim_decide(claim=pk, reviewer=actor, verdict=verdict))


@transaction.atomic
def claims_sign_off(
    *, claims: Iterable[Claim | int], reviewer: User, versions: Mapping[int, int] | None = None
) -> int:
    """Bulk sign-off: all or nothing. With ``versions`` ({id: version}) each claim is signed
    off only as the reviewer saw it; one changed since is a ``StaleClaimError`` for all."""
    versions = versions or {}
    return _each_claim(
        claims,
        lambda pk: claim_sign_off(claim=pk, reviewer=reviewer, expected_version=versions.get(pk)),
    )
