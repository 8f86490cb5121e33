"""Label Studio's JSON export of span labels: an array of tasks, read one task at a time.

Each result of type ``labels`` (``value.start``/``end``/``text``/``labels``) of each
annotation becomes a claim whose verdict is its label through the label map. The article is
the one whose text is the task's ``data.text`` (or the one the caller names).
"""

from collections.abc import Iterator
from typing import IO, Any

import ijson

from annotations.importers import (
    ArticleRef,
    ImportedClaim,
    ImportFileError,
    Record,
    RecordShapeError,
    Unreadable,
    need,
    timestamp,
)

SOURCE = "label-studio"
MSG_NOT_TASKS = "The file is not Label Studio's JSON export, an array of tasks ({error})."


def _text(task: dict[str, Any]) -> str | None:
    data = task.get("data")
    if not isinstance(data, dict):
        return None
    text = data.get("text")
    if isinstance(text, str):
        return text
    strings = [value for value in data.values() if isinstance(value, str)]
    return strings[0] if len(strings) == 1 else None


def claims_of_task(task: Any, index: int) -> Iterator[Record]:
    """The task's labelled spans (annotations, then predictions when there are none)."""
    if not isinstance(task, dict):
        yield Unreadable(f"task {index}", "a task must be an object", "record_shape")
        return
    task_id = task.get("id", index)
    text = _text(task)
    annotations = task.get("annotations") or task.get("predictions") or []
    for annotation in annotations if isinstance(annotations, list) else []:
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        results = annotation.get("result") or []
        for number, result in enumerate(results, start=1):
            if not isinstance(result, dict) or result.get("type") != "labels":
                continue
            result_id = result.get("id", number)
            position = f"task {task_id}, annotation {annotation.get('id')}, result {result_id}"
            external_id = f"{task_id}/{annotation.get('id')}/{result_id}"
            try:
                value = need(result, "value", dict)
                labels = need(value, "labels", list, "value.")
                if len({str(label) for label in labels}) != 1:
                    raise RecordShapeError(
                        f"a span needs exactly one label, this one has {len(labels)}",
                        "label_count",
                    )
                yield ImportedClaim(
                    position=position,
                    external_source=SOURCE,
                    external_id=external_id,
                    article=ArticleRef(text=text),
                    start=need(value, "start", int, "value."),
                    end=need(value, "end", int, "value."),
                    quote=value.get("text") if isinstance(value.get("text"), str) else None,
                    label=str(labels[0]),
                    created_at=timestamp(annotation.get("created_at"), "created_at"),
                    updated_at=timestamp(annotation.get("updated_at"), "updated_at"),
                    utf16_offsets_possible=True,
                )
            except RecordShapeError as exc:
                yield Unreadable(position, exc.message, exc.code, external_id)


def read_label_studio(stream: IO[bytes]) -> Iterator[Record]:
    try:
        for index, task in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield from claims_of_task(task, index)
    except ijson.JSONError as exc:
        raise ImportFileError(MSG_NOT_TASKS.format(error=exc), code="not_json") from None
