"""The agreement page of the review desk: the figures of ``GET /api/v1/agreement/`` as tables.

Reviewers only (``services.can_see_agreement``), like the API. The query string takes the
claim filters of the API (``?article=3&verdict=disputed``); a value that cannot be read is
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


def _context(figures: DeskFigures) -> dict[str, Any]:
    names = figures.analysts
    return {
        "figures": figures,
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
        "filtered": any(value for value in request.GET.values()),
    }
    if filterset.is_valid():
        context.update(_context(selectors_agreement.desk_agreement(filterset.qs)))
    else:
        context["errors"] = filterset.errors
    article_id = request.GET.get("article", "")
    if article_id.isdigit():
        context["article_title"] = (
            Article.objects.filter(pk=int(article_id)).values_list("title", flat=True).first()
        )
    return TemplateResponse(request, TEMPLATE, context)
