"""The desk's rules, in one place.

Every entry point (admin, REST API, web UI, management commands, Celery tasks)
writes through these functions, so a rule holds however a change arrives. Each
write runs in one transaction and records what it changed in the history.
Rule violations raise ``ValidationError`` (with the field and a message that
names the rule), missing rights raise ``PermissionDenied``, and a stale version
raises ``StaleClaimError``.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations import weburl
from annotations.anchoring import context_around
from annotations.linkcheck.service import evidence_excerpt_changed, evidence_link_attached
from annotations.models import Article, Claim, Evidence, HistoryEntry, SourceLink, Stance, Verdict

User = AbstractBaseUser | AnonymousUser

ANALYST = "analyst"
REVIEWER = "reviewer"

# Messages are constants so that tests and clients can rely on them.
MSG_OFFSET_TYPE = "Offsets must be whole numbers."
MSG_START_NEGATIVE = "start must be 0 or more."
MSG_START_NOT_BEFORE_END = "start must be smaller than end."
MSG_END_PAST_BODY = "end ({end}) is past the end of the article text ({length} characters)."
MSG_QUOTE_MISMATCH = (
    "The quote does not match the article text at {start}-{end}, which reads «{actual}»."
)
MSG_DUPLICATE_SPAN = "This article already has a claim on exactly this span ({start}-{end})."
MSG_UNKNOWN_VERDICT = "Unknown verdict «{value}»: use one of {choices}."
MSG_UNKNOWN_STANCE = "Unknown stance «{value}»: use one of {choices}."
MSG_URL_SCHEME = "Only http and https links can be cited."
MSG_URL_INVALID = "This is not a valid web address."
MSG_URL_TOO_LONG = "Links are limited to 2000 characters."
MSG_SIGN_OFF_PENDING = "A pending claim cannot be signed off: give it a verdict first."
MSG_CLAIM_ORPHANED = (
    "This claim lost its place when the article text changed: place it again before signing off."
)
MSG_NO_RIGHT_CREATE = "Only analysts and reviewers can create claims."
MSG_NO_RIGHT_EDIT = "Analysts can only change their own claims; reviewers can change any."
MSG_NO_RIGHT_SIGN_OFF = "Only reviewers can sign off claims."
MSG_NO_RIGHT_DELETE = (
    "Analysts can delete only their own claims, and not once a reviewer has signed them off."
)


class StaleClaimError(Exception):
    """The claim changed since the caller read it; ``current`` is the newer state."""

    def __init__(self, current: Claim):
        super().__init__(
            f"Claim {current.pk} is at version {current.version}; reload it and apply the "
            "change again."
        )
        self.current = current


# --- Roles

ANALYST_PERMISSIONS = [
    "view_article",
    "add_claim",
    "change_claim",
    "delete_claim",
    "view_claim",
    "add_evidence",
    "change_evidence",
    "delete_evidence",
    "view_evidence",
    "view_sourcelink",
    "view_linkcheck",
    "view_historyentry",
]
REVIEWER_PERMISSIONS = [*ANALYST_PERMISSIONS, "sign_off_claim", "change_sourcelink"]


def ensure_role_groups() -> None:
    """Create the analyst and reviewer groups with their model permissions (idempotent)."""
    for name, codenames in ((ANALYST, ANALYST_PERMISSIONS), (REVIEWER, REVIEWER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label="annotations", codename__in=codenames
        )
        group.permissions.add(*perms)


def user_roles(user: User) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_workbench_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=[ANALYST, REVIEWER]).values_list("name", flat=True))
        if user.is_superuser:
            names |= {ANALYST, REVIEWER}
        cached = frozenset(names)
        user._workbench_roles = cached
    return cached


def is_reviewer(user: User) -> bool:
    return REVIEWER in user_roles(user)


def is_analyst(user: User) -> bool:
    return ANALYST in user_roles(user)


def can_create_claims(user: User) -> bool:
    return bool(user_roles(user))


def can_edit_claim(user: User, claim: Claim) -> bool:
    if is_reviewer(user):
        return True
    return is_analyst(user) and claim.created_by_id == user.pk


def can_delete_claim(user: User, claim: Claim) -> bool:
    """Analysts may delete their own claims until a reviewer has signed one off."""
    if is_reviewer(user):
        return True
    return can_edit_claim(user, claim) and not claim.is_signed_off


def can_sign_off(user: User) -> bool:
    return is_reviewer(user)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- History


def record_history(
    *,
    claim: Claim,
    action: str,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    evidence: Evidence | None = None,
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        claim=claim if claim.pk else None,
        claim_ref=claim.pk,
        subject=HistoryEntry.Subject.EVIDENCE if evidence else HistoryEntry.Subject.CLAIM,
        evidence_ref=evidence.pk if evidence else None,
        action=action,
        changes=changes or {},
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _diff(obj: object, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """Field -> [old, new] for the values that really change."""
    return {
        field: [getattr(obj, field), value]
        for field, value in new_values.items()
        if value is not None and getattr(obj, field) != value
    }


# --- Claims


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
        raise ValidationError({"start": MSG_OFFSET_TYPE}, code="offset_type")
    if not isinstance(start, int) or not isinstance(end, int):
        raise ValidationError({"start": MSG_OFFSET_TYPE}, code="offset_type")
    if start < 0:
        raise ValidationError({"start": MSG_START_NEGATIVE}, code="start_negative")
    if start >= end:
        raise ValidationError({"end": MSG_START_NOT_BEFORE_END}, code="start_not_before_end")
    length = len(article.body)
    if end > length:
        raise ValidationError(
            {"end": MSG_END_PAST_BODY.format(end=end, length=length)}, code="end_past_body"
        )
    actual = article.body[start:end]
    if quote is not None and quote != actual:
        shown = actual if len(actual) <= 80 else actual[:79] + "…"
        raise ValidationError(
            {"quote": MSG_QUOTE_MISMATCH.format(start=start, end=end, actual=shown)},
            code="quote_mismatch",
        )
    clash = Claim.objects.filter(article=article, start=start, end=end, is_orphaned=False)
    if exclude_claim_id is not None:
        clash = clash.exclude(pk=exclude_claim_id)
    if clash.exists():
        raise ValidationError(
            {"start": MSG_DUPLICATE_SPAN.format(start=start, end=end)}, code="duplicate_span"
        )
    return actual


def validate_verdict(value: str) -> str:
    if value not in Verdict.values:
        raise ValidationError(
            {"verdict": MSG_UNKNOWN_VERDICT.format(value=value, choices=", ".join(Verdict.values))},
            code="unknown_verdict",
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
            raise ValidationError(
                {"start": MSG_DUPLICATE_SPAN.format(start=claim.start, end=claim.end)},
                code="duplicate_span",
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
    """Highlight a span as a claim. The prefix and suffix come from the body, not the caller."""
    _require(can_create_claims(author), MSG_NO_RIGHT_CREATE)
    article = _lock_article(article)  # an import running now must not move the text under us
    quote = validate_claim_span(article=article, start=start, end=end, quote=quote)
    validate_verdict(verdict)
    prefix, suffix = context_around(article.body, start, end)
    claim = Claim(
        article=article,
        start=start,
        end=end,
        quote=quote,
        prefix=prefix,
        suffix=suffix,
        verdict=verdict,
        rationale=rationale,
        created_by=author,
        updated_by=author,
    )
    _save_claim(claim)
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


def _lock_article(article: Article | int) -> Article:
    pk = article.pk if isinstance(article, Article) else article
    return Article.objects.select_for_update().get(pk=pk)


def _lock_claim(claim: Claim | int) -> Claim:
    """Lock the claim's article, then the claim: the importer's order, so the two never deadlock.

    Holding the article also keeps its body from changing under a span being checked.
    """
    pk = claim.pk if isinstance(claim, Claim) else claim
    article_id = Claim.objects.filter(pk=pk).values_list("article_id", flat=True).get()
    article = _lock_article(article_id)
    locked = Claim.objects.select_for_update(of=("self",)).get(pk=pk)
    locked.article = article
    return locked


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
    """Change a claim's verdict, rationale or span; ``None`` leaves a field as it is.

    With ``expected_version`` the change applies only to that version (no lost
    updates). A signed-off claim whose verdict, rationale or span changes loses
    its sign-off: the reviewer signed off what it said before.
    """
    locked = _lock_claim(claim)
    _require(can_edit_claim(actor, locked), MSG_NO_RIGHT_EDIT)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    if verdict is not None:
        validate_verdict(verdict)
    new_values: dict[str, Any] = {"verdict": verdict, "rationale": rationale}
    if start is not None or end is not None or quote is not None:
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
        new_values |= {
            "start": new_start,
            "end": new_end,
            "quote": new_quote,
            "prefix": prefix,
            "suffix": suffix,
            "is_orphaned": False,
        }
    changes = _diff(locked, new_values)
    if not changes:
        return locked
    for field, (_, value) in changes.items():
        setattr(locked, field, value)
    _withdraw_sign_off(locked, changes)
    locked.updated_by = actor
    locked.version += 1
    _save_claim(locked)
    record_history(claim=locked, action=HistoryEntry.Action.UPDATED, actor=actor, changes=changes)
    return locked


def _withdraw_sign_off(claim: Claim, changes: dict[str, list[Any]]) -> None:
    """A reviewer signed off what the claim said before: a changed claim needs a new sign-off."""
    if claim.is_signed_off:
        changes["signed_off_by"] = [claim.signed_off_by_id, None]
        changes["signed_off_at"] = [claim.signed_off_at.isoformat(), None]
        claim.signed_off_by = None
        claim.signed_off_at = None


def claim_reanchor(*, claim: Claim, body: str, span: tuple[int, int] | None) -> str:
    """Record where an import of changed text put a claim, or that it lost its place.

    Called by the importer inside its transaction, with the article and claims locked.
    Returns ``unchanged``, ``moved`` (same quote elsewhere), ``changed`` (the text of the
    quote itself changed) or ``orphaned``. A moved quote keeps its sign-off; a changed or
    lost one does not, since the reviewer vouched for other words.
    """
    if span is None:
        if claim.is_orphaned:
            return "unchanged"
        changes: dict[str, list[Any]] = {"is_orphaned": [False, True]}
        claim.is_orphaned = True
        action, result = HistoryEntry.Action.ORPHANED, "orphaned"
        _withdraw_sign_off(claim, changes)
    else:
        start, end = span
        quote = body[start:end]
        prefix, suffix = context_around(body, start, end)
        changes = _diff(claim, {"start": start, "end": end, "quote": quote, "is_orphaned": False})
        if not changes:
            if (claim.prefix, claim.suffix) != (prefix, suffix):
                claim.prefix, claim.suffix = prefix, suffix
                claim.save(update_fields=["prefix", "suffix"])
            return "unchanged"
        result = "changed" if "quote" in changes else "moved"
        if result == "changed":
            _withdraw_sign_off(claim, changes)
        claim.start, claim.end, claim.quote, claim.is_orphaned = start, end, quote, False
        claim.prefix, claim.suffix = prefix, suffix
        action = HistoryEntry.Action.REANCHORED
    claim.version += 1
    claim.save()
    record_history(claim=claim, action=action, actor=None, changes=changes)
    return result


@transaction.atomic
def claim_delete(*, claim: Claim | int, actor: User, expected_version: int | None = None) -> None:
    locked = _lock_claim(claim)
    _require(can_delete_claim(actor, locked), MSG_NO_RIGHT_DELETE)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    record_history(
        claim=locked,
        action=HistoryEntry.Action.DELETED,
        actor=actor,
        changes={"quote": [locked.quote, None], "verdict": [locked.verdict, None]},
    )
    locked.delete()


@transaction.atomic
def claim_sign_off(
    *, claim: Claim | int, reviewer: User, expected_version: int | None = None
) -> Claim:
    """A reviewer vouches for the claim's current verdict. Signing off twice changes nothing."""
    _require(can_sign_off(reviewer), MSG_NO_RIGHT_SIGN_OFF)
    locked = _lock_claim(claim)
    if expected_version is not None and locked.version != expected_version:
        raise StaleClaimError(locked)
    if locked.verdict == Verdict.PENDING:
        raise ValidationError({"verdict": MSG_SIGN_OFF_PENDING}, code="sign_off_pending")
    if locked.is_orphaned:
        raise ValidationError({"start": MSG_CLAIM_ORPHANED}, code="claim_orphaned")
    if locked.is_signed_off:
        return locked
    locked.signed_off_by = reviewer
    locked.signed_off_at = timezone.now()
    locked.updated_by = reviewer
    locked.version += 1
    locked.save()
    record_history(
        claim=locked,
        action=HistoryEntry.Action.SIGNED_OFF,
        actor=reviewer,
        changes={"signed_off_by": [None, reviewer.pk], "verdict": [locked.verdict, locked.verdict]},
    )
    return locked


