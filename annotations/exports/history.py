"""history: the audit trail of the exported claims, one entry a line (JSON Lines).

Each line is one ``HistoryEntry``: who changed what on a claim, its evidence or an
assessment, and when, with the changes as ``{field: [old, new]}``. Entries come in the
order they were written (by id), a chunk at a time in one query per chunk, for every claim
the claim filters and the blind rule let through (as the other formats do).
"""

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from annotations import selectors
from annotations.exports.base import TEXT, Export, ExportFormat, dump_bytes
from annotations.exports.fields import Row, iso
from annotations.exports.json_records import SUMMARY, json_lines
from annotations.models import HistoryEntry

HISTORY_FIELDS = (
    "id",
    "claim_ref",
    "subject",
    "evidence_ref",
    "assessment_ref",
    "action",
    "changes",
    "actor__id",
    "actor__username",
    "at",
)


def history_record(row: Row) -> dict[str, Any]:
    """One history entry as exported (``actor`` null for the system's own changes)."""
    actor = None
    if row["actor__id"] is not None:
        actor = {"id": row["actor__id"], "username": row["actor__username"]}
    return {
        "id": row["id"],
        "claim": row["claim_ref"],
        "subject": row["subject"],
        "evidence": row["evidence_ref"],
        "assessment": row["assessment_ref"],
        "action": row["action"],
        "changes": row["changes"],
        "actor": actor,
        "at": iso(row["at"]),
    }


def _chunks(export: Export) -> Iterator[list[bytes]]:
    claim_ids = export.claims.order_by().values("id")
    entries = HistoryEntry.objects.filter(claim_id__in=claim_ids).values(*HISTORY_FIELDS)
    for chunk in selectors.iter_chunks(entries, chunk_size=settings.EXPORT_CHUNK_SIZE):
        yield [dump_bytes(history_record(row)) for row in chunk]


def write_history(export: Export) -> Iterator[bytes]:
    """The exported claims' history entries, oldest first, one JSON object a line."""
    return json_lines(_chunks(export), summary=bool(export.params.get(SUMMARY.name)))


HISTORY = ExportFormat(
    name="history",
    content_type="application/x-ndjson",
    extension="history.jsonl",
    write=write_history,
    description="the claims' history entries, one per line",
    schema=TEXT,
    params=(SUMMARY,),
)
