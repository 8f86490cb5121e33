"""The desk's pages: the article list and the annotator. Both only read; writes go to the API."""

from typing import TYPE_CHECKING, TypedDict, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie

from annotations import selectors
from annotations.csp import content_security_policy
from annotations.models import Article, LinkOutcome, Stance, Verdict
from annotations.selectors_review import paragraphs_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

ARTICLES_PER_PAGE = 50


class _ClaimCounts(TypedDict):
    """The counts that selectors.article_list annotates on each article."""

    count_total: int
    count_signed_off: int


@content_security_policy
@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    language = request.GET.get("language", "")[:35]
    page = Paginator(
        selectors.article_list(search=search, language=language), ARTICLES_PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = []
    for row in page.object_list:
        article = cast("WithAnnotations[Article, _ClaimCounts]", row)
        signed_share = (
            round(100 * article.count_signed_off / article.count_total)
            if article.count_total
            else None
        )
        rows.append({"article": article, "signed_share": signed_share})
    return render(
        request,
        "annotations/article_list.html",
        {
            "page": page,
            "rows": rows,
            "search": search,
            "language": language,
            "languages": selectors.article_languages(),
            "verdicts": Verdict.choices,
        },
    )


@content_security_policy
@ensure_csrf_cookie
@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    return render(
        request,
        "annotations/article_detail.html",
        {
            "article": article,
            "paragraphs": paragraphs_of(article.body),
            "verdicts": Verdict.choices,
            "stances": Stance.choices,
            "link_outcomes": LinkOutcome.choices,
            "poll_ms": settings.ANNOTATOR_POLL_MS,
        },
    )