@transaction.atomic
def claim_revoke_sign_off(*, claim: Claim | int, reviewer: User) -> Claim:
    _require(can_sign_off(reviewer), MSG_NO_RIGHT_SIGN_OFF)
    locked = _lock_claim(claim)
    if not locked.is_signed_off:
        return locked
    changes = {"signed_off_by": [locked.signed_off_by_id, None]}
    locked.signed_off_by = None
    locked.signed_off_at = None
    locked.updated_by = reviewer
    locked.version += 1
    locked.save()
    record_history(
        claim=locked, action=HistoryEntry.Action.SIGN_OFF_REVOKED, actor=reviewer, changes=changes
    )
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
    """Bulk verdict for the admin: all or nothing, each change in the history."""
    validate_verdict(verdict)
    return _each_claim(claims, lambda pk: claim_update(claim=pk, actor=actor, verdict=verdict))


@transaction.atomic
def claims_sign_off(*, claims: Iterable[Claim | int], reviewer: User) -> int:
    return _each_claim(claims, lambda pk: claim_sign_off(claim=pk, reviewer=reviewer))


# --- Evidence and source links


def normalise_url(url: str) -> str:
    """The canonical form under which evidence shares one SourceLink (``weburl.normalise``)."""
    try:
        return weburl.normalise(url)
    except weburl.BadURL as exc:
        message, code = _URL_ERRORS.get(exc.reason, (MSG_URL_INVALID, "url_invalid"))
        raise ValidationError({"url": message}, code=code) from None


