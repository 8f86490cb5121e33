"""Claim texts kept built (``ExportRecord``): json/jsonl records, CSV rows (raw and excel)
and W3C annotations, which exports read instead of building them.

Building a record is most of an export's cost (the joins, then the JSON, in SQL or in
Python); reading a stored text is close to the database's own floor. So an export reads
each claim's stored text and builds, then stores, only the ones missing; the beat task
``refresh_export_records`` builds the json records ahead of the next export.

A stored text is never stale. Triggers on every table the texts show (``shown()``,
installed by ``install_triggers``) empty them and bump the claim's ``generation`` in the
writer's own transaction, whatever made the change: a service, the admin, a bulk
``update()``, raw SQL. A text is stored only if its generation is still the one read before
it was built, so a change committed while it was being built wins (``_keep``).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from annotations import selectors
from annotations.exports.base import dump
from annotations.exports.chunks import claim_rows, csv_copy, rows_with_bytes, sql_records
from annotations.exports.fields import Record, Row, Urls
from annotations.exports.records import JSON_RECORD, RECORD
from annotations.models import (
    Article,
    Assessment,
    Claim,
    Comment,
    Evidence,
    ExportRecord,
    Snapshot,
    SourceLink,
)

TEXT = "stored_text"


@dataclass(frozen=True)
class Kept:
    """One text a claim's ``ExportRecord`` keeps: its column, and how a chunk of them is
    built ``(ids, urls) -> {id: text}``, in PostgreSQL and in Python."""

    column: str
    build_in_postgresql: Callable[[list[int], Urls], dict[int, str]]
    build_in_python: Callable[[list[int], Urls], dict[int, str]]


def text_chunks(
    queryset: QuerySet[Claim], *, urls: Urls, kept: "Kept", **walk: Any
) -> Iterator[list[bytes]]:
    """The claims' ``kept`` texts, per keyset chunk (``keyed_chunks`` without the ids)."""
    for chunk in keyed_chunks(queryset, urls=urls, kept=kept, **walk):
        yield [text for _, text in chunk]


def keyed_chunks(
    queryset: QuerySet[Claim],
    *,
    keyset: selectors.Keyset,
    chunk_size: int,
    urls: Urls,
    kept: "Kept",
    after: Sequence[Any] | None = None,
    limit: int | None = None,
) -> Iterator[list[tuple[int, bytes]]]:
    """(claim id, its ``kept`` text in UTF-8) per keyset chunk: stored texts as they are,
    the others built and stored.

    One query per chunk when every text is stored; when some are not, ``build``'s.
    """
    # Looked up per claim (an index probe each): as a LEFT JOIN, PostgreSQL chose a merge
    # join that read the stored rows from the first one on for every chunk.
    store = ExportRecord.objects.filter(claim_id=OuterRef("id"), root=urls.root)
    rows = queryset.annotate(stored_text=Subquery(store.values(kept.column))).values(
        *dict.fromkeys([*(field.name for field in keyset), "id"]), TEXT
    )
    for chunk in selectors.iter_chunks(
        rows,
        keyset=keyset,
        chunk_size=chunk_size,
        after=after,
        limit=limit,
        fetch=lambda page: rows_with_bytes(page, TEXT),
    ):
        texts = {row["id"]: row[TEXT] for row in chunk if row[TEXT]}
        missing = [row["id"] for row in chunk if row["id"] not in texts]
        if missing:
            texts.update((pk, text.encode()) for pk, text in build(missing, urls, kept).items())
        yield [(row["id"], texts[row["id"]]) for row in chunk]


def record_chunks(
    queryset: QuerySet[Claim], *, keyset: selectors.Keyset, chunk_size: int, urls: Urls
) -> Iterator[list[bytes]]:
    """The claims' json records (``JSON_RECORD``), per keyset chunk (``text_chunks``)."""
    return text_chunks(queryset, keyset=keyset, chunk_size=chunk_size, urls=urls, kept=JSON)


def build(ids: list[int], urls: Urls, kept: "Kept | None" = None) -> dict[int, str]:
    """The texts of these claims, built and stored.

    On PostgreSQL json records are built and stored by one statement. Other texts are
    stored only if their claim's generation, read here before building, has not moved on:
    two queries more (the generations, then the store).
    """
    kept = kept or JSON
    if connection.vendor == "postgresql" and kept is JSON:
        return kept.build_in_postgresql(ids, urls)
    generations = dict(
        ExportRecord.objects.filter(claim_id__in=ids).values_list("claim_id", "generation")
    )
    if connection.vendor == "postgresql":
        texts = kept.build_in_postgresql(ids, urls)
    else:
        texts = kept.build_in_python(ids, urls)
    _keep(kept.column, texts, generations, urls.root)
    return texts


