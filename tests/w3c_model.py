"""The MUSTs of the W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/)
for the features the desk's export uses, as a checker: ``problems(document)`` lists every
rule a collection, page or annotation breaks (empty: it conforms).

Section numbers are the Recommendation's (23 February 2017). Rules the export does not use
(Choice, CSS/XPath/Range/Fragment selectors, rendering styles...) are not encoded; a type
the checker does not know is reported, so a new construct cannot slip past unchecked.
"""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# 3.4 Motivation and Purpose: the model's motivations (purposes take the same values).
MOTIVATIONS = frozenset(
    {
        "assessing",
        "bookmarking",
        "classifying",
        "commenting",
        "describing",
        "editing",
        "highlighting",
        "identifying",
        "linking",
        "moderating",
        "questioning",
        "replying",
        "tagging",
    }
)
# 3.2.1 Classes of external resources; 3.3.2 agents.
RESOURCE_CLASSES = frozenset({"Dataset", "Image", "Video", "Sound", "Text"})
AGENT_CLASSES = frozenset({"Person", "Organization", "Software"})
# 3.3.1 created/modified/generated: xsd:dateTime in UTC with a "Z".
UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# BCP 47, loosely: language subtag, then subtags of 1-8 alphanumerics.
BCP47 = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")


def is_iri(value: Any) -> bool:
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "mailto"))


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("type", [])
    return value if isinstance(value, list) else [value]


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def problems(document: Any) -> list[str]:
    """Every MUST the document (a collection, page or single annotation) breaks."""
    if not isinstance(document, dict):
        return ["the document is not a JSON object"]
    found = list(_context(document, "document"))
    types = _types(document)
    if "AnnotationCollection" in types:
        found += _collection(document)
    elif "AnnotationPage" in types:
        found += _page(document, "page", embedded=False)
    elif "Annotation" in types:
        found += _annotation(document, "annotation")
    else:
        found.append(f"document: unknown type {types}")
    return found


def _context(node: dict[str, Any], where: str) -> Iterator[str]:
    # 3.1: 1 or more @context values, the model's among them; a single value as a string.
    context = node.get("@context")
    if context is None:
        yield f"{where}: @context is missing"
    elif isinstance(context, list):
        if CONTEXT not in context:
            yield f"{where}: @context does not include {CONTEXT}"
        if len(context) == 1:
            yield f"{where}: a single @context value must be given as a string"
    elif context != CONTEXT:
        yield f"{where}: @context is {context!r}, not {CONTEXT}"


def _id(node: dict[str, Any], where: str, *, required: bool = True) -> Iterator[str]:
    if "id" not in node:
        if required:
            yield f"{where}: id is missing"
        return
    if not is_iri(node["id"]):
        yield f"{where}: id {node['id']!r} is not an IRI"


def _count(node: dict[str, Any], key: str, where: str) -> Iterator[str]:
    """A property the model allows at most once must be one value, not a list."""
    if isinstance(node.get(key), list):
        yield f"{where}: {key} must not have more than one value"


def _datetime(node: dict[str, Any], key: str, where: str) -> Iterator[str]:
    # 3.3.1: xsd:dateTime in the UTC timezone, expressed as "Z"; at most one.
    if key in node:
        yield from _count(node, key, where)
        if not isinstance(node[key], str) or not UTC_DATETIME.match(node[key]):
            yield f"{where}: {key} {node[key]!r} is not an xsd:dateTime in UTC with Z"


def _collection(node: dict[str, Any]) -> Iterator[str]:
    # 5.1 Annotation Collection.
    yield from _id(node, "collection")
    total = node.get("total")
    if "total" in node and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
        yield f"collection: total {total!r} is not a non-negative integer"
    has_items = total != 0
    if total == 0 and ("first" in node or "last" in node):
        yield "collection: an empty collection has no pages (a page must hold annotations)"
    if has_items and "first" not in node:
        yield "collection: there must be exactly 1 first page when it holds annotations"
    for key in ("first", "last"):
        if key in node:
            yield from _count(node, key, "collection")
            value = node[key]
            if isinstance(value, dict):
                yield from _page(value, f"collection.{key}", embedded=True)
            elif not is_iri(value):
                yield f"collection: {key} {value!r} is neither a page nor its IRI"


