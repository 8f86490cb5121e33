"""What every export format is: its registry entry (``ExportFormat``) and what it is given.

A format module declares one ``ExportFormat`` next to its writer; ``registry.FORMATS``
lists them, and the API's view, parameter validation and OpenAPI schema read that list.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.db.models import QuerySet

from annotations import selectors
from annotations.exports.chunks import claim_rows
from annotations.exports.fields import Row, Urls
from annotations.models import Claim

T = TypeVar("T")


class NoSuchPage(LookupError):
    """The request names a part of the export that does not exist (the API answers 404)."""


@dataclass(frozen=True)
class Param:
    """A query parameter a format reads besides the claim filters (``bool``: default false;
    ``str``: one of ``choices``, the first by default)."""

    name: str
    kind: type[bool] | type[int] | type[str]
    help: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Export:
    """One export request, as a format's writer sees it."""

    claims: QuerySet[Claim]  # filtered; each writer orders them by ``keyset``
    keyset: selectors.Keyset
    urls: Urls
    params: Mapping[str, Any]  # every format's parameters, validated
    address: str  # the export's absolute URL, without the query string
    query: Sequence[tuple[str, str]]  # the request's query, as given
    # Told the number of claims in each chunk as it is read (a background job's progress).
    progress: Callable[[int], None] | None = None

    def chunks(self, queryset: QuerySet[Claim] | None = None, **kwargs: Any) -> Iterator[list[Row]]:
        """Claim rows with their evidence, ``EXPORT_CHUNK_SIZE`` claims at a time."""
        return self.counted(
            claim_rows(
                self.claims if queryset is None else queryset,
                keyset=self.keyset,
                chunk_size=settings.EXPORT_CHUNK_SIZE,
                **kwargs,
            )
        )

    def counted(self, chunks: Iterator[list[T]]) -> Iterator[list[T]]:
        """``chunks`` as they are, reporting each one's size to ``progress``."""
        if self.progress is None:
            return chunks
        return self._counting(chunks, self.progress)

    @staticmethod
    def _counting(chunks: Iterator[list[T]], progress: Callable[[int], None]) -> Iterator[list[T]]:
        for chunk in chunks:
            progress(len(chunk))
            yield chunk


@dataclass(frozen=True)
class ExportFormat:
    """One format in the registry: how it is named, sent, documented and written.

    ``write`` may raise ``NoSuchPage`` before it returns its iterator; the iterator then
    yields the body's UTF-8 bytes piece by piece. ``streams``: sent as the pieces come (every
    format here); a format that cannot start before it has seen every row would say False
    and be sent whole. ``schema`` is a JSON Schema of the body, for the OpenAPI document.
    """

    name: str
    content_type: str
    extension: str
    write: Callable[[Export], Iterator[bytes]]
    description: str
    schema: Mapping[str, Any]
    params: tuple[Param, ...] = ()
    streams: bool = True

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip()


TEXT = {"type": "string"}


def dump(obj: Any) -> str:
    """Compact JSON that keeps Cyrillic as it is (not ``\\u``-escaped).

    orjson writes the same text as ``json.dumps(obj, ensure_ascii=False,
    separators=(",", ":"))`` for the records here, several times faster.
    """
    return orjson.dumps(obj).decode()


def dump_bytes(obj: Any) -> bytes:
    """``dump`` in UTF-8, as a writer sends it."""
    return orjson.dumps(obj)


def json_array(chunks: Iterable[Iterable[bytes]]) -> Iterator[bytes]:
    """A JSON array streamed from chunks of JSON texts, one element a line."""
    yield b"["
    separator = b"\n"
    for chunk in chunks:
        yield separator + b",\n".join(chunk)
        separator = b",\n"
    yield b"\n]\n"
