"""The public site: published fact-checks, their index, an Atom feed and the sitemap.

No login, no session and no form: these views read only ``selectors_public``, which holds
the one rule of what is public. Absolute addresses come from ``DESK_URL``.
"""

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.syndication.views import Feed
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from annotations import selectors, selectors_public
from annotations.exports.chunks import claim_rows
from annotations.exports.claimreview import CLAIMREVIEW_RECORD, claim_review, short_claim
from annotations.exports.fields import Urls
from annotations.models import Claim
from annotations.selectors_review import span_in_context

# A JSON text inside <script> must not close the element or open a comment.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _context(**extra: Any) -> dict[str, Any]:
    return {"desk_name": settings.DESK_NAME, **extra}


def claim_json_ld(claim: Claim) -> dict[str, Any]:
    """The page's ClaimReview: the export's own mapping, for the public (no desk addresses)."""
    rows = claim_rows(
        Claim.objects.filter(pk=claim.pk),
        keyset=selectors.ID_ORDERING,
        chunk_size=1,
        record=CLAIMREVIEW_RECORD,
    )
    row = next(rows)[0]
    row["evidence"] = [e for e in row["evidence"] if e["created_at"] <= claim.published_at]
    return claim_review(row, Urls(selectors_public.absolute("/api/v1/")), public=True)


def json_ld_script_text(data: dict[str, Any]) -> SafeString:
    """JSON for a ``<script type="application/ld+json">``: safe once ``<``, ``>``, ``&`` are
    escaped (as ``json_script`` does), which JSON-LD processors read back unchanged."""
    return mark_safe(json.dumps(data, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES))


@require_safe
def public_index(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors_public.public_claims(), selectors_public.PUBLIC_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of fact-checks.") from None
    for claim in page.object_list:
        claim.public_path = selectors_public.public_path(claim)  # type: ignore[attr-defined]
        claim.short_quote = short_claim(claim.quote)  # type: ignore[attr-defined]
    return render(request, "annotations/public/index.html", _context(page=page))


@require_safe
def public_claim(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    claim = selectors_public.public_claim(pk)
    if claim is None:
        if selectors_public.was_public(pk):
            return render(request, "annotations/public/gone.html", _context(), status=410)
        raise Http404("No such fact-check.")
    if slug != claim.public_slug:
        return HttpResponsePermanentRedirect(selectors_public.public_path(claim))
    article = claim.article
    return render(
        request,
        "annotations/public/claim.html",
        _context(
            claim=claim,
            article=article,
            context=span_in_context(article.body, claim.start, claim.end),
            evidence=selectors_public.published_evidence(claim, list(claim.evidence.all())),
            short_quote=short_claim(claim.quote),
            page_url=selectors_public.public_url(claim),
            json_ld=json_ld_script_text(claim_json_ld(claim)),
        ),
    )


class PublicFeed(Feed):
    """The latest published fact-checks, as Atom."""

    feed_type = Atom1Feed
    description_template = None

    def title(self) -> str:
        return f"{settings.DESK_NAME}: fact-checks"

    def subtitle(self) -> str:
        return "Claims checked and published by the desk."

    def link(self) -> str:
        return selectors_public.absolute("/fact-checks/")

    def feed_url(self) -> str:
        return selectors_public.absolute("/fact-checks/feed/")

    def items(self) -> QuerySet[Claim]:
        return selectors_public.public_listing()[:50]

    def item_title(self, item: Claim) -> str:
        return f"{item.get_verdict_display()}: «{short_claim(item.quote)}»"

    def item_description(self, item: Claim) -> str:
        return item.rationale

    def item_link(self, item: Claim) -> str:
        return selectors_public.public_url(item)

    def item_guid(self, item: Claim) -> str:
        return selectors_public.public_url(item)

    def item_pubdate(self, item: Claim) -> Any:
        return item.published_at

    def item_updateddate(self, item: Claim) -> Any:
        return item.published_at

    def item_author_name(self) -> str:
        return settings.DESK_NAME


class PublicSitemap(Sitemap):
    """Every published fact-check and the index; the domain is ``DESK_URL``'s."""

    changefreq = "weekly"

    def items(self) -> list[Any]:
        return ["index", *selectors_public.public_listing()]

    def location(self, item: Any) -> str:
        return "/fact-checks/" if item == "index" else selectors_public.public_path(item)

    def lastmod(self, item: Any) -> Any:
        return None if item == "index" else item.published_at

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.DESK_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.DESK_URL).scheme


SITEMAPS = {"fact-checks": PublicSitemap}
