"""json and jsonl: the claim records (``records.JSON_RECORD``: the claim record and its
comments) as an array, or one a line."""

from collections.abc import Iterator

from django.conf import settings
from django.db import connection

from annotations.exports.base import TEXT, Export, ExportFormat, dump, json_array
from annotations.exports.chunks import sql_record_chunks
from annotations.exports.records import JSON_RECORD


def record_chunks(export: Export) -> Iterator[list[str]]:
    """Claim records as JSON texts, per chunk; PostgreSQL builds them itself when it can."""
    if connection.vendor == "postgresql":
        yield from sql_record_chunks(
            export.claims,
            keyset=export.keyset,
            chunk_size=settings.EXPORT_CHUNK_SIZE,
            api_root=export.urls.root,
            record=JSON_RECORD,
        )
        return
    build = JSON_RECORD.builder(export.urls)
    for chunk in export.chunks(record=JSON_RECORD):
        yield [dump(build(row)) for row in chunk]


def write_json(export: Export) -> Iterator[str]:
    """A JSON array of claim records."""
    return json_array(record_chunks(export))


def write_jsonl(export: Export) -> Iterator[str]:
    """One claim record per line (JSON Lines)."""
    for chunk in record_chunks(export):
        yield "\n".join(chunk) + "\n"


JSON = ExportFormat(
    name="json",
    content_type="application/json",
    extension="json",
    write=write_json,
    description="an array of claim records",
    schema={"type": "array", "items": {"type": "object"}},
)
JSONL = ExportFormat(
    name="jsonl",
    content_type="application/x-ndjson",
    extension="jsonl",
    write=write_jsonl,
    description="one claim record per line",
    schema=TEXT,
)
