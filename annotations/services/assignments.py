"""A reviewer handing articles to analysts (and to other reviewers) for checking.

Assigning is idempotent: an assignment already there keeps its time and its giver, so
assigning the same people twice neither moves an article up anybody's list nor tells
them again.
"""

from collections.abc import Iterable

from django.contrib.auth.models import User as Account
from django.db import transaction

from annotations.models import Article, ArticleAssignment, Notification
from annotations.services.errors import (
    MSG_ASSIGNEE_NO_ROLE,
    MSG_NO_RIGHT_ASSIGN,
    ErrorCode,
    invalid,
)
from annotations.services.locking import lock_article
from annotations.services.notifications import notify
from annotations.services.roles import User, account, can_assign, require, user_roles


def _assignees(analysts: Iterable[Account]) -> list[Account]:
    people = {person.pk: person for person in analysts}
    for person in people.values():
        if not user_roles(person):
            raise invalid(
                "analysts",
                MSG_ASSIGNEE_NO_ROLE.format(username=person.get_username()),
                ErrorCode.ASSIGNEE_NO_ROLE,
            )
    return list(people.values())


@transaction.atomic
def article_assign(
    *, article: Article, analysts: Iterable[Account], reviewer: User
) -> list[ArticleAssignment]:
    """Assign ``article`` to each of ``analysts``; returns the assignments newly made."""
    require(can_assign(reviewer), MSG_NO_RIGHT_ASSIGN)
    people = _assignees(analysts)
    lock_article(article)
    have = set(
        ArticleAssignment.objects.filter(
            article_id=article.pk, analyst_id__in=[p.pk for p in people]
        ).values_list("analyst_id", flat=True)
    )
    made = ArticleAssignment.objects.bulk_create(
        [
            ArticleAssignment(article=article, analyst=person, assigned_by=account(reviewer))
            for person in people
            if person.pk not in have
        ]
    )
    notify(
        Notification.Kind.ASSIGNED,
        recipients=[assignment.analyst for assignment in made],
        actor=reviewer,
        article=article,
    )
    return made


@transaction.atomic
def article_unassign(*, article: Article, analysts: Iterable[Account], reviewer: User) -> int:
    """Take ``article`` back from each of ``analysts``; returns how many assignments ended.

    Their assessments stay: the article was theirs to check, and what they judged stands.
    """
    require(can_assign(reviewer), MSG_NO_RIGHT_ASSIGN)
    ids = [person.pk for person in analysts]
    lock_article(article)
    removed, _ = ArticleAssignment.objects.filter(
        article_id=article.pk, analyst_id__in=ids
    ).delete()
    return removed
