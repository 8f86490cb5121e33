"""Inserting many rows of one model fast, with every value final (the claim import's writes).

``bulk_create`` prepares each value of each row through the field (``pre_save``,
``get_db_prep_save``): for an import of 100,000 claims with their evidence, assessments and
history that preparation costs more than the database's work, and ``auto_now`` fields get the
time of the insert, so rows keeping a file's own times had to be written twice. Here the caller
gives the columns and plain values (times included); a column it leaves out gets the field's
default, prepared once; each value is adapted only where the database needs it (times on
SQLite, JSON).
"""

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import DateTimeField, Field, JSONField, Model

# PostgreSQL's protocol limit on parameters per statement.
PG_MAX_PARAMS = 65535
# Rows per INSERT … RETURNING: a few statements per chunk of records, each of a sane size.
MAX_ROWS_PER_STATEMENT = 2000


def _adapter(field: Field) -> Callable[[Any], Any] | None:
    if isinstance(field, JSONField):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if isinstance(field, DateTimeField) and connection.vendor == "sqlite":
        if not settings.USE_TZ:
            return connection.ops.adapt_datetimefield_value
        zone = connection.timezone

        def text(value: datetime | None) -> str | None:
            # adapt_datetimefield_value's result (naive, in the connection's zone, as str)
            # without its settings look-ups on every value.
            if value is None:
                return None
            if value.utcoffset() is not None:
                value = value.astimezone(zone).replace(tzinfo=None)
            return value.isoformat(" ")

        return text
    return None


def _literal(value: Any) -> str | None:
    """A default as SQL text, so that it is not a parameter of every row; None if not simple."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if connection.vendor == "postgresql":
            return "TRUE" if value else "FALSE"
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and not set(value) & {"%", "\\", "?"}:
        return "'" + value.replace("'", "''") + "'"
    return None


def _max_params() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return PG_MAX_PARAMS


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_ids: bool = False,
) -> list[int]:
    """Insert ``rows`` (values in the order of ``columns``, attribute names such as
    ``claim_id``) into ``model``'s table; the new ids in row order when ``returning_ids``.

    Without ids: one ``executemany`` (one statement prepared once on SQLite, one pipeline on
    PostgreSQL). With ids: ``INSERT … VALUES (…), (…) RETURNING id`` in as few statements as
    the parameter limit allows; both databases return the rows in the order given, which
    ``bulk_create`` relies on too. Fields missing from ``columns`` must not be ``auto_now``.
    """
    if not rows:
        return []
    meta = model._meta
    given: list[Field] = []
    for name in columns:
        found = meta.get_field(name)
        assert isinstance(found, Field), name
        given.append(found)
    missing = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
    for f in missing:
        assert not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False), f
    prepared = [f.get_db_prep_save(f.get_default(), connection) for f in missing]
    literals = [_literal(value) for value in prepared]
    # Simple defaults are written into the statement; the rest are parameters of every row.
    defaults = [value for value, sql in zip(prepared, literals, strict=True) if sql is None]
    adapters = [(i, a) for i, f in enumerate(given) if (a := _adapter(f)) is not None]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(f.column)) for f in [*given, *missing])
    width = len(given) + len(defaults)
    row_sql = (
        "("
        + ", ".join(["%s"] * len(given) + [sql if sql is not None else "%s" for sql in literals])
        + ")"
    )
    table = quote(meta.db_table)

    def values(row: Sequence[Any]) -> Sequence[Any]:
        if not adapters and not defaults:
            return row
        out = list(row)
        for i, adapt in adapters:
            out[i] = adapt(out[i])
        if defaults:
            out.extend(defaults)
        return out

    with connection.cursor() as cursor:
        if not returning_ids:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES {row_sql}", [values(r) for r in rows]
            )
            return []
        per = max(1, min(MAX_ROWS_PER_STATEMENT, _max_params() // width))
        assert meta.pk is not None
        pk = quote(str(meta.pk.column))
        ids: list[int] = []
        for at in range(0, len(rows), per):
            batch = rows[at : at + per]
            params: list[Any] = []
            for row in batch:
                params.extend(values(row))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(batch))} "
                f"RETURNING {pk}",
                params,
            )
            ids.extend(r[0] for r in cursor.fetchall())
        return ids