_URL_ERRORS = {
    weburl.Reason.SCHEME: (MSG_URL_SCHEME, "url_scheme"),
    weburl.Reason.TOO_LONG: (MSG_URL_TOO_LONG, "url_too_long"),
}


def source_link_for(url: str) -> SourceLink:
    link, _ = SourceLink.objects.get_or_create(url=normalise_url(url))
    return link


def validate_stance(value: str) -> str:
    if value not in Stance.values:
        raise ValidationError(
            {"stance": MSG_UNKNOWN_STANCE.format(value=value, choices=", ".join(Stance.values))},
            code="unknown_stance",
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
    locked = _lock_claim(claim)
    _require(can_edit_claim(actor, locked), MSG_NO_RIGHT_EDIT)
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
        added_by=actor,
    )
    record_history(
        claim=locked,
        evidence=evidence,
        action=HistoryEntry.Action.CREATED,
        actor=actor,
        changes={"url": [None, evidence.url], "stance": [None, stance], "title": [None, title]},
    )
    evidence_link_attached(evidence=evidence)  # checks the link once this commits
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
    _require(can_edit_claim(actor, locked.claim), MSG_NO_RIGHT_EDIT)
    if stance is not None:
        validate_stance(stance)
    new_values: dict[str, Any] = {
        "title": title,
        "excerpt": excerpt,
        "note": note,
        "stance": stance,
        "url": url.strip() if url is not None else None,
    }
    changes = _diff(locked, new_values)
    if not changes:
        return locked
    if "url" in changes:
        locked.source_link = source_link_for(changes["url"][1])
    for field, (_, value) in changes.items():
        setattr(locked, field, value)
    locked.save()
    record_history(
        claim=locked.claim,
        evidence=locked,
        action=HistoryEntry.Action.UPDATED,
        actor=actor,
        changes=changes,
    )
    if "url" in changes:
        evidence_link_attached(evidence=locked)  # a new source: track it afresh, check it
    elif "excerpt" in changes:
        evidence_excerpt_changed(evidence=locked)
    return locked


@transaction.atomic
def evidence_remove(*, evidence: Evidence | int, actor: User) -> None:
    pk = evidence.pk if isinstance(evidence, Evidence) else evidence
    locked = Evidence.objects.select_for_update().select_related("claim").get(pk=pk)
    _require(can_edit_claim(actor, locked.claim), MSG_NO_RIGHT_EDIT)
    record_history(
        claim=locked.claim,
        evidence=locked,
        action=HistoryEntry.Action.DELETED,
        actor=actor,
        changes={"url": [locked.url, None]},
    )
    locked.delete()