def _page(node: dict[str, Any], where: str, *, embedded: bool) -> Iterator[str]:
    # 5.2 Annotation Page.
    yield from _id(node, where)
    if "AnnotationPage" not in _types(node):
        yield f"{where}: type must include AnnotationPage"
    items = node.get("items")
    if not isinstance(items, list) or not items:
        yield f"{where}: items must be present with 1 or more annotations"
        items = []
    for key in ("next", "prev", "partOf", "startIndex"):
        yield from _count(node, key, where)
    for key in ("next", "prev"):
        if key in node and not is_iri(node[key]):
            yield f"{where}: {key} {node[key]!r} is not an IRI"
    if "partOf" in node:
        part = node["partOf"]
        if isinstance(part, dict):
            yield from _id(part, f"{where}.partOf")
            if "total" in part and (not isinstance(part["total"], int) or part["total"] < 0):
                yield f"{where}.partOf: total is not a non-negative integer"
        elif not is_iri(part):
            yield f"{where}: partOf is neither the collection nor its IRI"
    start = node.get("startIndex")
    if "startIndex" in node and (
        not isinstance(start, int) or isinstance(start, bool) or start < 0
    ):
        yield f"{where}: startIndex {start!r} is not a non-negative integer"
    for i, item in enumerate(items):
        label = f"{where}.items[{i}]"
        if not isinstance(item, dict):
            if not is_iri(item):
                yield f"{label}: neither an annotation nor its IRI"
            continue
        if "@context" in item:  # an embedded annotation may repeat the context
            yield from _context(item, label)
        yield from _annotation(item, label)


def _annotation(node: dict[str, Any], where: str) -> Iterator[str]:
    # 3.1 Annotations.
    yield from _id(node, where)
    if "Annotation" not in _types(node):
        yield f"{where}: type must include Annotation"
    for key in ("created", "modified", "generated"):
        yield from _datetime(node, key, where)
    for motivation in _values(node.get("motivation", [])):
        if motivation not in MOTIVATIONS:
            yield f"{where}: motivation {motivation!r} is not one of the model's"
    if "creator" in node:
        for i, agent in enumerate(_values(node["creator"])):
            yield from _agent(agent, f"{where}.creator[{i}]")
    if "body" in node and "bodyValue" in node:
        yield f"{where}: body and bodyValue must not both be given"
    for i, body in enumerate(_values(node.get("body", []))):
        yield from _resource(body, f"{where}.body[{i}]", body=True)
    if "target" not in node:
        yield f"{where}: there must be 1 or more targets"
    for i, target in enumerate(_values(node.get("target", []))):
        yield from _resource(target, f"{where}.target[{i}]", body=False)


def _agent(agent: Any, where: str) -> Iterator[str]:
    # 3.3.2 Agents: an IRI or an object; its types the model's agent classes.
    if isinstance(agent, str):
        if not is_iri(agent):
            yield f"{where}: not an IRI"
        return
    if not isinstance(agent, dict):
        yield f"{where}: not an agent"
        return
    yield from _id(agent, where, required=False)
    for kind in _types(agent):
        if kind not in AGENT_CLASSES:
            yield f"{where}: agent type {kind!r} is not one of the model's"
    for key in ("name", "nickname"):
        yield from _count(agent, key, where)


def _resource(node: Any, where: str, *, body: bool) -> Iterator[str]:
    """A body or target: an IRI, an external resource, a TextualBody or a SpecificResource."""
    if isinstance(node, str):
        if not is_iri(node):
            yield f"{where}: not an IRI"
        return
    if not isinstance(node, dict):
        yield f"{where}: neither an IRI nor a resource"
        return
    types = _types(node)
    for key in ("created", "modified"):
        yield from _datetime(node, key, where)
    if "creator" in node:
        for i, agent in enumerate(_values(node["creator"])):
            yield from _agent(agent, f"{where}.creator[{i}]")
    for purpose in _values(node.get("purpose", [])):
        if purpose not in MOTIVATIONS:
            yield f"{where}: purpose {purpose!r} is not one of the model's motivations"
    yield from _format_and_language(node, where)
    if "TextualBody" in types:
        # 3.2.4: exactly 1 value; an embedded body (it may have no id); never a target here.
        if not body:
            yield f"{where}: the export's targets are never embedded text"
        if not isinstance(node.get("value"), str):
            yield f"{where}: a TextualBody must have exactly 1 value (a string)"
        yield from _id(node, where, required=False)
    elif "SpecificResource" in types:
        yield from _specific(node, where)
    elif (types and set(types) <= RESOURCE_CLASSES) or not types:
        # 3.2.1 an external web resource: its IRI is required.
        yield from _id(node, where)
    else:
        yield f"{where}: unknown resource type {types}"


