"""w3c: the claims as a W3C Web Annotation ``AnnotationCollection``, in pages.

The collection embeds its first page and links the last; ``?page=N`` returns page N.
Each claim is an ``Annotation`` on the article's canonical text (offsets in code points);
its citations are linking bodies, with the desk's archived copy as a ``TimeState``.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from annotations import selectors
from annotations.exports.base import Export, ExportFormat, NoSuchPage, Param, dump
from annotations.exports.fields import Row, Urls, iso

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
PAGE = Param("page", int, "return this AnnotationPage.", minimum=1, maximum=2**31)
MSG_NO_SUCH_PAGE = "There is no page {page}: the collection has {total} annotations."


def annotation(row: Row, urls: Urls) -> dict[str, Any]:
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
    bodies.extend(citation(item, urls) for item in row["evidence"])
    group: dict[str, Any] = {}
    if row["group_id"] is not None:
        # The same claim's other appearances share this claim group (and its verdict).
        group["claimGroup"] = row["group_id"]
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
            "source": urls.article(row["article__id"]),
            "selector": [
                quote_selector,
                {"type": "TextPositionSelector", "start": row["start"], "end": row["end"]},
            ],
        },
        **group,
    }


def citation(item: Row, urls: Urls) -> dict[str, Any]:
    """A citation as a linking body; with a pinned snapshot, its ``TimeState`` (Web Annotation
    model 4.3.1): when the page was captured and where the desk keeps that copy."""
    body: dict[str, Any] = {"type": "SpecificResource", "purpose": "linking", "source": item["url"]}
    snapshot_id = item["pinned_snapshot__id"]
    if snapshot_id is not None:
        body["state"] = {
            "type": "TimeState",
            "sourceDate": iso(item["pinned_snapshot__captured_at"]),
            "cached": urls.archive(snapshot_id),
        }
    return body


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def _page_url(collection_url: str, page: int) -> str:
    separator = "&" if "?" in collection_url else "?"
    return f"{collection_url}{separator}page={page}"


def _items(export: Export, page: int, page_size: int) -> Iterator[str]:
    after = None
    if page > 1:
        after = selectors.keyset_values_at(export.claims, export.keyset, (page - 1) * page_size - 1)
        if after is None:
            return
    urls = export.urls
    first = True
    for chunk in export.chunks(after=after, limit=page_size):
        text = ",".join(dump(annotation(claim, urls)) for claim in chunk)
        yield text if first else "," + text
        first = False


def _page_head(
    collection_url: str, page: int, total: int, page_size: int, *, embedded: bool
) -> dict[str, Any]:
    last = page_count(total, page_size)
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
    return dump(head)[:-1] + "," + dump(key) + ":["


def write(export: Export) -> Iterator[str]:
    """The collection, or the page ``page`` names (``NoSuchPage`` past the last)."""
    page_size = settings.W3C_PAGE_SIZE
    total = export.claims.order_by().count()
    query = urlencode([(key, value) for key, value in export.query if key != PAGE.name])
    collection_url = export.address + (f"?{query}" if query else "")
    page = export.params.get(PAGE.name)
    if page is None:
        return _collection(export, collection_url, total, page_size)
    if page > page_count(total, page_size):
        raise NoSuchPage(MSG_NO_SUCH_PAGE.format(page=page, total=total))
    return _page(export, collection_url, total, page, page_size)


def _collection(export: Export, collection_url: str, total: int, page_size: int) -> Iterator[str]:
    """The AnnotationCollection with its first page embedded and the others linked."""
    head: dict[str, Any] = {
        "@context": W3C_CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": f"Claims of {settings.DESK_NAME}",
        "total": total,
    }
    if total == 0:
        yield dump(head) + "\n"
        return
    head["last"] = _page_url(collection_url, page_count(total, page_size))
    page_head = _page_head(collection_url, 1, total, page_size, embedded=True)
    yield dump(head)[:-1] + ',"first":' + _open_object(page_head, "items")
    yield from _items(export, 1, page_size)
    yield "]}}\n"


def _page(
    export: Export, collection_url: str, total: int, page: int, page_size: int
) -> Iterator[str]:
    """One AnnotationPage (``?page=N``), pointing back at its collection."""
    head = _page_head(collection_url, page, total, page_size, embedded=False)
    yield _open_object(head, "items")
    yield from _items(export, page, page_size)
    yield "]}\n"


W3C = ExportFormat(
    name="w3c",
    content_type=f'application/ld+json; profile="{W3C_CONTEXT}"',
    extension="jsonld",
    write=write,
    description="an AnnotationCollection or AnnotationPage",
    schema={"type": "object"},
    params=(PAGE,),
)
