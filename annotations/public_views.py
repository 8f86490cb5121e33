"""The public site: published fact-checks, their index, an Atom feed and the sitemap.

No login, no session and no form: these views read only ``selectors_public``, which holds
the one rule of what is public. Absolute addresses come from ``DESK_URL``.
"""

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.contrib.syndication.views import Feed
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import get_resolver
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info
from django.views.decorators.http import require_safe

from annotations import selectors, selectors_public
from annotations.exports.chunks import claim_rows
from annotations.exports.claimreview import CLAIMREVIEW_RECORD, claim_review, short_claim
from annotations.exports.fields import Urls
from annotations.models import Claim, ClaimGroup
from annotations.selectors_review import span_in_context
from annotations.services import claim_is_public

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


def group_json_ld(group: ClaimGroup) -> dict[str, Any]:
    """The group's ClaimReview: one claim (the lead appearance's words) with every appearance,
    the citations of all members published with the group, and the group's page as ``url``."""
    members: list[Claim] = group.appearances  # type: ignore[attr-defined]
    rows = {
        row["id"]: row
        for chunk in claim_rows(
            Claim.objects.filter(pk__in=[m.pk for m in members]),
            keyset=selectors.ID_ORDERING,
            chunk_size=len(members),
            record=CLAIMREVIEW_RECORD,
        )
        for row in chunk
    }
    published_at = group.published_at
    assert published_at is not None  # public_group() returns published groups only
    lead = {
        **rows[members[0].pk],
        "evidence": [
            e for m in members for e in rows[m.pk]["evidence"] if e["created_at"] <= published_at
        ],
    }
    review = claim_review(
        lead,
        Urls(selectors_public.absolute("/api/v1/")),
        public=True,
        appearances=[rows[m.pk] for m in members],
    )
    review["url"] = selectors_public.group_url(group)
    review["datePublished"] = published_at.date().isoformat()
    return review


# --- caching: every public response says how long a CDN may keep it


def _latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


def public_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Conditional GET and ``Cache-Control: public`` for the public site.

    The ETag is the rendered body's hash, so it changes with anything the page shows
    (a takedown, an edit, a new citation) and a 304 never serves a stale page; pages also
    send ``Last-Modified`` (``response.last_modified``, the latest change they show). A 200 is
    kept ``PUBLIC_PAGE_MAX_AGE`` seconds, a 404, 410 or redirect ``PUBLIC_GONE_MAX_AGE``.
    """

    @wraps(view)
    def cached(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            # The desk's own 404 page, rendered here so that it carries the short max-age.
            not_found: Callable[..., HttpResponse] = get_resolver().resolve_error_handler(404)
            response = not_found(request, exc)
        if response.status_code != 200 or response.streaming:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_GONE_MAX_AGE)
            return response
        patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
        set_response_etag(response)
        moment = getattr(response, "last_modified", None)
        # Whole seconds, as the header carries them, so If-Modified-Since compares equal.
        last_modified = int(moment.timestamp()) if moment is not None else None
        if last_modified is not None:
            response.headers["Last-Modified"] = http_date(last_modified)
        else:
            # A list's latest date can go back (a takedown), so it must not answer 304 by date.
            response.headers.pop("Last-Modified", None)
        conditional = get_conditional_response(
            request, etag=response.headers["ETag"], last_modified=last_modified, response=response
        )
        return conditional if conditional is not None else response

    return cached


def _gone_or_missing(request: HttpRequest, was_public: bool) -> HttpResponse:
    if was_public:
        return render(request, "annotations/public/gone.html", _context(), status=410)
    raise Http404("No such fact-check.")


def _entry(entry: Claim | ClaimGroup) -> dict[str, Any]:
    """An index row: a claim, or a group by its lead appearance."""
    if isinstance(entry, ClaimGroup):
        appearances: list[Claim] = entry.appearances  # type: ignore[attr-defined]
        lead = appearances[0]
        return {
            "path": selectors_public.group_path(entry),
            "claim": lead,
            "short_quote": short_claim(lead.quote),
            "published_at": entry.published_at,
            "sources": [m.article.source_name or m.article.title for m in appearances],
        }
    return {
        "path": selectors_public.public_path(entry),
        "claim": entry,
        "short_quote": short_claim(entry.quote),
        "published_at": entry.published_at,
        "sources": [entry.article.source_name or entry.article.title],
    }


@require_safe
@public_cache
def public_index(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors_public.public_entries(), selectors_public.PUBLIC_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of fact-checks.") from None
    entries = [_entry(e) for e in selectors_public.entries_of(list(page.object_list))]
    return render(request, "annotations/public/index.html", _context(page=page, entries=entries))


@require_safe
@public_cache
def public_claim(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    claim = selectors_public.public_claim(pk)
    if claim is None:
        return _gone_or_missing(request, selectors_public.was_public(pk))
    if slug != claim.public_slug:
        return HttpResponsePermanentRedirect(selectors_public.public_path(claim))
    article = claim.article
    evidence = selectors_public.published_evidence(claim, list(claim.evidence.all()))
    response = render(
        request,
        "annotations/public/claim.html",
        _context(
            claim=claim,
            article=article,
            context=span_in_context(article.body, claim.start, claim.end),
            evidence=evidence,
            short_quote=short_claim(claim.quote),
            page_url=selectors_public.public_url(claim),
            group_path=selectors_public.public_group_path_of(claim),
            json_ld=json_ld_script_text(claim_json_ld(claim)),
        ),
    )
    response.last_modified = _latest(  # type: ignore[attr-defined]
        claim.published_at, claim.updated_at, article.updated_at, *(e.updated_at for e in evidence)
    )
    return response


def language_name(code: str) -> str:
    """The article language's English name ("Russian"), else its code."""
    try:
        return str(get_language_info(code)["name"])
    except KeyError:
        try:
            return str(get_language_info(code.split("-")[0])["name"])
        except KeyError:
            return code