def _keep(column: str, texts: dict[int, str], generations: dict[int, int], root: str) -> None:
    """Store the texts whose claims' generation is still the one read before building.

    A writer that commits after that read has bumped it, so its change is never hidden
    behind a text built without it. The other texts, if built for another address, are
    emptied: one ``root`` holds for all of a claim's texts.
    """
    others = [other for other in TEXT_COLUMNS if other != column]
    keep_others = ", ".join(
        f'{_q(other)} = CASE WHEN "root" = %s THEN {_q(other)} ELSE {EMPTY} END' for other in others
    )
    params: list[tuple[str | int, ...]] = [
        (texts[pk], *([root] * len(others)), root, pk, generation)
        for pk, generation in generations.items()
        if pk in texts
    ]
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_q(_table(ExportRecord))} SET {_q(column)} = %s, {keep_others}, "
            '"root" = %s WHERE "claim_id" = %s AND "generation" = %s',
            params,
        )


def _json_in_python(ids: list[int], urls: Urls) -> dict[int, str]:
    make = JSON_RECORD.builder(urls)
    return {row["id"]: dump(make(row)) for row in _rows(ids, JSON_RECORD)}


def _rows(ids: list[int], record: Record) -> Iterator[Row]:
    for chunk in claim_rows(
        Claim.objects.filter(pk__in=ids),
        keyset=selectors.ID_ORDERING,
        chunk_size=len(ids),
        limit=len(ids),
        record=record,
    ):
        yield from chunk


def _json_in_postgresql(ids: list[int], urls: Urls) -> dict[int, str]:
    """Build and store in one statement, the texts never crossing the wire twice.

    The records and the generations they were built at come from the statement's one
    snapshot. A writer that bumps a generation meanwhile holds its row until it commits;
    PostgreSQL then checks the ``UPDATE``'s condition again on the new row, which no longer
    matches, so the text built without the change is not stored.
    """
    table = _q(_table(ExportRecord))
    others = ", ".join(
        f'{_q(other)} = CASE WHEN {table}."root" = %(root)s THEN {table}.{_q(other)}'
        f" ELSE {EMPTY} END"
        for other in TEXT_COLUMNS
        if other != "json"
    )
    sql = (
        f'WITH "built" AS (SELECT "b"."id", "b"."text", "s"."generation"'
        f' FROM ({JSON_RECORD.sql}) AS "b"("id", "text")'
        f' JOIN {table} "s" ON "s"."claim_id" = "b"."id"),'
        f' "kept" AS (UPDATE {table} SET "json" = "built"."text", {others}, "root" = %(root)s'
        f' FROM "built" WHERE {table}."claim_id" = "built"."id"'
        f' AND {table}."generation" = "built"."generation")'
        ' SELECT "id", "text" FROM "built"'
    )
    return sql_records(ids, api_root=urls.root, record=JSON_RECORD, sql=sql)


def _csv_in_python(excel: bool) -> Callable[[list[int], Urls], dict[int, str]]:
    def build_csv(ids: list[int], urls: Urls) -> dict[int, str]:
        from annotations.exports.csv_table import csv_lines  # which reads the store

        rows = list(_rows(ids, RECORD))
        return dict(
            zip((row["id"] for row in rows), csv_lines(rows, urls, excel=excel), strict=True)
        )

    return build_csv


def _csv_in_postgresql(excel: bool) -> Callable[[list[int], Urls], dict[int, str]]:
    def build_csv(ids: list[int], urls: Urls) -> dict[int, str]:
        text = csv_copy(ids, api_root=urls.root, excel=excel)
        return dict(zip(ids, _csv_rows(text), strict=True))

    return build_csv


def _csv_rows(text: str) -> Iterator[str]:
    """The rows of a CSV text whose lines end in LF, each with its LF.

    A line break ends a row only outside quotes, that is where the quotes before it are
    even in number (an escaped quote is two).
    """
    row, quotes = "", 0
    for line in text.split("\n")[:-1]:
        row += line + "\n"
        quotes += line.count('"')
        if quotes % 2 == 0:
            yield row
            row, quotes = "", 0
    assert not row, "a CSV text ends inside quotes"


def _w3c(ids: list[int], urls: Urls) -> dict[int, str]:
    from annotations.exports.w3c import W3C_RECORD, annotation  # which reads the store

    return {row["id"]: dump(annotation(row, urls)) for row in _rows(ids, W3C_RECORD)}


