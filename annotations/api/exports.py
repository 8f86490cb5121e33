"""Streamed exports of claims: json, jsonl, csv, W3C Web Annotation, schema.org ClaimReview.

Rows are read in keyset chunks (``selectors.export_chunks``: one query for the claims with
their article and users, one for their evidence and source links, per chunk) and written
out chunk by chunk, so the first byte leaves at once and memory does not grow with the
number of claims. Dicts are built by hand rather than with DRF serializers: at 100,000
claims the serializer machinery would cost more than the database.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from annotations import selectors
from annotations.api.serializers import SourceLinkSerializer
from annotations.models import Verdict

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
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

CSV_COLUMNS = [
    "id",
    "url",
    "article_id",
    "article_slug",
    "article_title",
    "article_language",
    "article_url",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "verdict",
    "rationale",
    "version",
    "is_orphaned",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "signed_off_by",
    "signed_off_at",
    "evidence_count",
    "evidence_urls",
    "evidence_stances",
    "link_outcomes",
]
# Cells starting with these are formulas to a spreadsheet; a leading apostrophe keeps them text.
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(value: datetime | date | None) -> str | None:
    """Timestamps as the API shows them: ISO 8601, UTC with a ``Z``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


class Urls:
    """Absolute API addresses, built by string concatenation (no reverse() per claim)."""

    def __init__(self, api_root: str):
        self.root = api_root if api_root.endswith("/") else api_root + "/"

    def claim(self, pk: int) -> str:
        return f"{self.root}claims/{pk}/"

    def article(self, pk: int) -> str:
        return f"{self.root}articles/{pk}/"


def user_ref(user_id: int | None, username: str | None) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "username": username}


LINK_FIELDS = list(SourceLinkSerializer.Meta.fields)


def link_state(item: dict[str, Any]) -> dict[str, Any]:
    """The fields the API shows for a link (``SourceLinkSerializer.Meta.fields``)."""
    state = {}
    for field in LINK_FIELDS:
        value = item[f"source_link__{field}"]
        state[field] = iso(value) if isinstance(value, date | datetime) else value
    return state


def evidence_record(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "url": item["url"],
        "title": item["title"],
        "excerpt": item["excerpt"],
        "note": item["note"],
        "stance": item["stance"],
        "added_by": user_ref(item["added_by_id"], item["added_by__username"]),
        "created_at": iso(item["created_at"]),
        "updated_at": iso(item["updated_at"]),
        "link": link_state(item),
    }


