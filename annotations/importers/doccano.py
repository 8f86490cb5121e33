"""doccano's JSONL export of a sequence-labelling project, one example a line.

Spans come as ``"label": [[start, end, "LABEL"], ...]`` (doccano 1.x and the default
export) or ``"entities": [{"id", "start_offset", "end_offset", "label"}]`` (relations
projects); each becomes a claim whose verdict is its label through the label map.
"""

from collections.abc import Iterator
from typing import IO, Any

from annotations.importers import (
    ArticleRef,
    ImportedClaim,
    Record,
    RecordShapeError,
    Unreadable,
    json_lines,
    need,
)

SOURCE = "doccano"


def _spans(example: dict[str, Any]) -> Iterator[tuple[str, Any, Any, Any]]:
    """(key, start, end, label) of each span, whichever of the two shapes the line has."""
    for number, span in enumerate(example.get("label") or [], start=1):
        if isinstance(span, list) and len(span) == 3:
            yield f"{span[0]}-{span[1]}-{span[2]}", span[0], span[1], span[2]
        else:
            yield f"label {number}", None, None, None
    for number, entity in enumerate(example.get("entities") or [], start=1):
        if isinstance(entity, dict):
            key = str(entity.get("id", f"entity {number}"))
            yield key, entity.get("start_offset"), entity.get("end_offset"), entity.get("label")
        else:
            yield f"entity {number}", None, None, None


def read_doccano(stream: IO[bytes]) -> Iterator[Record]:
    for number, example in json_lines(stream):
        if isinstance(example, RecordShapeError):
            yield Unreadable(f"line {number}", example.message, example.code)
            continue
        try:
            text = need(example, "text", str)
        except RecordShapeError as exc:
            yield Unreadable(f"line {number}", exc.message, exc.code)
            continue
        example_id = example.get("id", number)
        for key, start, end, label in _spans(example):
            position = f"line {number}, span {key}"
            external_id = f"{example_id}/{key}"
            valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end))
            if not valid or not isinstance(label, str):
                yield Unreadable(
                    position,
                    "a span is [start, end, label] with whole-number offsets",
                    "record_shape",
                    external_id,
                )
                continue
            yield ImportedClaim(
                position=position,
                external_source=SOURCE,
                external_id=external_id,
                article=ArticleRef(text=text),
                start=start,
                end=end,
                quote=None,
                label=label,
                utf16_offsets_possible=True,
            )
