"""The agreement page of the review desk: the figures of ``GET /api/v1/agreement/`` as tables.

Reviewers only (``services.can_see_agreement``), like the API. The query string takes the
claim filters of the API (``?article=3&verdict=disputed``) and ``page`` for the articles'
table (a page that cannot be read is the first); a filter value that cannot be read is
shown on the page with the figures left out, never a 500.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from annotations import selectors_agreement, services
from annotations.api.filters import ClaimFilter
from annotations.models import Article, Claim
from annotations.selectors_agreement import DeskFigures, PairFigures

TEMPLATE = "admin/annotations/agreement.html"


def _pair_rows(figures: DeskFigures, pairs: list[PairFigures]) -> list[dict[str, Any]]:
    names = figures.analysts
    return [
        {
            "pair": pair,
            "first": names.get(pair.first, pair.first),
            "second": names.get(pair.second, pair.second),
            "matrix": list(zip(figures.categories, pair.confusion, strict=True)),
        }
        for pair in pairs
    ]


def _page_link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return f"?{query.urlencode()}"


def _paging(request: HttpRequest, figures: DeskFigures) -> dict[str, Any]:
    """Previous and next pages, the claim filters kept in their addresses."""
    return {
        "previous": _page_link(request, figures.page - 1) if figures.page > 1 else None,
        "next": _page_link(request, figures.page + 1) if figures.page < figures.pages else None,
        "first": _page_link(request, 1) if figures.page > figures.pages else None,
    }


def _context(request: HttpRequest, figures: DeskFigures) -> dict[str, Any]:
    names = figures.analysts
    return {
        "figures": figures,
        "paging": _paging(request, figures),
        "desk_pairs": _pair_rows(figures, figures.pairs),
        "articles": [
            {
                "article": article,
                "pairs": _pair_rows(figures, article.pairs),
                "highlights": [
                    {
                        "h": h,
                        "first": names.get(h.first, h.first),
                        "second": names.get(h.second, h.second),
                    }
                    for h in article.highlights
                ],
            }
            for article in figures.articles
        ],
    }


def agreement_view(request: HttpRequest) -> HttpResponse:
    if not services.can_see_agreement(request.user):
        raise PermissionDenied(services.MSG_NO_RIGHT_AGREEMENT)
    filterset = ClaimFilter(request.GET, queryset=Claim.objects.all())
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Agreement between analysts",
        "opts": Claim._meta,
        "errors": None,
        "filtered": any(value for name, value in request.GET.items() if name != "page"),
    }
    page = request.GET.get("page", "")
    if filterset.is_valid():
        figures = selectors_agreement.desk_agreement(
            filterset.qs, page=int(page) if page.isdigit() and int(page) >= 1 else 1
        )
        context.update(_context(request, figures))
    else:
        context["errors"] = filterset.errors
    article_id = request.GET.get("article", "")
    if article_id.isdigit():
        context["article_title"] = (
            Article.objects.filter(pk=int(article_id)).values_list("title", flat=True).first()
        )
    return TemplateResponse(request, TEMPLATE, context)