def claim_record(row: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """One claim for json/jsonl: its article reference, span, verdict, people, evidence."""
    return {
        "id": row["id"],
        "url": urls.claim(row["id"]),
        "article": {
            "id": row["article_id"],
            "slug": row["article__slug"],
            "title": row["article__title"],
            "language": row["article__language"],
            "url": urls.article(row["article_id"]),
            "source_name": row["article__source_name"],
            "source_url": row["article__source_url"],
            "published_on": iso(row["article__published_on"]),
            "content_hash": row["article__content_hash"],
        },
        "start": row["start"],
        "end": row["end"],
        "quote": row["quote"],
        "prefix": row["prefix"],
        "suffix": row["suffix"],
        "verdict": row["verdict"],
        "rationale": row["rationale"],
        "version": row["version"],
        "is_orphaned": row["is_orphaned"],
        "created_by": user_ref(row["created_by_id"], row["created_by__username"]),
        "updated_by": user_ref(row["updated_by_id"], row["updated_by__username"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "signed_off": row["signed_off_at"] is not None,
        "signed_off_by": user_ref(row["signed_off_by_id"], row["signed_off_by__username"]),
        "signed_off_at": iso(row["signed_off_at"]),
        "evidence": [evidence_record(item) for item in row["evidence"]],
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _chunks(
    queryset: QuerySet, keyset: selectors.Keyset, **kwargs: Any
) -> Iterator[list[dict[str, Any]]]:
    return selectors.export_chunks(
        queryset,
        keyset=keyset,
        chunk_size=settings.EXPORT_CHUNK_SIZE,
        link_fields=LINK_FIELDS,
        **kwargs,
    )


# --- json and jsonl


def record_chunks(queryset: QuerySet, keyset: selectors.Keyset, urls: Urls) -> Iterator[list[str]]:
    """Claim records as JSON texts, per chunk; PostgreSQL builds them itself when it can."""
    if connection.vendor == "postgresql":
        yield from selectors.pg_claim_record_chunks(
            queryset,
            keyset=keyset,
            chunk_size=settings.EXPORT_CHUNK_SIZE,
            link_fields=LINK_FIELDS,
            api_root=urls.root,
        )
        return
    for chunk in _chunks(queryset, keyset):
        yield [_dump(claim_record(row, urls)) for row in chunk]


def stream_json(queryset: QuerySet, keyset: selectors.Keyset, urls: Urls) -> Iterator[str]:
    """A JSON array of claim records."""
    yield "["
    first = True
    for chunk in record_chunks(queryset, keyset, urls):
        yield ("\n" if first else ",\n") + ",\n".join(chunk)
        first = False
    yield "\n]\n"


def stream_jsonl(queryset: QuerySet, keyset: selectors.Keyset, urls: Urls) -> Iterator[str]:
    """One claim record per line (JSON Lines)."""
    for chunk in record_chunks(queryset, keyset, urls):
        yield "\n".join(chunk) + "\n"


# --- csv


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


def csv_row(row: dict[str, Any], urls: Urls) -> list[Any]:
    evidence = row["evidence"]
    cells = [
        row["id"],
        urls.claim(row["id"]),
        row["article_id"],
        row["article__slug"],
        row["article__title"],
        row["article__language"],
        urls.article(row["article_id"]),
        row["start"],
        row["end"],
        row["quote"],
        row["prefix"],
        row["suffix"],
        row["verdict"],
        row["rationale"],
        row["version"],
        "true" if row["is_orphaned"] else "false",
        row["created_by__username"],
        row["updated_by__username"],
        iso(row["created_at"]),
        iso(row["updated_at"]),
        row["signed_off_by__username"] or "",
        iso(row["signed_off_at"]) or "",
        len(evidence),
        # URLs cannot contain spaces (the service refuses them), so a space separates them.
        " ".join(e["url"] for e in evidence),
        " ".join(e["stance"] for e in evidence),
        " ".join(e["source_link__outcome"] for e in evidence),
    ]
    return [_cell(value) for value in cells]


def stream_csv(
    queryset: QuerySet, keyset: selectors.Keyset, urls: Urls, *, bom: bool = False
) -> Iterator[str]:
    """One row per claim, UTF-8; ``bom`` prepends U+FEFF so Excel reads Cyrillic right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if bom else "") + buffer.getvalue()
    for chunk in _chunks(queryset, keyset):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(claim, urls) for claim in chunk)
        yield buffer.getvalue()


# --- W3C Web Annotation Data Model


def w3c_annotation(row: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """A claim as an Annotation on the article's canonical text (offsets in code points)."""
    quote_selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": row["quote"]}
    if row["prefix"]:
        quote_selector["prefix"] = row["prefix"]
    if row["suffix"]:
        quote_selector["suffix"] = row["suffix"]
    bodies: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": row["verdict"],
            "format": "text/plain",
            "language": "en",
        }
    ]
    if row["rationale"]:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": row["rationale"],
                "format": "text/plain",
                "language": row["article__language"],
            }
        )
    bodies.extend(
        {"type": "SpecificResource", "purpose": "linking", "source": item["url"]}
        for item in row["evidence"]
    )
    return {
        "id": urls.claim(row["id"]),
        "type": "Annotation",
        "motivation": "assessing",
        "created": iso(row["created_at"]),
        "modified": iso(row["updated_at"]),
        "creator": {"type": "Person", "nickname": row["created_by__username"]},
        "body": bodies,
        "target": {
            "type": "SpecificResource",
            "source": urls.article(row["article_id"]),
            "selector": [
                quote_selector,
                {"type": "TextPositionSelector", "start": row["start"], "end": row["end"]},
            ],
        },
    }


