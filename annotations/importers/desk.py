"""The desk's own ``json`` (an array, read item by item with ijson) and ``jsonl`` exports.

Records are ``records.JSON_RECORD``: the article by slug, source URL and text hash, the span
with its context, the desk verdict and the state behind it (rationale language, disagreement,
decision, withdrawn sign-off), authors by username, timestamps, the sign-off, evidence,
comments and assessments; ``history`` too where a record carries it (``history=true``).
"""

from collections.abc import Iterator
from typing import IO, Any

import ijson

from annotations.importers import (
    ArticleRef,
    ImportedAssessment,
    ImportedClaim,
    ImportedComment,
    ImportedEvidence,
    ImportedHistory,
    ImportFileError,
    Record,
    RecordShapeError,
    Unreadable,
    claim_identity,
    json_lines,
    need,
    optional,
    timestamp,
    username,
)

MSG_NOT_ARRAY = "The file is not a JSON array of claim records ({error})."
MSG_SUMMARY_MISMATCH = (
    "The export's summary line counts {expected} records but the file holds {found}: "
    "the file was cut or altered."
)


def claim_from_record(data: Any, position: str) -> ImportedClaim:
    """One exported claim record as an ``ImportedClaim`` (RecordShapeError when malformed)."""
    article = need(data, "article", dict)
    source, external_id = claim_identity(data.get("url"), "desk", need(data, "id", (int, str)))
    evidence = [
        ImportedEvidence(
            url=need(item, "url", str, "evidence."),
            title=optional(item, "title", str, ""),
            excerpt=optional(item, "excerpt", str, ""),
            note=optional(item, "note", str, ""),
            stance=optional(item, "stance", str, "supports"),
            added_by=username(item.get("added_by"), "evidence.added_by"),
            created_at=timestamp(item.get("created_at"), "evidence.created_at"),
            updated_at=timestamp(item.get("updated_at"), "evidence.updated_at"),
        )
        for item in optional(data, "evidence", list, [])
    ]
    comments = [
        ImportedComment(
            author=username(item.get("author"), "comments.author"),
            body=need(item, "body", str, "comments."),
            created_at=timestamp(item.get("created_at"), "comments.created_at"),
            mentions=[m for m in optional(item, "mentions", list, []) if isinstance(m, str)],
        )
        for item in optional(data, "comments", list, [])
    ]
    assessments = None
    if isinstance(data.get("assessments"), list):
        assessments = [
            ImportedAssessment(
                analyst=username(item.get("analyst"), "assessments.analyst") or "",
                verdict=need(item, "verdict", str, "assessments."),
                rationale=optional(item, "rationale", str, ""),
                rationale_language=optional(item, "rationale_language", str, ""),
                version=_version(item, "assessments.version") or 1,
                created_at=timestamp(item.get("created_at"), "assessments.created_at"),
                updated_at=timestamp(item.get("updated_at"), "assessments.updated_at"),
            )
            for item in data["assessments"]
        ]
    history = [
        ImportedHistory(
            action=need(item, "action", str, "history."),
            subject=optional(item, "subject", str, "claim"),
            changes=optional(item, "changes", dict, {}),
            actor=username(item.get("actor"), "history.actor"),
            at=timestamp(item.get("at"), "history.at"),
        )
        for item in optional(data, "history", list, [])
    ]
    signed_off_by = username(data.get("signed_off_by"), "signed_off_by")
    return ImportedClaim(
        position=position,
        external_source=source,
        external_id=external_id,
        article=ArticleRef(
            slug=optional(article, "slug", str, ""),
            source_url=optional(article, "source_url", str, ""),
            content_hash=optional(article, "content_hash", str, ""),
        ),
        start=need(data, "start", int),
        end=need(data, "end", int),
        quote=need(data, "quote", str),
        prefix=optional(data, "prefix", str, ""),
        suffix=optional(data, "suffix", str, ""),
        verdict=optional(data, "verdict", str, "pending"),
        rationale=optional(data, "rationale", str, ""),
        created_by=username(data.get("created_by"), "created_by"),
        updated_by=username(data.get("updated_by"), "updated_by"),
        created_at=timestamp(data.get("created_at"), "created_at"),
        updated_at=timestamp(data.get("updated_at"), "updated_at"),
        signed_off_by=signed_off_by,
        signed_off_at=timestamp(data.get("signed_off_at"), "signed_off_at"),
        sign_off_withdrawn_at=timestamp(data.get("sign_off_withdrawn_at"), "sign_off_withdrawn_at"),
        rationale_language=optional(data, "rationale_language", str, ""),
        in_disagreement=optional(data, "in_disagreement", bool, None),
        decided_by=username(data.get("decided_by"), "decided_by"),
        decided_at=timestamp(data.get("decided_at"), "decided_at"),
        version=_version(data, "version"),
        evidence=evidence,
        comments=comments,
        assessments=assessments,
        history=history,
    )


def _version(data: dict[str, Any], name: str) -> int | None:
    """A version (a positive integer) or None when the record gives none."""
    value = data.get(name.rsplit(".", 1)[-1])
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordShapeError(f"«{name}» is not a positive integer: {value!r}")
    return value


def _record(data: Any, position: str) -> Record:
    try:
        return claim_from_record(data, position)
    except RecordShapeError as exc:
        return Unreadable(position, exc.message, exc.code)


def read_json(stream: IO[bytes]) -> Iterator[Record]:
    """An exported JSON array, one item in memory at a time."""
    index = 0
    try:
        for index, data in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield _record(data, f"item {index}")
    except ijson.JSONError as exc:
        raise ImportFileError(MSG_NOT_ARRAY.format(error=exc), code="not_json") from None
    if index == 0:
        stream.seek(0)
        head = stream.read(64).lstrip()
        if not head.startswith(b"["):
            raise ImportFileError(MSG_NOT_ARRAY.format(error="no array found"), code="wrong_shape")


def read_jsonl(stream: IO[bytes]) -> Iterator[Record]:
    """One exported record a line; an ``export_summary`` last line is checked, not imported."""
    records = 0
    for number, data in json_lines(stream):
        position = f"line {number}"
        if isinstance(data, RecordShapeError):
            yield Unreadable(position, data.message, data.code)
            continue
        if isinstance(data, dict) and set(data) == {"export_summary"}:
            expected = data["export_summary"].get("records")
            if expected != records:
                raise ImportFileError(
                    MSG_SUMMARY_MISMATCH.format(expected=expected, found=records),
                    code="summary_mismatch",
                )
            continue
        records += 1
        yield _record(data, position)