JSON = Kept("json", _json_in_postgresql, _json_in_python)
CSV = Kept("csv", _csv_in_postgresql(False), _csv_in_python(False))
CSV_EXCEL = Kept("csv_excel", _csv_in_postgresql(True), _csv_in_python(True))
W3C = Kept("w3c", _w3c, _w3c)  # a W3C annotation, built in Python on every database
TEXT_COLUMNS = ("json", "csv", "csv_excel", "w3c")


def refresh(urls: Urls, *, chunk_size: int, limit: int | None = None) -> int:
    """Build and store the records of live claims that have none for ``urls``; how many.

    What the beat task runs, so that the next export finds them stored.
    """
    stale = (
        ExportRecord.objects.filter(claim__deleted_at__isnull=True)
        .exclude(~Q(json=""), root=urls.root)
        .values("claim_id")
    )
    built = 0
    for chunk in selectors.iter_chunks(
        stale,
        keyset=(selectors.KeyField("claim_id", int),),
        chunk_size=chunk_size,
        limit=limit,
    ):
        built += len(build([row["claim_id"] for row in chunk], urls))
    return built


# --- The triggers


@dataclass(frozen=True)
class Shown:
    """A table the record shows, and which claims' records a change of its rows clears:
    the claim in its ``claim`` column, or those found in ``via`` = (table, its claim
    column, its column matching this table's ``key``). ``changed``: only when that column
    changes, and then every record (a rename shows in any claim)."""

    table: str
    events: tuple[str, ...]
    claim: str = ""
    via: tuple[str, str, str] | None = None
    key: str = "id"
    changed: str = ""


