"""json and jsonl: the claim records (``records.JSON_RECORD``: the claim record, the desk's
state, assessments and comments; with ``history=true`` each claim's history too) as an
array, or one a line."""

import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

from annotations.exports import stored
from annotations.exports.base import TEXT, Export, ExportFormat, Param, dump_bytes, json_array
from annotations.exports.chunks import sql_record_chunks
from annotations.exports.records import JSON_HISTORY_RECORD


def record_chunks(export: Export) -> Iterator[list[bytes]]:
    """Claim records as JSON texts, per chunk: the stored ones (``stored``), or with
    ``history=true`` built now, by PostgreSQL itself when it can."""
    if not export.params.get(WITH_HISTORY.name):
        yield from export.counted(
            stored.record_chunks(
                export.claims,
                keyset=export.keyset,
                chunk_size=settings.EXPORT_CHUNK_SIZE,
                urls=export.urls,
            )
        )
        return
    record = JSON_HISTORY_RECORD
    if connection.vendor == "postgresql":
        for texts in export.counted(
            sql_record_chunks(
                export.claims,
                keyset=export.keyset,
                chunk_size=settings.EXPORT_CHUNK_SIZE,
                api_root=export.urls.root,
                record=record,
            )
        ):
            yield [text.encode() for text in texts]
        return
    build = record.builder(export.urls)
    for chunk in export.chunks(record=record):
        yield [dump_bytes(build(row)) for row in chunk]


def write_json(export: Export) -> Iterator[bytes]:
    """A JSON array of claim records."""
    return json_array(record_chunks(export))


SUMMARY = Param(
    "summary",
    bool,
    'end with one line {"export_summary": {"records": N, "sha256": …}}: the count of record '
    "lines and the SHA-256 of every byte before this line, so that a cut download shows.",
)


WITH_HISTORY = Param(
    "history",
    bool,
    "json and jsonl: each record carries the claim's history (subject, action, changes, actor, "
    "at), oldest first, so that an import gives the claim back with its audit trail.",
)


def write_jsonl(export: Export) -> Iterator[bytes]:
    """One claim record per line (JSON Lines), with the summary line last when asked for.

    The summary is opt-in: a line that is not a claim would break readers written before it.
    """
    return json_lines(record_chunks(export), summary=bool(export.params.get(SUMMARY.name)))


def json_lines(chunks: Iterator[list[bytes]], *, summary: bool) -> Iterator[bytes]:
    """JSON texts one a line, chunk by chunk; with ``summary``, the summary line last."""
    if not summary:
        for chunk in chunks:
            yield b"\n".join(chunk) + b"\n"
        return
    digest, records = hashlib.sha256(), 0
    for chunk in chunks:
        data = b"\n".join(chunk) + b"\n"
        digest.update(data)
        records += len(chunk)
        yield data
    yield dump_bytes({"export_summary": {"records": records, "sha256": digest.hexdigest()}}) + b"\n"


JSON = ExportFormat(
    name="json",
    content_type="application/json",
    extension="json",
    write=write_json,
    description="an array of claim records",
    schema={"type": "array", "items": {"type": "object"}},
    params=(WITH_HISTORY,),
)
JSONL = ExportFormat(
    name="jsonl",
    content_type="application/x-ndjson",
    extension="jsonl",
    write=write_jsonl,
    description="one claim record per line",
    schema=TEXT,
    params=(SUMMARY, WITH_HISTORY),
)
