"""Readers of claim files: each turns one format into ``ImportedClaim`` records, streaming.

Readers only parse (no database): ``services.claims_import`` matches articles and users,
places spans and writes. A record a reader cannot understand comes out as ``Unreadable``
(refused with its reason); a file that is not the format at all raises ``ImportFileError``.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

# The desk's own claim URLs (json/jsonl ``url``, W3C annotation ``id``): API root, then the id.
CLAIM_URL = re.compile(r"^(?P<root>https?://.+/)claims/(?P<id>\d+)/?$")


class ImportFileError(Exception):
    """The file as a whole cannot be read as the format (not JSON, wrong shape)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ArticleRef:
    """How a record names its article; the service tries these in order (see claims_import)."""

    slug: str = ""
    source_url: str = ""
    content_hash: str = ""
    text: str | None = None  # the task's own text (Label Studio, doccano)
    iri: str = ""  # the W3C target's source


@dataclass
class ImportedEvidence:
    url: str
    title: str = ""
    excerpt: str = ""
    note: str = ""
    stance: str = "supports"
    added_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class ImportedComment:
    author: str | None
    body: str
    created_at: datetime | None = None
    mentions: list[str] = field(default_factory=list)


@dataclass
class ImportedAssessment:
    analyst: str
    verdict: str
    rationale: str = ""
    rationale_language: str = ""
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class ImportedHistory:
    action: str
    subject: str
    changes: dict[str, Any]
    actor: str | None
    at: datetime | None


@dataclass
class ImportedClaim:
    """One claim as a file gives it; ``None`` means the file does not say (the desk decides)."""

    position: str
    external_source: str
    external_id: str
    article: ArticleRef
    start: int
    end: int
    quote: str | None
    prefix: str = ""
    suffix: str = ""
    verdict: str | None = None
    label: str | None = None  # a tool's label, mapped to a verdict by the label map
    rationale: str = ""
    created_by: str | None = None
    updated_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None
    sign_off_withdrawn_at: datetime | None = None
    # The desk's state behind its verdict (the desk's own json/jsonl carry it).
    rationale_language: str = ""
    in_disagreement: bool | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int | None = None
    evidence: list[ImportedEvidence] = field(default_factory=list)
    comments: list[ImportedComment] = field(default_factory=list)
    assessments: list[ImportedAssessment] | None = None
    history: list[ImportedHistory] = field(default_factory=list)
    # Offsets a tool may count in UTF-16 code units (JavaScript strings), not code points.
    utf16_offsets_possible: bool = False


@dataclass
class Unreadable:
    """A record the reader could not turn into a claim; refused with ``reason``."""

    position: str
    reason: str
    code: str
    external_id: str = ""


Record = ImportedClaim | Unreadable


@dataclass
class FileNotice:
    """What the report should say about the file as a whole (not a record): e.g. that it is
    one page of a longer W3C collection. A reader yields it among its records."""

    message: str
    code: str


Item = Record | FileNotice


class RecordShapeError(Exception):
    """Raised inside a reader for one record; the reader turns it into ``Unreadable``."""

    def __init__(self, message: str, code: str = "record_shape"):
        super().__init__(message)
        self.message = message
        self.code = code


def need(mapping: Any, key: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    """``mapping[key]`` of type ``kind``, or a RecordShapeError naming what is wrong."""
    name = f"{where}{key}"
    if not isinstance(mapping, dict):
        raise RecordShapeError(f"expected an object holding «{name}»")
    if key not in mapping:
        raise RecordShapeError(f"«{name}» is missing")
    value = mapping[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise RecordShapeError(f"«{name}» has the wrong type ({type(value).__name__})")
    return value


def optional(mapping: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = mapping.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise RecordShapeError(f"«{key}» has the wrong type ({type(value).__name__})")
    return value


def timestamp(value: Any, name: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset) or None; a naive or bad one is refused."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordShapeError(f"«{name}» is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordShapeError(f"«{name}» is not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise RecordShapeError(f"«{name}» has no time zone: {value!r}")
    return parsed


def username(value: Any, name: str) -> str | None:
    """A user as exports give one: ``{"username": ...}``, a plain name, or null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("username"), str):
        return str(value["username"])
    if isinstance(value, dict) and isinstance(value.get("nickname"), str):
        return str(value["nickname"])
    raise RecordShapeError(f"«{name}» does not name a user")


def claim_identity(url: Any, fallback_source: str, fallback_id: Any) -> tuple[str, str]:
    """A desk claim URL becomes (its desk's API root, its id) so json, jsonl and W3C exports of
    one desk share identities; anything else keeps the reader's own source and id."""
    if isinstance(url, str):
        match = CLAIM_URL.match(url)
        if match:
            return match["root"], match["id"]
    return fallback_source, str(fallback_id)


def json_lines(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) per non-blank line; a bad line is a RecordShapeError value."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield number, RecordShapeError(f"not JSON ({exc})", "not_json")
