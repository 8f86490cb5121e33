"""claimreview: schema.org ``ClaimReview`` objects, one per published claim or claim group.

Only signed-off claims with a final verdict that still have their place in the article
are exported; the other claim filters still apply. A claim group (the same claim in
several articles, one shared verdict) is one review, written at the first of its claims
the export reaches: every appearance's page in ``appearance``, the earliest published as
``firstAppearance``. A claim with a public page
(``services.claim_publish``) has that page as its ``url``; one without has no ``url`` (it
is not a public fact-check, and a login-protected address would mislead a consumer) and is
named by its API address in ``identifier``. The public page embeds the same object
(``public=True``), without any address of the login-protected desk.
"""

from collections.abc import Iterator
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from annotations.exports.base import Export, ExportFormat, dump_bytes, json_array
from annotations.exports.fields import Col, Row, Urls, compile_record, iso
from annotations.exports.records import CLAIM_RECORD
from annotations.models import Claim, Verdict

SCHEMA_CONTEXT = "https://schema.org"

# ClaimReview's reviewRating for each final verdict, on a 1 (worst) to 3 (best) scale.
# ``alternateName`` is the textual rating readers see; ``name`` the desk's own verdict.
# "disputed" means the desk's evidence contradicts the claim; "unsourced" that nothing
# backs it up either way; "verified" that the evidence supports it. Pending claims are
# never exported here.
CLAIMREVIEW_RATINGS: dict[str, dict[str, Any]] = {
    Verdict.VERIFIED: {"ratingValue": 3, "alternateName": "True"},
    Verdict.UNSOURCED: {"ratingValue": 2, "alternateName": "Unproven"},
    Verdict.DISPUTED: {"ratingValue": 1, "alternateName": "False"},
}
CLAIMREVIEW_BEST, CLAIMREVIEW_WORST = 3, 1
# Google's guidance for claimReviewed: "less than 75 characters to minimize wrapping when
# displayed on a mobile device". The full quote goes in itemReviewed.text.
CLAIM_REVIEWED_MAX = 75
ELLIPSIS = "…"

# The claim record plus what the public page needs; read only by this format.
CLAIMREVIEW_RECORD = compile_record(Claim, (*CLAIM_RECORD, Col("published_at"), Col("public_slug")))


