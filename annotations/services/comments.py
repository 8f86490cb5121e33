"""The discussion of a claim: comments apart from the rationales, with ``@username`` mentions.

A comment discusses judgments, so it follows the blind rule: on a blind article an analyst
neither reads nor writes the thread until their own verdict is in.
"""

import re

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from annotations import selectors
from annotations.models import Claim, Comment, Notification
from annotations.services.assessments import can_see_judgments
from annotations.services.errors import (
    MSG_COMMENT_EMPTY,
    MSG_COMMENT_TOO_LONG,
    MSG_COMMENTS_BLIND,
    MSG_MENTION_UNKNOWN,
    MSG_NO_RIGHT_COMMENT,
    ErrorCode,
    invalid,
)
from annotations.services.locking import lock_claim
from annotations.services.notifications import notify
from annotations.services.roles import Account, User, account, can_create_claims, require

# Django's default username validator allows letters, digits and @ . + - _. A mention is
# "@" then such a name, not glued to a word before it (so "ops@example.org" names nobody)
# and without "@" inside (an "@" starts the next mention). A name ending in . + or - is
# taken whole when such a user exists, else without them ("thanks @bob." names bob).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
TRAILING = ".+-"


def mention_candidates(body: str) -> list[tuple[str, str]]:
    """Each mention's name as written and without trailing punctuation, in order of writing."""
    found = []
    for match in MENTION.finditer(body):
        whole = match.group(1)
        bare = whole.rstrip(TRAILING)
        if bare:
            found.append((whole, bare))
    return found


def parse_mentions(body: str) -> list[Account]:
    """The users a comment mentions (each once); an unknown name is refused with its code."""
    candidates = mention_candidates(body)
    if not candidates:
        return []
    names = {name for pair in candidates for name in pair}
    users = {user.username: user for user in Account.objects.filter(username__in=names)}
    mentioned: dict[int, Account] = {}
    unknown: list[str] = []
    for whole, bare in candidates:
        user = users.get(whole) or users.get(bare)
        if user is None:
            if bare not in unknown:
                unknown.append(bare)
        else:
            mentioned.setdefault(user.pk, user)
    if unknown:
        names_text = ", ".join(f"@{name}" for name in unknown)
        raise invalid(
            "body", MSG_MENTION_UNKNOWN.format(names=names_text), ErrorCode.MENTION_UNKNOWN
        )
    return list(mentioned.values())


def validate_comment_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise invalid("body", MSG_COMMENT_EMPTY, ErrorCode.COMMENT_EMPTY)
    limit = settings.COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise invalid(
            "body",
            MSG_COMMENT_TOO_LONG.format(limit=limit, length=len(text)),
            ErrorCode.COMMENT_TOO_LONG,
        )
    return text


def can_discuss(user: User, claim: Claim) -> bool:
    """May ``user`` read the claim's discussion? (Writing also needs a desk role.)"""
    if not selectors.claims_visible_to(user, Claim.objects.filter(pk=claim.pk)).exists():
        return False
    return can_see_judgments(user, claim)


def comments_of(claim: Claim, user: User) -> QuerySet[Comment]:
    """The claim's thread as ``user`` may read it (empty while the blind rule hides it)."""
    if not can_discuss(user, claim):
        return Comment.objects.none()
    return (
        Comment.objects.filter(claim_id=claim.pk)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )


@transaction.atomic
def comment_add(*, claim: Claim | int, author: User, body: str) -> Comment:
    """Add a comment to a claim's thread and tell the users it mentions."""
    require(can_create_claims(author), MSG_NO_RIGHT_COMMENT)
    locked = lock_claim(claim)
    require(can_discuss(author, locked), MSG_COMMENTS_BLIND)
    text = validate_comment_body(body)
    mentioned = parse_mentions(text)
    comment = Comment.objects.create(claim=locked, author=account(author), body=text)
    if mentioned:
        comment.mentions.add(*mentioned)
        visible = [user for user in mentioned if can_discuss(user, locked)]
        notify(
            Notification.Kind.MENTIONED,
            recipients=visible,
            actor=author,
            claim=locked,
            comment=comment,
        )
    return comment
