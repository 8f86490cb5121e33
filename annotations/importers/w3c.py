"""W3C Web Annotation: an ``AnnotationCollection`` (its embedded first page), an
``AnnotationPage``, a single ``Annotation``, or a JSON array of annotations.

Annotations are streamed out of ``first.items`` / ``items`` one at a time (ijson events and
its ``ObjectBuilder``). Keys this reader does not know are ignored, so additions to the
desk's W3C export (states, scopes, more bodies) do not break the import.
"""

from collections.abc import Iterator
from typing import IO, Any

import ijson

from annotations.importers import (
    ArticleRef,
    FileNotice,
    ImportedClaim,
    ImportedEvidence,
    ImportFileError,
    Item,
    Record,
    RecordShapeError,
    Unreadable,
    claim_identity,
    need,
    timestamp,
    username,
)

MSG_NOT_JSON = "The file is not JSON ({error})."
MSG_NO_ANNOTATIONS = (
    "The file is not a W3C AnnotationCollection, AnnotationPage or Annotation "
    "(no annotations found)."
)
MSG_MORE_PAGES = (
    "This file is one page of a W3C collection{total}: the annotations after it are in the "
    "page at {next}. Import that page too (each page is a file of its own; importing a page "
    "again updates its claims instead of doubling them)."
)
ITEM_PREFIXES = {"first.items.item", "items.item", "item"}
# Where a page links the one after it: the collection's embedded first page, or a page.
NEXT_PREFIXES = {"first.next", "next", "first.next.id", "next.id"}
# Top-level keys whose subtrees are the pages: not kept when building the top-level object.
PAGE_KEYS = {"first", "items"}


def _selector(selectors: Any, kind: str) -> dict[str, Any] | None:
    items = selectors if isinstance(selectors, list) else [selectors]
    for item in items:
        if isinstance(item, dict) and item.get("type") == kind:
            return item
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# A citation's stance from the second purpose of its linking body (the export's mapping).
STANCE_OF_PURPOSE = {"questioning": "refutes", "describing": "context"}


def _citation(body: dict[str, Any], purposes: list[Any]) -> ImportedEvidence:
    """A linking body as evidence: the source, its title (``title``, or the source's
    ``label``), the excerpt (a TextQuoteSelector on the source) and the stance."""
    source = body.get("source") or body.get("id")
    title = body.get("title") or (source.get("label") if isinstance(source, dict) else None)
    excerpt = _selector(body.get("selector"), "TextQuoteSelector") or {}
    stance = next((STANCE_OF_PURPOSE[p] for p in purposes if p in STANCE_OF_PURPOSE), "supports")
    return ImportedEvidence(
        url=_source(source),
        title=_text(title),
        excerpt=_text(excerpt.get("exact")),
        stance=stance,
    )


def _source(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id") or value.get("@id")
    return value if isinstance(value, str) else ""


def claim_from_annotation(data: Any, position: str) -> ImportedClaim:
    """An Annotation placed by its TextQuoteSelector, checked by its TextPositionSelector."""
    target = need(data, "target", (dict, list))
    if isinstance(target, list):
        target = next((t for t in target if isinstance(t, dict)), {})
    selectors = target.get("selector")
    quote = _selector(selectors, "TextQuoteSelector")
    if quote is None or not isinstance(quote.get("exact"), str):
        raise RecordShapeError("the target has no TextQuoteSelector with «exact»", "no_selector")
    where = _selector(selectors, "TextPositionSelector") or {}
    exact = quote["exact"]
    start = where.get("start")
    end = where.get("end")
    if not isinstance(start, int) or isinstance(start, bool):
        start = -1  # no position: the quote and its context place the claim
    if not isinstance(end, int) or isinstance(end, bool):
        end = start + len(exact) if start >= 0 else -1
    bodies = data.get("body") or []
    bodies = bodies if isinstance(bodies, list) else [bodies]
    verdict, rationale, evidence = None, "", []
    for body in bodies:
        if not isinstance(body, dict):
            continue
        purpose = body.get("purpose")
        purposes = purpose if isinstance(purpose, list) else [purpose]
        if purpose == "assessing" and isinstance(body.get("value"), str):
            verdict = body["value"]
        elif purpose == "commenting" and isinstance(body.get("value"), str):
            rationale = body["value"]
        elif "linking" in purposes and _source(body.get("source") or body.get("id")):
            evidence.append(_citation(body, purposes))
    source, external_id = claim_identity(data.get("id"), "w3c", data.get("id") or position)
    scope = target.get("scope")
    return ImportedClaim(
        position=position,
        external_source=source,
        external_id=external_id,
        article=ArticleRef(source_url=_source(scope), iri=_source(target.get("source"))),
        start=start,
        end=end,
        quote=exact,
        prefix=_text(quote.get("prefix")),
        suffix=_text(quote.get("suffix")),
        verdict=verdict,
        rationale=rationale,
        created_by=username(data.get("creator"), "creator"),
        updated_by=username(data.get("creator"), "creator"),
        created_at=timestamp(data.get("created"), "created"),
        updated_at=timestamp(data.get("modified"), "modified"),
        evidence=evidence,
    )


def _record(data: Any, position: str) -> Record:
    try:
        return claim_from_annotation(data, position)
    except RecordShapeError as exc:
        return Unreadable(position, exc.message, exc.code)


def read_w3c(stream: IO[bytes]) -> Iterator[Item]:
    """Each annotation of the file, in file order; then, when the file is a page with a
    ``next``, a notice that the collection goes on there (a file is imported on its own, and
    the desk does not fetch addresses a file names)."""
    count = 0
    next_page = ""
    top: Any = None
    builder: Any = None
    top_builder = ijson.ObjectBuilder()
    skipping, depth = False, 0
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix in ITEM_PREFIXES and event == "end_map" and not builder.containers:
                    count += 1
                    yield _record(builder.value, f"annotation {count}")
                    builder = None
                continue
            if prefix in NEXT_PREFIXES and event == "string":
                next_page = value  # "next": "<url>", or "next": {"id": "<url>", …}
            if prefix in ITEM_PREFIXES and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                continue
            # The top-level object is kept without its pages (a single Annotation whole).
            if skipping:
                depth += event in ("start_map", "start_array")
                depth -= event in ("end_map", "end_array")
                skipping = depth > 0
                continue
            if event == "map_key" and prefix == "" and value in PAGE_KEYS:
                skipping, depth = True, 0
                continue
            top_builder.event(event, value)
    except ijson.JSONError as exc:
        raise ImportFileError(MSG_NOT_JSON.format(error=exc), code="not_json") from None
    top = getattr(top_builder, "value", None)
    if next_page:
        total = top.get("total") if isinstance(top, dict) else None
        if isinstance(top, dict) and isinstance(top.get("partOf"), dict):
            total = top["partOf"].get("total")
        yield FileNotice(
            MSG_MORE_PAGES.format(
                total=f" of {total} annotations" if isinstance(total, int) else "",
                next=next_page,
            ),
            code="more_pages",
        )
    if count == 0:
        if isinstance(top, dict) and top.get("type") == "Annotation":
            yield _record(top, "annotation 1")
            return
        if isinstance(top, dict) and top.get("type") in ("AnnotationCollection", "AnnotationPage"):
            return  # an empty collection: nothing to import
        raise ImportFileError(MSG_NO_ANNOTATIONS, code="wrong_shape")