@require_safe
@public_cache
def public_group(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    group = selectors_public.public_group(pk)
    if group is None:
        return _gone_or_missing(request, selectors_public.group_was_public(pk))
    if slug != group.public_slug:
        return HttpResponsePermanentRedirect(selectors_public.group_path(group))
    members: list[Claim] = group.appearances  # type: ignore[attr-defined]
    lead = members[0]
    appearances = []
    for member in members:
        article = member.article
        appearances.append(
            {
                "claim": member,
                "article": article,
                "language": language_name(article.language),
                "context": span_in_context(article.body, member.start, member.end),
                "evidence": selectors_public.published_group_evidence(group, member),
                "own_page": selectors_public.public_path(member)
                if claim_is_public(member)
                else None,
            }
        )
    response = render(
        request,
        "annotations/public/group.html",
        _context(
            group=group,
            lead=lead,
            appearances=appearances,
            short_quote=short_claim(lead.quote),
            page_url=selectors_public.group_url(group),
            signed_off_at=max(m.signed_off_at for m in members if m.signed_off_at),
            json_ld=json_ld_script_text(group_json_ld(group)),
        ),
    )
    response.last_modified = _latest(  # type: ignore[attr-defined]
        group.published_at,
        *(m.updated_at for m in members),
        *(m.article.updated_at for m in members),
        *(
            e.updated_at
            for m in members
            for e in selectors_public.published_group_evidence(group, m)
        ),
    )
    return response


FEED_SIZE = 50


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

    def items(self) -> list[Claim | ClaimGroup]:
        return selectors_public.latest_entries(FEED_SIZE)

    @staticmethod
    def _claim(item: Claim | ClaimGroup) -> Claim:
        return item.appearances[0] if isinstance(item, ClaimGroup) else item  # type: ignore[attr-defined]

    def item_title(self, item: Claim | ClaimGroup) -> str:
        claim = self._claim(item)
        title = f"{claim.get_verdict_display()}: «{short_claim(claim.quote)}»"
        if isinstance(item, ClaimGroup):
            title += f" ({len(item.appearances)} articles)"  # type: ignore[attr-defined]
        return title

    def item_description(self, item: Claim | ClaimGroup) -> str:
        return self._claim(item).rationale

    def item_link(self, item: Claim | ClaimGroup) -> str:
        return selectors_public.absolute(selectors_public.entry_path(item))

    def item_guid(self, item: Claim | ClaimGroup) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: Claim | ClaimGroup) -> Any:
        return item.published_at

    def item_updateddate(self, item: Claim | ClaimGroup) -> Any:
        return item.published_at

    def item_author_name(self) -> str:
        return settings.DESK_NAME


class PublicSitemap(Sitemap):
    """Every published fact-check and the index; the domain is ``DESK_URL``'s."""

    changefreq = "weekly"

    def items(self) -> list[Any]:
        return ["index", *selectors_public.public_listing(), *selectors_public.public_groups()]

    def location(self, item: Any) -> str:
        return "/fact-checks/" if item == "index" else selectors_public.entry_path(item)

    def lastmod(self, item: Any) -> Any:
        return None if item == "index" else item.published_at

    def get_domain(self, site: Any = None) -> str:
        return urlsplit(settings.DESK_URL).netloc

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.DESK_URL).scheme


SITEMAPS: "dict[str, type[Sitemap[Any]] | Sitemap[Any]]" = {"fact-checks": PublicSitemap}

# The feed and the sitemap, cached as the pages are (the urls route these).
public_feed = require_safe(public_cache(PublicFeed()))


@require_safe
@public_cache
def public_sitemap(request: HttpRequest) -> HttpResponse:
    response = sitemap(request, sitemaps=SITEMAPS)
    response.render()  # a TemplateResponse: rendered here, so its ETag is its body's hash
    return response
