"""Who may do what: the analyst and reviewer groups and the checks on them."""

from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.auth.models import User as Account
from django.core.exceptions import PermissionDenied

from annotations.models import Claim, Evidence, Verdict

MSG_NO_RIGHT_GRANT_EDITOR = "Only reviewers can let people add articles."

# Who is asking: a signed-in account (the default auth user model) or an anonymous visitor.
User = Account | AnonymousUser

ANALYST = "analyst"
REVIEWER = "reviewer"
# Not a desk role: an editor adds articles (from a link, a file or pasted text) and nothing
# else; a reviewer grants it. Its one permission is Django's ``annotations.add_article``.
EDITOR = "editor"
EDITOR_PERMISSIONS = ["view_article", "add_article"]

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
    "view_snapshot",
    "view_historyentry",
]
REVIEWER_PERMISSIONS = [*ANALYST_PERMISSIONS, "sign_off_claim", "change_sourcelink"]


def ensure_role_groups() -> None:
    """Create the analyst and reviewer groups with their model permissions (idempotent)."""
    for name, codenames in (
        (ANALYST, ANALYST_PERMISSIONS),
        (REVIEWER, REVIEWER_PERMISSIONS),
        (EDITOR, EDITOR_PERMISSIONS),
    ):
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
        # A cache for this request's user object; neither user class declares it.
        user._workbench_roles = cached  # type: ignore[attr-defined]
    return cached


def is_reviewer(user: User) -> bool:
    return REVIEWER in user_roles(user)


def is_analyst(user: User) -> bool:
    return ANALYST in user_roles(user)


def can_create_claims(user: User) -> bool:
    return bool(user_roles(user))


def can_read_archive(user: User) -> bool:
    """The desk's archived copies are for its members (analysts and reviewers) alone."""
    return bool(user_roles(user))


def can_edit_claim(user: User, claim: Claim) -> bool:
    if is_reviewer(user):
        return True
    return is_analyst(user) and claim.created_by_id == user.pk


def can_cite(user: User, claim: Claim) -> bool:
    """Evidence belongs to the claim, not to whoever highlighted it first.

    An analyst who joined a claim by highlighting the same span judges it and may cite
    sources for it too, once the blind rule lets them see the claim's evidence (after
    their own verdict is in), so nobody adds to a list they cannot read.
    """
    if can_edit_claim(user, claim):
        return True
    own = next((a for a in claim.assessments.all() if a.analyst_id == user.pk), None)
    if own is None or not is_analyst(user):
        return False
    from annotations.services.assessments import can_see_judgments  # it imports this module

    return can_see_judgments(user, claim, own=own)


def can_change_evidence(user: User, evidence: Evidence) -> bool:
    """Whoever may edit the claim, and the analyst who cited this source."""
    if can_edit_claim(user, evidence.claim):
        return True
    return evidence.added_by_id == user.pk and can_cite(user, evidence.claim)


def can_delete_claim(user: User, claim: Claim) -> bool:
    """Analysts may delete their own claims until a reviewer has signed one off."""
    if is_reviewer(user):
        return True
    return can_edit_claim(user, claim) and not claim.is_signed_off


def can_sign_off(user: User) -> bool:
    return is_reviewer(user)


def can_decide(user: User) -> bool:
    """Deciding the desk verdict over the analysts' assessments is a reviewer's call."""
    return is_reviewer(user)


def can_see_agreement(user: User) -> bool:
    """Reviewers only, blind articles or not: the confusion matrices show how each analyst
    judged (and on a desk of two, what the other one said), which the blind rule hides."""
    return is_reviewer(user)


def can_add_articles(user: User) -> bool:
    """Reviewers, and whoever a reviewer made an editor (the ``add_article`` permission)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_reviewer(user) or user.has_perm("annotations.add_article")


def can_assign(user: User) -> bool:
    """Handing articles out, and reading the review queue, is the reviewers' job."""
    return is_reviewer(user)


def editor_set(*, actor: User, user: Account, editor: bool) -> Account:
    """Make ``user`` an editor, or stop them being one (reviewers only; idempotent)."""
    require(is_reviewer(actor), MSG_NO_RIGHT_GRANT_EDITOR)
    group, _ = Group.objects.get_or_create(name=EDITOR)
    if editor:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_workbench_roles"):
        user.__dict__.pop(cache, None)
    return user


def claim_permissions(user: User, claim: Claim) -> dict[str, bool]:
    """What the user may do with the claim now, so the pages offer only that (and copy no rule)."""
    signable = claim.is_signed_off or (claim.verdict != Verdict.PENDING and not claim.is_orphaned)
    return {
        "edit": can_edit_claim(user, claim),
        "cite": can_cite(user, claim),
        "delete": can_delete_claim(user, claim),
        "sign_off": can_sign_off(user) and signable,
    }


def account(user: User) -> Account:
    """The user as the models store them; the role checks before this turn anonymous users away."""
    if not isinstance(user, Account):
        raise PermissionDenied("Sign in first.")
    return user


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
