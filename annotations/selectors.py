"""Reads with query logic, kept out of views so every page and endpoint counts the same way."""

import re

from django.db.models import Count, Q, QuerySet

from annotations.models import Article, Verdict


def articles_with_claim_counts() -> QuerySet[Article]:
    """Articles annotated with claim counts per verdict and signed-off claims, in one query.

    Orphaned claims (lost after a text change) are counted apart: they have no place
    in the text and still need attention.
    """
    placed = Q(claims__is_orphaned=False)
    counts = {
        f"count_{verdict}": Count("claims", filter=placed & Q(claims__verdict=verdict))
        for verdict in Verdict.values
    }
    return Article.objects.annotate(
        count_total=Count("claims", filter=placed),
        count_orphaned=Count("claims", filter=Q(claims__is_orphaned=True)),
        count_signed_off=Count("claims", filter=placed & Q(claims__signed_off_at__isnull=False)),
        **counts,
    ).defer("body")


def article_list(*, search: str = "", language: str = "") -> QuerySet[Article]:
    """The desk's article list, filtered by a search term (title or source) and a language.

    The search is a case-insensitive regular expression match on the escaped term:
    unlike ``icontains`` on SQLite, it folds Cyrillic case too.
    """
    articles = articles_with_claim_counts()
    search = search.strip()
    if search:
        pattern = re.escape(search)
        articles = articles.filter(
            Q(title__iregex=pattern) | Q(source_name__iregex=pattern) | Q(slug__iregex=pattern)
        )
    if language:
        articles = articles.filter(language=language)
    return articles.order_by("-published_on", "title", "id")


def article_languages() -> list[str]:
    """The languages that articles exist in, for the list's filter."""
    return list(Article.objects.order_by("language").values_list("language", flat=True).distinct())