def _page_url(collection_url: str, page: int) -> str:
    separator = "&" if "?" in collection_url else "?"
    return f"{collection_url}{separator}page={page}"


def w3c_page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def _w3c_items(
    queryset: QuerySet, keyset: selectors.Keyset, urls: Urls, page: int, page_size: int
) -> Iterator[str]:
    after = None
    if page > 1:
        after = selectors.keyset_values_at(queryset, keyset, (page - 1) * page_size - 1)
        if after is None:
            return
    first = True
    for chunk in _chunks(queryset, keyset, after=after, limit=page_size):
        text = ",".join(_dump(w3c_annotation(claim, urls)) for claim in chunk)
        yield text if first else "," + text
        first = False


def _w3c_page_head(
    collection_url: str, page: int, total: int, page_size: int, *, embedded: bool
) -> dict[str, Any]:
    last = w3c_page_count(total, page_size)
    head: dict[str, Any] = {} if embedded else {"@context": W3C_CONTEXT}
    head |= {"id": _page_url(collection_url, page), "type": "AnnotationPage"}
    if not embedded:
        head["partOf"] = {"id": collection_url, "type": "AnnotationCollection", "total": total}
    head["startIndex"] = (page - 1) * page_size
    if page < last:
        head["next"] = _page_url(collection_url, page + 1)
    if page > 1:
        head["prev"] = _page_url(collection_url, page - 1)
    return head


def _open_object(head: dict[str, Any], key: str) -> str:
    """``head`` as JSON with its closing brace replaced by ``,"key":[`` (to stream a list)."""
    return _dump(head)[:-1] + "," + _dump(key) + ":["


def stream_w3c_collection(
    queryset: QuerySet,
    keyset: selectors.Keyset,
    urls: Urls,
    *,
    collection_url: str,
    label: str,
    total: int,
    page_size: int,
) -> Iterator[str]:
    """The AnnotationCollection with its first page embedded and the others linked."""
    head: dict[str, Any] = {
        "@context": W3C_CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": label,
        "total": total,
    }
    if total == 0:
        yield _dump(head) + "\n"
        return
    head["last"] = _page_url(collection_url, w3c_page_count(total, page_size))
    page_head = _w3c_page_head(collection_url, 1, total, page_size, embedded=True)
    yield _dump(head)[:-1] + ',"first":' + _open_object(page_head, "items")
    yield from _w3c_items(queryset, keyset, urls, 1, page_size)
    yield "]}}\n"


def stream_w3c_page(
    queryset: QuerySet,
    keyset: selectors.Keyset,
    urls: Urls,
    *,
    collection_url: str,
    total: int,
    page: int,
    page_size: int,
) -> Iterator[str]:
    """One AnnotationPage (``?page=N``), pointing back at its collection."""
    head = _w3c_page_head(collection_url, page, total, page_size, embedded=False)
    yield _open_object(head, "items")
    yield from _w3c_items(queryset, keyset, urls, page, page_size)
    yield "]}\n"


# --- schema.org ClaimReview


def claimreview_queryset(queryset: QuerySet) -> QuerySet:
    """Only signed-off claims with a final verdict, still placed in their article, are published."""
    return queryset.filter(
        signed_off_at__isnull=False, verdict__in=Verdict.final(), is_orphaned=False
    )


def claim_review(row: dict[str, Any], urls: Urls) -> dict[str, Any]:
    rating = CLAIMREVIEW_RATINGS[row["verdict"]]
    appearance: dict[str, Any] = {
        "@type": "CreativeWork",
        "url": row["article__source_url"] or urls.article(row["article_id"]),
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


def stream_claimreview(queryset: QuerySet, keyset: selectors.Keyset, urls: Urls) -> Iterator[str]:
    """A JSON array of ClaimReview objects, one per signed-off claim with a final verdict."""
    yield "["
    first = True
    for chunk in _chunks(claimreview_queryset(queryset), keyset):
        text = ",\n".join(_dump(claim_review(claim, urls)) for claim in chunk)
        yield ("\n" if first else ",\n") + text
        first = False
    yield "\n]\n"
