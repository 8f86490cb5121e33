"""The desk's inbox: who hears about what, and the email that follows a notification.

``notify`` is the one way a notification is made: from the comments (mentions), the
decisions, the sign-offs and the assignments. It writes one row per recipient and, once
the write has committed, emails those with an address through Django's mail settings.
A mail server that fails is logged and never undoes, or fails, the write.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from annotations.models import Article, Claim, Comment, Notification
from annotations.services.roles import Account, User

logger = logging.getLogger(__name__)

Kind = Notification.Kind

# What each kind says, with the actor's name and the claim's (or article's) label filled in.
MESSAGES: dict[str, str] = {
    Kind.MENTIONED: "{actor} mentioned you on {subject}",
    Kind.ASSIGNED: "{actor} assigned you {subject}",
    Kind.VERDICT_DECIDED: "{actor} decided the desk verdict on {subject}",
    Kind.SIGNED_OFF: "{actor} signed off {subject}",
    Kind.SIGN_OFF_WITHDRAWN: "{actor}'s change withdrew your sign-off of {subject}",
}
QUOTE_CHARS = 60


def notify(
    kind: str,
    *,
    recipients: Iterable[Account],
    actor: User | None,
    claim: Claim | None = None,
    article: Article | None = None,
    comment: Comment | None = None,
) -> list[Notification]:
    """Tell each recipient once (never the actor: nobody needs to hear about their own act)."""
    actor_account = actor if isinstance(actor, Account) else None
    if article is None and claim is not None:
        article = claim.article
    unique: dict[int, Account] = {}
    for user in recipients:
        if user.is_active and user.pk != getattr(actor_account, "pk", None):
            unique.setdefault(user.pk, user)
    if not unique:
        return []
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                actor=actor_account,
                claim=claim,
                article=article,
                comment=comment,
                created_at=now,
            )
            for user in unique.values()
        ]
    )
    mailed = [row for row in rows if row.recipient.email]
    if mailed:
        transaction.on_commit(lambda: _email(mailed))
    return rows


def notify_sign_off_withdrawn(
    *, claim: Claim, actor: User | None, changes: dict[str, list[Any]]
) -> None:
    """A write whose changes took a sign-off away tells the reviewer who had given it."""
    before, after = changes.get("signed_off_by", (None, None))
    if not before or after:
        return
    reviewer = Account.objects.filter(pk=before).first()
    if reviewer is not None:
        notify(Kind.SIGN_OFF_WITHDRAWN, recipients=[reviewer], actor=actor, claim=claim)


def claim_assessors(claim: Claim) -> QuerySet[Account]:
    """Who has a stake in a claim's verdict: the analysts who assessed it and its creator."""
    return Account.objects.filter(
        Q(assessments__claim_id=claim.pk) | Q(pk=claim.created_by_id)
    ).distinct()


def notification_message(notification: Notification) -> str:
    """One line for the inbox, the API and the email subject (actor, claim and article loaded)."""
    actor = notification.actor
    name = (actor.get_full_name() or actor.get_username()) if actor else "Someone"
    subject = "an article"
    if notification.claim is not None:
        quote = notification.claim.quote
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        subject = f"claim {notification.claim.pk} «{quote}»"
    elif notification.article is not None:
        subject = f"«{notification.article.title}»"
    template = MESSAGES.get(notification.kind, "{actor}: {subject}")
    return template.format(actor=name, subject=subject)


def notification_url(notification: Notification) -> str:
    """Where the line leads: the claim in the annotator, else the article."""
    article_id = notification.article_id
    if notification.claim is not None:
        article_id = notification.claim.article_id
    if article_id is None:
        return reverse("inbox")
    url = reverse("article-detail", args=[article_id])
    if notification.claim_id is not None:
        url += f"#claim={notification.claim_id}"
    return url


def notifications_for(user: User, *, unread: bool = False) -> QuerySet[Notification]:
    """A user's inbox, newest first, with what its lines name in the same query."""
    if not isinstance(user, Account):
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient_id=user.pk).select_related(
        "actor", "claim", "article"
    )
    return rows.filter(read_at__isnull=True) if unread else rows


def unread_count(user: User) -> int:
    if not isinstance(user, Account):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_mark_read(*, notification: Notification | int, user: User) -> Notification:
    """Mark one of the user's own notifications read (someone else's is not found)."""
    pk = notification.pk if isinstance(notification, Notification) else notification
    row = notifications_for(user).get(pk=pk)
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row


def notifications_mark_all_read(*, user: User, before: datetime | None = None) -> int:
    """Mark the whole inbox read; ``before`` spares what arrived after the reader looked."""
    rows = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if before is not None:
        rows = rows.filter(created_at__lte=before)
    return rows.update(read_at=timezone.now())


def _email(rows: list[Notification]) -> None:
    for row in rows:
        try:
            message = notification_message(row)
            link = urljoin(settings.DESK_URL, notification_url(row))
            body = f"{message}\n\n{link}\n"
            if row.comment is not None:
                body = f"{message}:\n\n{row.comment.body}\n\n{link}\n"
            send_mail(
                subject=f"[{settings.DESK_NAME}] {message}",
                message=body,
                from_email=None,
                recipient_list=[row.recipient.email],
            )
        except Exception:
            # The notification is in the inbox already; a mail server's failure must not
            # surface as a failed write, so it is only logged.
            logger.exception("Could not email notification %s to %s", row.pk, row.recipient_id)
