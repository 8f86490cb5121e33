"""w3c: the claims as a W3C Web Annotation ``AnnotationCollection``, in keyset pages.

Each claim is an ``Annotation`` whose target is the article's public plain text
(``/texts/<slug>/<content_hash>.txt``, the code points the selectors index), with the
article's original address as ``scope`` and a ``TimeState`` pinning the text version.
Bodies: the verdict (``assessing``), the rationale (``commenting``), the sign-off
(``moderating``), each citation (``linking``, with its stance as a second purpose, its
title as ``label`` and its excerpt as a ``TextQuoteSelector``), and, for an orphaned claim
exported with ``orphaned=include``, a ``tagging`` body ``orphaned``.

Pages are keyset positions in claim id order: ``?after=<id>`` is the page of the
annotations after that claim, so a walk while claims are added or removed neither skips
nor repeats one. The collection embeds the first page and links the last.
"""

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet

from annotations import selectors
from annotations.exports import stored
from annotations.exports.base import Export, ExportFormat, NoSuchPage, Param, dump_bytes
from annotations.exports.fields import Col, One, Row, Urls, compile_record, iso
from annotations.exports.records import CLAIM_RECORD
from annotations.models import Claim, Stance

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
AFTER = Param(
    "after",
    int,
    "return the AnnotationPage of the annotations after this claim id (0: the first page).",
    minimum=0,
    maximum=2**63 - 1,
)
START = Param(
    "start",
    int,
    "with after: the page's startIndex, the number of annotations before it in the walk, as "
    "the desk's own page links carry it; a page named without it counts them.",
    minimum=0,
    maximum=2**63 - 1,
)
EXCLUDE, INCLUDE = "exclude", "include"
ORPHANED = Param(
    "orphaned",
    str,
    "exclude (default): leave out claims that lost their place in a changed text; include: "
    "export them too, tagged orphaned, on the text version they last matched.",
    choices=(EXCLUDE, INCLUDE),
)
MSG_NO_SUCH_PAGE = "There are no annotations after claim {after} in this collection."
ORPHANED_TAG = "orphaned"
SIGNED_OFF = "signed off"
# A citation's stance as the purposes of its linking body (the model's motivations).
STANCE_PURPOSES: dict[str, list[str] | str] = {
    Stance.SUPPORTS: "linking",
    Stance.REFUTES: ["linking", "questioning"],
    Stance.CONTEXT: ["linking", "describing"],
}
# The claim record plus what only the W3C annotation says: the text version's date and,
# for an orphaned claim, the version it last matched.
W3C_RECORD = compile_record(
    Claim,
    (
        *CLAIM_RECORD,
        Col("rationale_language", csv=False),
        Col("orphaned_text_hash", csv=False),
        Col("orphaned_text_at", csv=False),
        One(
            "text_version",
            (Col("text_changed_at", csv=False), Col("updated_at", csv=False)),
            relation="article",
        ),
    ),
)


def _text_body(purpose: str, value: str, language: str) -> dict[str, Any]:
    body = {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"}
    if language:  # unknown (a rationale written before languages were stored): left out
        body["language"] = language
    return body


def annotation(row: Row, urls: Urls) -> dict[str, Any]:
    """A claim as an Annotation on the article's public text (offsets in code points)."""
    bodies: list[dict[str, Any]] = [_text_body("assessing", row["verdict"], "en")]
    if row["rationale"]:
        bodies.append(_text_body("commenting", row["rationale"], rationale_language(row)))
    if row["signed_off_at"] is not None:
        sign_off = _text_body("moderating", SIGNED_OFF, "en")
        sign_off["creator"] = _person(row["signed_off_by__username"])
        sign_off["created"] = iso(row["signed_off_at"])
        bodies.append(sign_off)
    if row["is_orphaned"]:
        bodies.append(_text_body("tagging", ORPHANED_TAG, "en"))
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
        "modified": iso(modified(row)),
        "creator": _person(row["created_by__username"]),
        "body": bodies,
        "target": target(row, urls),
        **group,
    }


def rationale_language(row: Row) -> str:
    """The language the rationale was stored with (the analyst's, not the article's)."""
    return str(row["rationale_language"])


