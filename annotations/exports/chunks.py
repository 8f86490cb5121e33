"""Reading claims for an export, a chunk at a time, in a fixed number of queries per chunk.

Plain values, not model instances: an export of 100,000 claims would otherwise build a
million model objects (claim, article with its whole body, users, evidence, links).
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from annotations import selectors
from annotations.exports.fields import Record, Row
from annotations.exports.records import RECORD
from annotations.models import Claim


def claim_rows(
    queryset: QuerySet[Claim],
    *,
    keyset: selectors.Keyset,
    chunk_size: int,
    after: Sequence[Any] | None = None,
    limit: int | None = None,
    record: Record = RECORD,
) -> Iterator[list[Row]]:
    """Claims as dicts of ``record``'s paths, each with its evidence rows, per chunk.

    Two queries per chunk: the claims joined to their article and users, and the evidence
    of those claims joined to its source link and author.
    """
    paths = [*record.main.paths, *(f.name for f in keyset if f.name not in record.main.paths)]
    fk, key = record.many_fk, record.many_key
    rows = queryset.values(*paths)
    for chunk in selectors.iter_chunks(
        rows, keyset=keyset, chunk_size=chunk_size, after=after, limit=limit
    ):
        by_claim: dict[int, list[Row]] = {row["id"]: [] for row in chunk}
        items = (
            record.many_model._default_manager.filter(**{f"{fk}__in": list(by_claim)})
            .order_by(fk, *record.many_order)
            .values(*record.many.paths, fk)
        )
        for item in items:
            by_claim[item[fk]].append(item)
        for row in chunk:
            row[key] = by_claim[row["id"]]
        yield chunk


def sql_record_chunks(
    queryset: QuerySet[Claim],
    *,
    keyset: selectors.Keyset,
    chunk_size: int,
    api_root: str,
    record: Record = RECORD,
) -> Iterator[list[str]]:
    """The records as JSON texts built by PostgreSQL, per chunk: one query for the chunk's
    keys, one for its records.

    Building the JSON next to the data is several times faster than turning rows into
    Python objects and back into text.
    """
    names = [field.name for field in keyset]
    if "id" not in names:
        names.append("id")
    rows = queryset.values(*names)
    for chunk in selectors.iter_chunks(rows, keyset=keyset, chunk_size=chunk_size):
        ids = [row["id"] for row in chunk]
        with connection.cursor() as cursor:
            cursor.execute(record.sql, {"root": api_root, "ids": ids})
            yield [text for (text,) in cursor.fetchall()]
