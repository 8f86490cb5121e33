"""Reading claims for an export, a chunk at a time, in a fixed number of queries per chunk.

Plain values, not model instances: an export of 100,000 claims would otherwise build a
million model objects (claim, article with its whole body, users, evidence, links).
"""

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import QuerySet
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from annotations import selectors
from annotations.exports.fields import Record, RecordList, Row, Urls
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
    """Claims as dicts of ``record``'s paths, each with the rows of its lists, per chunk.

    A fixed number of queries per chunk: the claims joined to their article and users,
    then one per list (evidence joined to its source link and author; comments with
    their author and mentions).
    """
    paths = [*record.main.paths, *(f.name for f in keyset if f.name not in record.main.paths)]
    rows = queryset.values(*paths)
    for chunk in selectors.iter_chunks(
        rows, keyset=keyset, chunk_size=chunk_size, after=after, limit=limit
    ):
        ids = [row["id"] for row in chunk]
        for each in record.lists:
            by_claim = _list_rows(each, ids)
            for row in chunk:
                row[each.key] = by_claim[row["id"]]
        yield chunk


def _list_rows(each: RecordList, ids: list[int]) -> dict[int, list[Row]]:
    """The list's rows of each claim; a many-to-many (``Names``) comes as one row per name,
    gathered here into the sorted list of them."""
    names = each.part.names
    items = (
        each.model._default_manager.filter(**{f"{each.fk}__in": ids})
        .order_by(each.fk, *each.order)
        .values(*each.part.paths, each.fk, *(path for _, path in names))
    )
    by_claim: dict[int, list[Row]] = {pk: [] for pk in ids}
    if not names:
        for item in items:
            by_claim[item[each.fk]].append(item)
        return by_claim
    seen: dict[int, Row] = {}
    for item in items:
        first = seen.get(item["id"])
        if first is None:
            first = seen[item["id"]] = item
            for key, _ in names:
                first[key] = []
            by_claim[item[each.fk]].append(first)
        for key, path in names:
            if item[path] is not None:
                first[key].append(item[path])
    for first in seen.values():
        for key, _ in names:
            first[key].sort()
    return by_claim


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
    for ids in _chunk_ids(queryset, keyset=keyset, chunk_size=chunk_size):
        texts = sql_records(ids, api_root=api_root, record=record)
        yield [texts[pk] for pk in ids]


def sql_records(
    ids: list[int], *, api_root: str, record: Record = RECORD, sql: str | None = None
) -> dict[int, str]:
    """{id: JSON text} of these claims' records, built by PostgreSQL in one query
    (``record.sql``, or ``sql`` taking the same parameters)."""
    urls = Urls(api_root)
    params: dict[str, Any] = {
        "root": urls.root,
        "archive_prefix": urls.archive_prefix,
        "archive_suffix": urls.archive_suffix,
        "ids": ids,
    }
    with connection.cursor() as cursor:
        cursor.execute(record.sql if sql is None else sql, params)
        return dict(cursor.fetchall())


def csv_copy(ids: list[int], *, api_root: str, excel: bool = False) -> str:
    """The CSV rows of these claims, in this order, from one ``COPY`` (``Record.csv_sql``).

    The same bytes as ``csv.writer`` over ``Record.csv_cells`` (lines end in LF), without a
    Python object per value.
    """
    root = Urls(api_root).root
    return _copy_out(RECORD.csv_sql(excel=excel), {"root": root, "ids": ids}).decode()


def _copy_out(sql: str, params: dict[str, Any]) -> bytes:
    """The whole output of a ``COPY ... TO STDOUT`` through psycopg's copy support.

    Django's cursor has no ``copy()``: this uses the psycopg cursor under it, and logs the
    statement as Django logs its own (``connection.queries``, so query counts see it).
    """
    with connection.cursor() as cursor:
        logged = (
            cursor.debug_sql(sql, params)
            if isinstance(cursor, CursorDebugWrapper)
            else nullcontext()
        )
        with logged, connection.wrap_database_errors, cursor.cursor.copy(sql, params) as copy:
            return b"".join(copy)


class _Utf8(Loader):
    """A ``text`` value as the UTF-8 bytes PostgreSQL sent, not decoded."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def rows_with_bytes(queryset: QuerySet, column: str) -> list[dict[str, Any]]:
    """The rows of a ``values()`` queryset with ``column``, a text column, as UTF-8 bytes.

    An export sends bytes: a stored text goes out as the database holds it, instead of
    being decoded into ``str`` and encoded again (in a profile of a warm PostgreSQL export,
    decoding and encoding were about a quarter of its time). There every ``text`` column
    of the query comes as bytes (``CharField`` columns are ``varchar`` and stay ``str``);
    the query is Django's own and is logged as its queries are. Elsewhere the value is
    encoded here.
    """
    if connection.vendor != "postgresql":
        rows = list(queryset.iterator())  # fresh dicts: the queryset's cache is not changed
        for row in rows:
            if row[column] is not None:
                row[column] = row[column].encode()
        return rows
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("text", _Utf8)
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chunk_ids(
    queryset: QuerySet[Claim], *, keyset: selectors.Keyset, chunk_size: int
) -> Iterator[list[int]]:
    """The claim ids of each keyset chunk, in keyset order (one query per chunk)."""
    names = [field.name for field in keyset]
    if "id" not in names:
        names.append("id")
    rows = queryset.values(*names)
    for chunk in selectors.iter_chunks(rows, keyset=keyset, chunk_size=chunk_size):
        yield [row["id"] for row in chunk]