def modified(row: Row) -> Any:
    """The claim's last change, its evidence included (removals move ``updated_at``)."""
    return max([row["updated_at"], *(item["updated_at"] for item in row["evidence"])])


def _person(username: str) -> dict[str, Any]:
    return {"type": "Person", "nickname": username}


def target(row: Row, urls: Urls) -> dict[str, Any]:
    """The span in the text version its selectors index: the current one, or for an
    orphaned claim the last one it matched (when known; older orphans predate the record)."""
    # Articles loaded without the date (fixtures) fall back on their last write.
    content_hash = row["article__content_hash"]
    text_at = row["article__text_changed_at"] or row["article__updated_at"]
    if row["is_orphaned"] and row["orphaned_text_hash"]:
        content_hash, text_at = row["orphaned_text_hash"], row["orphaned_text_at"]
    quote_selector: dict[str, Any] = {"type": "TextQuoteSelector", "exact": row["quote"]}
    if row["prefix"]:
        quote_selector["prefix"] = row["prefix"]
    if row["suffix"]:
        quote_selector["suffix"] = row["suffix"]
    text_url = urls.text(row["article__slug"], content_hash)
    found: dict[str, Any] = {
        "type": "SpecificResource",
        "source": {
            "id": text_url,
            "type": "Text",
            "format": "text/plain",
            "language": row["article__language"],
        },
        "selector": [
            quote_selector,
            {"type": "TextPositionSelector", "start": row["start"], "end": row["end"]},
        ],
    }
    if text_at is not None:
        found["state"] = {"type": "TimeState", "sourceDate": iso(text_at), "cached": text_url}
    if row["article__source_url"]:
        found["scope"] = row["article__source_url"]
    return found


def citation(item: Row, urls: Urls) -> dict[str, Any]:
    """A citation as a linking body: its stance as a purpose, title, excerpt as a quote
    selector; with a pinned snapshot, its ``TimeState`` (the capture and the desk's copy)."""
    source: dict[str, Any] | str = item["url"]
    if item["title"]:
        source = {"id": item["url"], "label": item["title"]}
    body: dict[str, Any] = {
        "type": "SpecificResource",
        "purpose": STANCE_PURPOSES.get(item["stance"], "linking"),
        "source": source,
    }
    if item["excerpt"]:
        body["selector"] = {"type": "TextQuoteSelector", "exact": item["excerpt"]}
    snapshot_id = item["pinned_snapshot__id"]
    if snapshot_id is not None:
        body["state"] = {
            "type": "TimeState",
            "sourceDate": iso(item["pinned_snapshot__captured_at"]),
            "cached": urls.archive(snapshot_id),
        }
    return body


def _page_url(collection_url: str, after: int, start: int) -> str:
    """A page's IRI: the claim it follows and its ``startIndex``, so that serving it counts
    nothing (a count of the collection on every page made a walk quadratic)."""
    separator = "&" if "?" in collection_url else "?"
    return f"{collection_url}{separator}{AFTER.name}={after}&{START.name}={start}"


@dataclasses.dataclass
class _Written:
    """How far a page's items went: the last claim id written, and how many."""

    last: int | None = None
    count: int = 0


def _items(export: Export, after: int, page_size: int, written: _Written) -> Iterator[bytes]:
    """The page's annotations, counted in ``written``."""
    first = True
    for chunk in export.counted(
        stored.keyed_chunks(
            export.claims,
            keyset=export.keyset,
            chunk_size=settings.EXPORT_CHUNK_SIZE,
            urls=export.urls,
            kept=stored.W3C,
            after=[after],
            limit=page_size,
        )
    ):
        text = b",".join(item for _, item in chunk)
        yield text if first else b"," + text
        first = False
        written.last, written.count = chunk[-1][0], written.count + len(chunk)


def _open_object(head: dict[str, Any], key: str) -> bytes:
    """``head`` as JSON with its closing brace replaced by ``,"key":[`` (to stream a list)."""
    return dump_bytes(head)[:-1] + b"," + dump_bytes(key) + b":["


def exported_claims(export: Export) -> QuerySet[Claim]:
    if export.params.get(ORPHANED.name) == INCLUDE:
        return export.claims
    return export.claims.filter(is_orphaned=False)