def _format_and_language(node: dict[str, Any], where: str) -> Iterator[str]:
    for value in _values(node.get("format", [])):
        if not isinstance(value, str) or not MEDIA_TYPE.match(value):
            yield f"{where}: format {value!r} is not a media type"
    for value in _values(node.get("language", [])):
        if not isinstance(value, str) or not BCP47.match(value):
            yield f"{where}: language {value!r} is not a BCP 47 code"


def _specific(node: dict[str, Any], where: str) -> Iterator[str]:
    # 4 Specific Resources: exactly 1 source, an IRI or an external resource with one.
    if "source" not in node or isinstance(node["source"], list):
        yield f"{where}: a SpecificResource must have exactly 1 source"
    elif isinstance(node["source"], dict):
        yield from _resource(node["source"], f"{where}.source", body=False)
    elif not is_iri(node["source"]):
        yield f"{where}: source {node['source']!r} is not an IRI"
    if "id" in node:
        yield from _id(node, where)
    for key in ("scope",):
        for value in _values(node.get(key, [])):
            if not is_iri(value if isinstance(value, str) else value.get("id")):
                yield f"{where}: {key} {value!r} is not an IRI"
    for i, selector in enumerate(_values(node.get("selector", []))):
        yield from _selector(selector, f"{where}.selector[{i}]")
    for i, state in enumerate(_values(node.get("state", []))):
        yield from _state(state, f"{where}.state[{i}]")


def _selector(node: Any, where: str) -> Iterator[str]:
    if not isinstance(node, dict):
        yield f"{where}: not a selector"
        return
    types = _types(node)
    if "TextQuoteSelector" in types:
        # 4.2.4: exactly 1 exact; prefix and suffix at most once.
        if not isinstance(node.get("exact"), str) or not node["exact"]:
            yield f"{where}: a TextQuoteSelector must have exactly 1 exact"
        for key in ("prefix", "suffix"):
            if key in node and not isinstance(node[key], str):
                yield f"{where}: {key} must be one string"
    elif "TextPositionSelector" in types:
        # 4.2.5: exactly 1 start and 1 end, non-negative integers (code points).
        for key in ("start", "end"):
            value = node.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                yield f"{where}: {key} must be exactly 1 non-negative integer"
    else:
        yield f"{where}: unknown selector type {types}"


def _state(node: Any, where: str) -> Iterator[str]:
    if not isinstance(node, dict):
        yield f"{where}: not a state"
        return
    types = _types(node)
    if "TimeState" in types:
        # 4.3.1: sourceDate, or sourceDateStart with sourceDateEnd, never both; xsd:dateTime.
        has_date = "sourceDate" in node
        has_range = "sourceDateStart" in node or "sourceDateEnd" in node
        if has_date == has_range:
            yield f"{where}: a TimeState has sourceDate or a sourceDateStart/End pair"
        for key in ("sourceDate", "sourceDateStart", "sourceDateEnd"):
            for value in _values(node.get(key, [])):
                if not isinstance(value, str) or not UTC_DATETIME.match(value):
                    yield f"{where}: {key} {value!r} is not an xsd:dateTime in UTC"
        for value in _values(node.get("cached", [])):
            if not is_iri(value):
                yield f"{where}: cached {value!r} is not an IRI"
    elif "HttpRequestState" in types:
        # 4.3.2: exactly 1 value.
        if not isinstance(node.get("value"), str):
            yield f"{where}: an HttpRequestState must have exactly 1 value"
    else:
        yield f"{where}: unknown state type {types}"


def text_problems(annotation: dict[str, Any], text: str) -> list[str]:
    """4.2.4/4.2.5 against the text the target's source serves: the quote is at the code
    points the position gives, and prefix/suffix are the text around it."""
    found = []
    for selector in annotation["target"]["selector"]:
        if selector["type"] == "TextPositionSelector":
            start, end = selector["start"], selector["end"]
        else:
            quote = selector
    if text[start:end] != quote["exact"]:
        found.append("the position does not select the quote in the served text")
    if not text[:start].endswith(quote.get("prefix", "")):
        found.append("the prefix is not the text before the quote")
    if not text[end:].startswith(quote.get("suffix", "")):
        found.append("the suffix is not the text after the quote")
    return found
