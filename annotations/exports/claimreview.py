"""claimreview: schema.org ``ClaimReview`` objects, one per published claim or claim group.

Only signed-off claims with a final verdict that still have their place in the article
are published; the other claim filters still apply. A claim group (the same claim in
several articles, one shared verdict) is one review, written at the first of its claims
the export reaches: every appearance's page in ``appearance``, the earliest published as
``firstAppearance``.
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


# The article columns an appearance is written from.
APPEARANCE_PATHS = (
    "article__id",
    "article__source_url",
    "article__title",
    "article__language",
    "article__source_name",
    "article__published_on",
)


def appearance_of(row: Row, urls: Urls) -> dict[str, Any]:
    """The article a claim appears in, as a CreativeWork published by its outlet."""
    work: dict[str, Any] = {
        "@type": "CreativeWork",
        "url": row["article__source_url"] or urls.article(row["article__id"]),
        "headline": row["article__title"],
        "inLanguage": row["article__language"],
    }
    if row["article__source_name"]:
        work["author"] = {"@type": "Organization", "name": row["article__source_name"]}
    if row["article__published_on"]:
        work["datePublished"] = iso(row["article__published_on"])
    return work


def _earliest_first(row: Row) -> tuple[Any, ...]:
    published_on = row["article__published_on"]
    return (published_on is None, published_on or "", row["id"])


def group_appearances(group_ids: set[int]) -> dict[int, list[Row]]:
    """Every placed claim of each group with its article, earliest published first: one query."""
    rows = (
        Claim.objects.filter(group_id__in=group_ids, is_orphaned=False)
        .values("id", "group_id", *APPEARANCE_PATHS)
        .order_by("id")
    )
    by_group: dict[int, list[Row]] = {pk: [] for pk in group_ids}
    for row in rows:
        by_group[row["group_id"]].append(row)
    for members in by_group.values():
        members.sort(key=_earliest_first)
    return by_group


def claim_review(row: Row, urls: Urls, appearances: list[Row] | None = None) -> dict[str, Any]:
    """The review of a claim; ``appearances`` are its group's claims (itself among them)."""
    rating = CLAIMREVIEW_RATINGS[row["verdict"]]
    works = [appearance_of(each, urls) for each in (appearances or [row])]
    first = works[0]
    item: dict[str, Any] = {
        "@type": "Claim",
        "appearance": works if len(works) > 1 else first,
        "firstAppearance": first,
    }
    if "datePublished" in first:
        item["datePublished"] = first["datePublished"]
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
    """A JSON array of ClaimReview objects, one per signed-off claim with a final verdict,
    or per claim group; a chunk with linked claims costs one more query."""
    urls = export.urls
    written: set[int] = set()

    def reviews(chunk: list[Row]) -> list[str]:
        groups = {row["group_id"] for row in chunk} - written - {None}
        appearances = group_appearances(groups) if groups else {}
        texts = []
        for row in chunk:
            group = row["group_id"]
            if group is not None:
                if group in written:
                    continue
                written.add(group)
            texts.append(dump(claim_review(row, urls, appearances.get(group))))
        return texts

    chunks = export.chunks(published(export.claims))
    return json_array(texts for texts in map(reviews, chunks) if texts)


CLAIMREVIEW = ExportFormat(
    name="claimreview",
    content_type=f'application/ld+json; profile="{SCHEMA_CONTEXT}"',
    extension="jsonld",
    write=write,
    description="an array of ClaimReview objects",
    schema={"type": "array", "items": {"type": "object"}},
)
