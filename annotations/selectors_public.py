"""Reads of the public site: only published fact-checks and what they show.

``public_claims`` is the one rule of what is public (``services.claim_is_public`` says the
same of one claim): published after the latest sign-off, with a final verdict, still placed
in its article and not deleted. Every public page, the feed and the sitemap read from here.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse

from annotations.models import Claim, Evidence, Verdict

PUBLIC_PAGE_SIZE = 20


def public_claims() -> QuerySet[Claim]:
    """Published fact-checks, newest first, with their article and evidence in three queries."""
    return (
        Claim.objects.filter(
            published_at__isnull=False,
            signed_off_at__isnull=False,
            published_at__gte=F("signed_off_at"),
            verdict__in=Verdict.final(),
            is_orphaned=False,
        )
        .select_related("article")
        .defer("article__body")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("source_link", "pinned_snapshot").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("-published_at", "-id")
    )


def public_listing() -> QuerySet[Claim]:
    """What the feed and the sitemap list: no evidence needed."""
    return public_claims().prefetch_related(None)


def published_evidence(claim: Claim, evidence: list[Evidence]) -> list[Evidence]:
    """The citations the reviewer published: a source cited after publication waits for the
    next publication (edits of a published citation show, as the desk's own corrections)."""
    published_at = claim.published_at
    return [e for e in evidence if published_at is not None and e.created_at <= published_at]


def public_claim(pk: int) -> Claim | None:
    """The published claim with its article's text (the page shows the claim in context)."""
    return public_claims().defer(None).select_related("article").filter(pk=pk).first()


def was_public(pk: int) -> bool:
    """A claim that once had a public page (its slug is kept): its address answers 410."""
    return Claim.with_deleted.filter(pk=pk).exclude(public_slug="").exists()


def public_path(claim: Claim) -> str:
    return reverse("public-claim", kwargs={"pk": claim.pk, "slug": claim.public_slug or "claim"})


def absolute(path: str) -> str:
    """An address on the public site, from ``DESK_URL`` (what feeds and JSON-LD must carry)."""
    return urljoin(settings.DESK_URL, path)


def public_url(claim: Claim) -> str:
    return absolute(public_path(claim))