def published(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """Only signed-off claims with a final verdict, still placed in their article, are exported."""
    return queryset.filter(
        signed_off_at__isnull=False, verdict__in=Verdict.final(), is_orphaned=False
    )


def short_claim(quote: str, limit: int = CLAIM_REVIEWED_MAX) -> str:
    """The quote, whitespace collapsed, cut at the last word boundary within ``limit``."""
    text = " ".join(quote.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else cut[: limit - len(ELLIPSIS)]
    return head.rstrip(" ,.;:-–—") + ELLIPSIS


def is_public(row: Row) -> bool:
    """The row's claim has a public page (``services.claim_is_public``, on export rows)."""
    published_at, signed_off_at = row.get("published_at"), row.get("signed_off_at")
    return bool(published_at and signed_off_at and published_at >= signed_off_at)


def public_page_url(row: Row) -> str:
    path = reverse("public-claim", kwargs={"pk": row["id"], "slug": row["public_slug"] or "claim"})
    return urljoin(settings.DESK_URL, path)


def publication(row: Row) -> dict[str, Any] | None:
    """The outlet that published the article: ``itemReviewed.author``."""
    name, url = row["article__source_name"], row["article__source_url"]
    if not name and not url:
        return None
    author: dict[str, Any] = {"@type": "Organization"}
    if name:
        author["name"] = name
    if url:
        parts = urlsplit(url)
        author["url"] = f"{parts.scheme}://{parts.netloc}/"
    return author


def appearance(row: Row, urls: Urls, *, public: bool) -> dict[str, Any]:
    """Where the claim was made: the article (its original address; the desk's API copy only
    in the desk's own export, never on the public page)."""
    work: dict[str, Any] = {
        "@type": "CreativeWork",
        "headline": row["article__title"],
        "inLanguage": row["article__language"],
    }
    url = row["article__source_url"] or (None if public else urls.article(row["article__id"]))
    if url:
        work["url"] = url
    if row["article__published_on"]:
        work["datePublished"] = iso(row["article__published_on"])
    if author := publication(row):
        work["author"] = author
    return work


# The article columns an appearance is written from.
APPEARANCE_PATHS = (
    "article__id",
    "article__source_url",
    "article__title",
    "article__language",
    "article__source_name",
    "article__published_on",
)


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


def item_reviewed(
    row: Row, urls: Urls, *, public: bool, appearances: list[Row] | None = None
) -> dict[str, Any]:
    """The claim: its full text, its language and where it appeared, earliest first.

    ``appearances`` are the claim's group (itself among them, earliest published first);
    the claim's author and date are those of its first appearance.
    """
    rows = appearances or [row]
    works = [appearance(each, urls, public=public) for each in rows]
    first, first_row = works[0], rows[0]
    item: dict[str, Any] = {
        "@type": "Claim",
        "text": row["quote"],
        "inLanguage": row["article__language"],
        "appearance": works if len(works) > 1 else first,
        "firstAppearance": first,
    }
    if author := publication(first_row):
        item["author"] = author
    if first_row["article__published_on"]:
        item["datePublished"] = iso(first_row["article__published_on"])
    return item


def review_rating(verdict: str) -> dict[str, Any]:
    rating = CLAIMREVIEW_RATINGS[verdict]
    return {
        "@type": "Rating",
        "ratingValue": rating["ratingValue"],
        "bestRating": CLAIMREVIEW_BEST,
        "worstRating": CLAIMREVIEW_WORST,
        "alternateName": rating["alternateName"],
        "name": Verdict(verdict).label,
    }


def citation(evidence: Row, urls: Urls, *, public: bool) -> dict[str, Any]:
    """A cited source with its archived copies: the Wayback memento (public), and the desk's
    pinned copy in the desk's own export (its viewer needs a login)."""
    work: dict[str, Any] = {"@type": "CreativeWork", "url": evidence["url"]}
    if evidence["title"]:
        work["name"] = evidence["title"]
    archived: list[dict[str, Any]] = []
    if evidence.get("source_link__wayback_url"):
        copy: dict[str, Any] = {"@type": "WebPage", "url": evidence["source_link__wayback_url"]}
        if evidence.get("source_link__wayback_archived_at"):
            copy["dateCreated"] = iso(evidence["source_link__wayback_archived_at"])
        archived.append(copy)
    if not public and evidence.get("pinned_snapshot__id"):
        archived.append(
            {
                "@type": "WebPage",
                "url": urls.archive(evidence["pinned_snapshot__id"]),
                "dateCreated": iso(evidence["pinned_snapshot__captured_at"]),
            }
        )
    if archived:
        work["archivedAt"] = archived
    return work


def claim_review(
    row: Row, urls: Urls, *, public: bool = False, appearances: list[Row] | None = None
) -> dict[str, Any]:
    """One ClaimReview. ``public``: for the public page (no address of the desk's API);
    ``appearances``: the claim's group, when it has one."""
    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "claimReviewed": short_claim(row["quote"]),
        "itemReviewed": item_reviewed(row, urls, public=public, appearances=appearances),
        "author": {"@type": "Organization", "name": settings.DESK_NAME, "url": settings.DESK_URL},
        "reviewRating": review_rating(row["verdict"]),
    }
    if is_public(row):
        review["url"] = public_page_url(row)
        review["datePublished"] = row["published_at"].astimezone(UTC).date().isoformat()
    else:
        review["datePublished"] = row["signed_off_at"].astimezone(UTC).date().isoformat()
    if not public:
        review["identifier"] = urls.claim(row["id"])
    if row["rationale"]:
        # No inLanguage: the rationale is in the analyst's language, which the desk does not
        # record; the article's language would mislabel it.
        review["reviewBody"] = row["rationale"]
    citations = [citation(e, urls, public=public) for e in row["evidence"]]
    if citations:
        review["citation"] = citations
    return review


def write(export: Export) -> Iterator[bytes]:
    """A JSON array of ClaimReview objects, one per signed-off claim with a final verdict,
    or per claim group; a chunk with linked claims costs one more query."""
    urls = export.urls
    written: set[int] = set()

    def reviews(chunk: list[Row]) -> list[bytes]:
        groups = {row["group_id"] for row in chunk} - written - {None}
        appearances = group_appearances(groups) if groups else {}
        texts = []
        for row in chunk:
            group = row["group_id"]
            if group is not None:
                if group in written:
                    continue
                written.add(group)
            texts.append(dump_bytes(claim_review(row, urls, appearances=appearances.get(group))))
        return texts

    chunks = export.chunks(published(export.claims), record=CLAIMREVIEW_RECORD)
    return json_array(texts for texts in map(reviews, chunks) if texts)


CLAIMREVIEW = ExportFormat(
    name="claimreview",
    content_type=f'application/ld+json; profile="{SCHEMA_CONTEXT}"',
    extension="jsonld",
    write=write,
    description="an array of ClaimReview objects",
    schema={"type": "array", "items": {"type": "object"}},
)