EVERY = ("INSERT", "UPDATE", "DELETE")


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def _column(model: type[Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    assert isinstance(column, str)
    return column


def shown() -> list[Shown]:
    """Every table the stored texts read (``JSON_RECORD``; ``RECORD`` and ``W3C_RECORD``
    read no others): a test checks each against a real change."""
    claims, evidence, comments = _table(Claim), _table(Evidence), _table(Comment)
    mentions = Comment.mentions.through
    via_evidence = lambda name: (evidence, "claim_id", _column(Evidence, name))  # noqa: E731
    return [
        Shown(claims, ("UPDATE",), claim="id"),
        Shown(_table(Article), ("UPDATE",), via=(claims, "id", _column(Claim, "article"))),
        Shown(evidence, EVERY, claim=_column(Evidence, "claim")),
        Shown(_table(SourceLink), ("UPDATE",), via=via_evidence("source_link")),
        Shown(_table(Snapshot), ("UPDATE",), via=via_evidence("pinned_snapshot")),
        Shown(_table(Assessment), EVERY, claim=_column(Assessment, "claim")),
        Shown(comments, EVERY, claim=_column(Comment, "claim")),
        Shown(
            _table(mentions),
            EVERY,
            via=(comments, _column(Comment, "claim"), "id"),
            key=_column(mentions, "comment"),
        ),
        Shown(_table(get_user_model()), ("UPDATE",), changed="username"),
    ]


def _name(table: str, event: str) -> str:
    return f"export_record_{table}_{event}".lower()


def install_triggers(db: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers on ``db``: PostgreSQL and SQLite."""
    uninstall_triggers(db)
    statements = _postgresql() if db.vendor == "postgresql" else _sqlite()
    with db.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall_triggers(db: BaseDatabaseWrapper) -> None:
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        for table, event in _every_trigger():
            name = _name(table, event)
            if db.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {quote(name)}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")


def _every_trigger() -> Iterator[tuple[str, str]]:
    claims = _table(Claim)
    yield claims, "INSERT"
    yield claims, "DELETE"
    for each in shown():
        for event in each.events:
            yield each.table, event


EMPTY = "''"  # SQL's empty text: a record not built since it changed


def _q(name: str) -> str:
    return f'"{name}"'


def _clear(ids_sql: str | None = None) -> str:
    """Empty the texts of the claims ``ids_sql`` selects (every claim's without it)."""
    where = "" if ids_sql is None else f' WHERE "claim_id" IN ({ids_sql})'
    empty = ", ".join(f"{_q(column)} = {EMPTY}" for column in TEXT_COLUMNS)
    return f'UPDATE {_q(_table(ExportRecord))} SET "generation" = "generation" + 1, {empty}{where}'


def _add(ids_sql: str) -> str:
    columns = ", ".join(_q(column) for column in TEXT_COLUMNS)
    empty = ", ".join(EMPTY for _ in TEXT_COLUMNS)
    return (
        f'INSERT INTO {_q(_table(ExportRecord))} ("claim_id", "generation", "root", {columns})'
        f' SELECT "id", 0, {EMPTY}, {empty} FROM ({ids_sql}) AS "added" WHERE true'
        ' ON CONFLICT ("claim_id") DO NOTHING'
    )


def _remove(ids_sql: str) -> str:
    return f'DELETE FROM {_q(_table(ExportRecord))} WHERE "claim_id" IN ({ids_sql})'


def _rows_of(event: str) -> list[str]:
    """The transition tables (PostgreSQL) or row names (SQLite) an event has."""
    return {"INSERT": ["new"], "DELETE": ["old"], "UPDATE": ["new", "old"]}[event]


def _claims_of(each: Shown, rows: str, *, relation: bool) -> str:
    """The ids of the claims whose records show the changed ``rows``: a relation (the
    PostgreSQL transition table) or a row (SQLite's NEW or OLD)."""
    if each.claim:
        return f"SELECT {_q(each.claim)} FROM {rows}" if relation else f"{rows}.{_q(each.claim)}"
    assert each.via is not None
    table, claim, column = each.via
    if relation:
        return (
            f'SELECT "v".{_q(claim)} FROM {_q(table)} "v"'
            f' JOIN {rows} "r" ON "v".{_q(column)} = "r".{_q(each.key)}'
        )
    return f"SELECT {_q(claim)} FROM {_q(table)} WHERE {_q(column)} = {rows}.{_q(each.key)}"


def _postgresql() -> Iterable[str]:
    """Statement triggers with transition tables: one statement per change, however many
    rows it touched (a bulk import, a batch of link checks)."""
    claims = _table(Claim)
    bodies: list[tuple[str, str, str]] = [
        (claims, "INSERT", _add('SELECT "id" FROM "new_rows"')),
        (claims, "DELETE", _remove('SELECT "id" FROM "old_rows"')),
    ]
    for each in shown():
        for event in each.events:
            if each.changed:
                column = _q(each.changed)
                body = (
                    'IF EXISTS (SELECT 1 FROM "old_rows" "o" JOIN "new_rows" "n"'
                    f' ON "o"."id" = "n"."id" WHERE "o".{column} IS DISTINCT FROM "n".{column})'
                    f" THEN {_clear()}; END IF"
                )
            else:
                ids = " UNION ".join(
                    _claims_of(each, f'"{rows}_rows"', relation=True) for rows in _rows_of(event)
                )
                body = _clear(ids)
            bodies.append((each.table, event, body))
    for table, event, body in bodies:
        name = _q(_name(table, event))
        referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _rows_of(event))
        yield (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {body}; RETURN NULL; END $$"
        )
        yield (
            f"CREATE TRIGGER {name} AFTER {event} ON {_q(table)} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def _sqlite() -> Iterable[str]:
    """Row triggers (SQLite has no statement triggers)."""
    claims = _table(Claim)
    bodies: list[tuple[str, str, str, str]] = [
        (claims, "INSERT", "", _add('SELECT NEW."id" AS "id"')),
        (claims, "DELETE", "", _remove('OLD."id"')),
    ]
    for each in shown():
        for event in each.events:
            if each.changed:
                column = _q(each.changed)
                bodies.append((each.table, event, f"OLD.{column} IS NOT NEW.{column}", _clear()))
                continue
            # A claim column gives values (NEW.x, OLD.x); a lookup gives queries to unite.
            ids = (", " if each.claim else " UNION ").join(
                _claims_of(each, rows.upper(), relation=False) for rows in _rows_of(event)
            )
            bodies.append((each.table, event, "", _clear(ids)))
    for table, event, when, body in bodies:
        condition = f" WHEN {when}" if when else ""
        yield (
            f"CREATE TRIGGER {_q(_name(table, event))} AFTER {event} ON {_q(table)}"
            f" FOR EACH ROW{condition} BEGIN {body}; END"
        )


def fill(db: BaseDatabaseWrapper) -> None:
    """A row for every claim there is (later claims get theirs from a trigger)."""
    with db.cursor() as cursor:
        cursor.execute(_add(f'SELECT "id" FROM {_q(_table(Claim))}'))


def after_migrate(db: BaseDatabaseWrapper) -> None:
    """The triggers installed again, a row for every claim, and no record kept.

    SQLite loses a table's triggers when a migration rebuilds it, and a data migration's
    writes may have gone unseen: after a migrate nothing stored is trusted.
    """
    if _table(ExportRecord) not in db.introspection.table_names():
        return  # migrated back before the table
    install_triggers(db)
    fill(db)
    with db.cursor() as cursor:
        cursor.execute(_clear())