def write(export: Export) -> Iterator[bytes]:
    """The collection, or the page ``after`` names (``NoSuchPage`` when it would be empty)."""
    # Pages are positions in id order, whatever ``ordering`` says: an id is a whole position.
    export = dataclasses.replace(
        export, claims=exported_claims(export), keyset=selectors.ID_ORDERING
    )
    page_size = settings.W3C_PAGE_SIZE
    query = urlencode(
        [(key, value) for key, value in export.query if key not in (AFTER.name, START.name)]
    )
    collection_url = export.address + (f"?{query}" if query else "")
    after = export.params.get(AFTER.name)
    if after is None:
        return _collection(export, collection_url, page_size)
    claims = export.claims.order_by()
    if not claims.filter(id__gt=after).exists():
        raise NoSuchPage(MSG_NO_SUCH_PAGE.format(after=after))
    return _page(export, collection_url, after, export.params.get(START.name), page_size)


def _collection(export: Export, collection_url: str, page_size: int) -> Iterator[bytes]:
    """The AnnotationCollection with its first page embedded and the last linked; with no
    annotations, no pages at all (a page must hold at least one)."""
    total = export.claims.order_by().count()
    head: dict[str, Any] = {
        "@context": W3C_CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": f"Claims of {settings.DESK_NAME}",
        "total": total,
    }
    if total == 0:
        yield dump_bytes(head) + b"\n"
        return
    last_start = (total - 1) // page_size * page_size
    last_after = 0
    if last_start:
        # The claim before the last page, counted from the end: at most a page of rows to
        # read (from the start, at 1,000,000 claims, 0.7 s before the first byte).
        before_last = selectors.keyset_values_at(
            export.claims, export.keyset, total - last_start, reverse=True
        )
        last_after = before_last[0] if before_last else 0
    head["last"] = _page_url(collection_url, last_after, last_start)
    page_head = {"id": _page_url(collection_url, 0, 0), "type": "AnnotationPage", "startIndex": 0}
    yield dump_bytes(head)[:-1] + b',"first":' + _open_object(page_head, "items")
    yield from _items_and_next(export, collection_url, 0, 0, page_size)
    yield b"}\n"


def _items_and_next(
    export: Export, collection_url: str, after: int, start: int, page_size: int
) -> Iterator[bytes]:
    """The items, closed, then ``next`` when annotations follow the last one (``}`` open)."""
    written = _Written()
    yield from _items(export, after, page_size, written)
    yield b"]"
    last = written.last
    if last is not None and export.claims.order_by().filter(id__gt=last).exists():
        yield b',"next":' + dump_bytes(_page_url(collection_url, last, start + written.count))
    yield b"}"


def _page(
    export: Export, collection_url: str, after: int, start: int | None, page_size: int
) -> Iterator[bytes]:
    """One AnnotationPage (``?after=<id>``), pointing back at its collection.

    Its ``startIndex`` is the ``start`` its link carries: the annotations before it in the
    walk that reached it, which is what a client walking during edits has seen. A page
    named without one counts the annotations before it. ``partOf`` names the collection
    without its ``total`` (the collection has it; the model asks for neither on a page),
    which would be a count of the whole collection on every page.
    """
    claims = export.claims.order_by()
    if start is None:
        start = claims.filter(id__lte=after).count()
    head: dict[str, Any] = {
        "@context": W3C_CONTEXT,
        "id": _page_url(collection_url, after, start),
        "type": "AnnotationPage",
        "partOf": {"id": collection_url, "type": "AnnotationCollection"},
        "startIndex": start,
    }
    if after > 0:
        earlier = list(
            claims.filter(id__lte=after)
            .order_by("-id")
            .values_list("id", flat=True)[page_size : page_size + 1]
        )
        head["prev"] = (
            _page_url(collection_url, earlier[0], max(0, start - page_size))
            if earlier
            else _page_url(collection_url, 0, 0)
        )
    yield _open_object(head, "items")
    yield from _items_and_next(export, collection_url, after, start, page_size)
    yield b"\n"


W3C = ExportFormat(
    name="w3c",
    content_type=f'application/ld+json; profile="{W3C_CONTEXT}"',
    extension="jsonld",
    write=write,
    description="an AnnotationCollection or AnnotationPage",
    schema={"type": "object"},
    params=(AFTER, START, ORPHANED),
)
