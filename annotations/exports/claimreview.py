"""claimreview: schema.org ``ClaimReview`` objects, one per published claim.

Only signed-off claims with a final verdict that still have their place in the article
are published; the other claim filters still apply.
"""

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from annotations.exports.base import Export, ExportFormat, dump, json_array
from annotations.exports.fields import Row, Urls, iso
from annotations.models import Claim, Verdict

SCHEMA_CONTEXT = "https://schema.org"

# ClaimReview's reviewRating for each final verdict, on a 1 (worst) to 3 (best) scale.
# ``alternateName`` is the textual rating readers see. "disputed" means the desk's
# evidence contradicts the claim; "unsourced" that nothing backs it up either way;
# "verified" that the evidence supports it. Pending claims are never exported here.
CLAIMREVIEW_RATINGS: dict[str, dict[str, Any]] = {
    Verdict.VERIFIED: {"ratingValue": 3, "alternateName": "True"},
    Verdict.UNSOURCED: {"ratingValue": 2, "alternateName": "Unproven"},
    Verdict.DISPUTED: {"ratingValue": 1, "alternateName": "False"},
}
CLAIMREVIEW_BEST, CLAIMREVIEW_WORST = 3, 1


def published(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """Only signed-off claims with a final verdict, still placed in their article, are published."""
    return queryset.filter(
        signed_off_at__isnull=False, verdict__in=Verdict.final(), is_orphaned=False
    )


def claim_review(row: Row, urls: Urls) -> dict[str, Any]:
    rating = CLAIMREVIEW_RATINGS[row["verdict"]]
    appearance: dict[str, Any] = {
        "@type": "CreativeWork",
        "url": row["article__source_url"] or urls.article(row["article__id"]),
        "headline": row["article__title"],
        "inLanguage": row["article__language"],
    }
    item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
    if row["article__published_on"]:
        appearance["datePublished"] = iso(row["article__published_on"])
        item["datePublished"] = iso(row["article__published_on"])
    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": urls.claim(row["id"]),
        "claimReviewed": row["quote"],
        "itemReviewed": item,
        "author": {"@type": "Organization", "name": settings.DESK_NAME, "url": settings.DESK_URL},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating["ratingValue"],
            "bestRating": CLAIMREVIEW_BEST,
            "worstRating": CLAIMREVIEW_WORST,
            "alternateName": rating["alternateName"],
        },
        "datePublished": row["signed_off_at"].astimezone(UTC).date().isoformat(),
        "inLanguage": row["article__language"],
    }
    if row["rationale"]:
        review["reviewBody"] = row["rationale"]
    citations = [
        {"@type": "CreativeWork", "url": e["url"], **({"name": e["title"]} if e["title"] else {})}
        for e in row["evidence"]
    ]
    if citations:
        review["citation"] = citations
    return review


def write(export: Export) -> Iterator[str]:
    """A JSON array of ClaimReview objects, one per signed-off claim with a final verdict."""
    urls = export.urls
    chunks = export.chunks(published(export.claims))
    return json_array((dump(claim_review(claim, urls)) for claim in chunk) for chunk in chunks)


CLAIMREVIEW = ExportFormat(
    name="claimreview",
    content_type=f'application/ld+json; profile="{SCHEMA_CONTEXT}"',
    extension="jsonld",
    write=write,
    description="an array of ClaimReview objects",
    schema={"type": "array", "items": {"type": "object"}},
)
