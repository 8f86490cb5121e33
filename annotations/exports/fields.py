"""The vocabulary a record is declared in, and what a declaration compiles to.

A record is a tuple of fields: ``Col`` (a model column), ``ApiUrl``, ``ArchiveUrl``,
``IsSet``, ``One`` (a to-one relation as a nested object), ``Group`` (columns as a nested
object, null when one is empty), ``Many`` (a reverse relation, as a list; a record may hold
several) and, inside a list's items, ``Names`` (a many-to-many as sorted names).
``compile_record`` walks it against the models and returns a ``Record``: the ``values()``
paths to read, the Python builder, the CSV columns and cells, the PostgreSQL query that
builds the same JSON, and the ``COPY`` that writes the same CSV rows. How a value is written
follows from its model field: timestamps in ISO 8601 UTC with a ``Z``, dates as
``YYYY-MM-DD``, CSV booleans as ``true``/``false``.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, partial
from operator import itemgetter
from typing import Any, cast
from urllib.parse import urlsplit

from django.db.models import ManyToManyField, Model

from annotations.columns import column_field, column_name, forward_relation, reverse_relation
from annotations.linkcheck.archive import snapshot_archive_path

Row = dict[str, Any]


def iso(value: datetime | date | None) -> str | None:
    """Timestamps as the API shows them: ISO 8601, UTC with a ``Z``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value.isoformat()


class Urls:
    """Absolute API addresses, built by string concatenation (no reverse() per claim)."""

    def __init__(self, api_root: str):
        self.root = api_root if api_root.endswith("/") else api_root + "/"
        parts = urlsplit(self.root)
        # The viewer's path around an id, so SQL can build the same address by concatenation.
        before, _, after = snapshot_archive_path(_SENTINEL_ID).partition(str(_SENTINEL_ID))
        self.archive_prefix = f"{parts.scheme}://{parts.netloc}{before}"
        self.archive_suffix = after
        from annotations.text_views import article_text_path  # the URLconf needs the models

        self.site = f"{parts.scheme}://{parts.netloc}"
        self.text_pattern = self.site + article_text_path("SLUG", "HASH")

    def claim(self, pk: int) -> str:
        return f"{self.root}claims/{pk}/"

    def article(self, pk: int) -> str:
        return f"{self.root}articles/{pk}/"

    def text(self, slug: str, content_hash: str) -> str:
        """The public plain text of one version of an article (what W3C selectors index)."""
        return self.text_pattern.replace("SLUG", slug, 1).replace("HASH", content_hash, 1)

    def archive(self, snapshot_id: int) -> str:
        """The desk's archive viewer of a snapshot (absolute)."""
        return f"{self.archive_prefix}{snapshot_id}{self.archive_suffix}"


_SENTINEL_ID = 987654321


# --- The declaration's vocabulary


@dataclass(frozen=True)
class Col:
    """A column of the current model. ``csv``: its CSV column name (True: the key; False: none).
    ``column``: the model field when the key names it otherwise."""

    key: str
    csv: str | bool = True
    column: str = ""

    @property
    def field_name(self) -> str:
        return self.column or self.key


@dataclass(frozen=True)
class ApiUrl:
    """The row's API address, ``<api root><collection>/<id>/``."""

    key: str
    collection: str
    csv: str | bool = True


@dataclass(frozen=True)
class ArchiveUrl:
    """The desk's archive address of the row (a snapshot): ``Urls.archive``."""

    key: str


@dataclass(frozen=True)
class IsSet:
    """True when ``column`` holds a value (e.g. ``signed_off`` from ``signed_off_at``)."""

    key: str
    column: str


@dataclass(frozen=True)
class One:
    """A to-one relation as a nested object; null when a nullable relation is empty."""

    key: str
    fields: tuple["Field", ...]
    relation: str = ""


@dataclass(frozen=True)
class Count:
    """CSV: the number of the list's items."""

    name: str


@dataclass(frozen=True)
class Spaced:
    """CSV: one column of the list's items, space-separated in the list's order (for values
    that hold no space, such as URLs, which the service refuses with one, and choices)."""

    name: str
    path: str


@dataclass(frozen=True)
class JsonItems:
    """CSV: the list's items as one JSON array of ``{key: item[path]}`` objects, written as
    ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes it (a cell holds any
    text, so the values survive as they are). ``keys``: (key, ``values()`` path) pairs."""

    name: str
    keys: tuple[tuple[str, str], ...]


Summary = Count | Spaced | JsonItems


@dataclass(frozen=True)
class Many:
    """A reverse relation as a list in ``order``; CSV shows ``summaries`` of it instead."""

    key: str
    fields: tuple["Field", ...]
    order: tuple[str, ...]
    summaries: tuple[Summary, ...] = ()


@dataclass(frozen=True)
class Names:
    """A list item's many-to-many relation as the sorted values of one column (usernames)."""

    key: str
    column: str


@dataclass(frozen=True)
class Group:
    """Columns as a nested object, null when ``present`` is empty; of the current model, or
    of a to-one ``relation`` that a ``One`` before it in the same object already joined."""

    key: str
    fields: tuple[Col, ...]
    present: str
    relation: str = ""


Field = Col | ApiUrl | ArchiveUrl | IsSet | One | Group | Many | Names


def user(key: str, *, csv: bool = True) -> One:
    """``{id, username}`` of a user; in CSV, the username under the key's name."""
    return One(key, (Col("id", csv=False), Col("username", csv=key if csv else False)))


# --- What the declaration compiles to

# A maker binds a getter to one export's URLs once, so each row costs only the getter call.
Getter = Callable[[Row], Any]
Maker = Callable[[Urls], Getter]

_PG_MOMENT = (
    "(to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN date_part('microseconds', {col})::bigint %% 1000000 = 0 THEN ''"
    " ELSE to_char({col} AT TIME ZONE 'UTC', '.US') END || 'Z')"
)


def _pg_value(column: str, internal_type: str) -> str:
    """A column as the API writes it, in PostgreSQL (``iso`` for dates and timestamps)."""
    if internal_type == "DateTimeField":
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE {_PG_MOMENT.format(col=column)} END"
    if internal_type == "DateField":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return column


def _py_value(path: str, internal_type: str) -> tuple[Maker, Maker]:
    """(record maker, CSV cell maker) of a column read as ``row[path]``."""
    if internal_type in ("DateTimeField", "DateField"):
        moment: Getter = lambda row: iso(row[path])  # noqa: E731
        return (lambda urls: moment), (lambda urls: moment)
    plain = itemgetter(path)
    if internal_type == "BooleanField":
        flag: Getter = lambda row: "true" if row[path] else "false"  # noqa: E731
        return (lambda urls: plain), (lambda urls: flag)
    return (lambda urls: plain), (lambda urls: plain)


# The kinds of column a CSV cell is written from, as PostgreSQL writes them (``_pg_cell``).
_TEXT_KINDS = ("CharField", "TextField", "URLField", "SlugField", "EmailField")
_INTEGER_KINDS = (
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",
    "OneToOneField",
)
# Cells starting with these are formulas to a spreadsheet (``csv=excel`` escapes them).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _pg_cell(column: str, internal_type: str) -> tuple[str, bool]:
    """(SQL, whether ``csv=excel`` can escape it) of a column's CSV cell.

    Only text can start with a formula character: a timestamp starts with a digit, a
    boolean is ``true`` or ``false``, and Python's escape leaves numbers alone.

    ``COPY`` writes NULL as an empty cell but ``''`` as ``""``, where Python's csv writes both
    empty: ``NULLIF`` turns ``''`` into NULL, so both paths write the same bytes.
    """
    if internal_type in ("DateTimeField", "DateField"):
        return _pg_value(column, internal_type), False
    if internal_type == "BooleanField":
        return f"CASE WHEN {column} THEN 'true' ELSE 'false' END", False
    if internal_type in _TEXT_KINDS:
        return f"NULLIF({column}, '')", True
    if internal_type in _INTEGER_KINDS:
        return column, False
    raise ValueError(f"{column}: no CSV cell for a {internal_type} in SQL")


def _given(sql: str, *, escapable: bool) -> Callable[[], tuple[str, bool]]:
    return lambda: (sql, escapable)


def _sql_text(text: str) -> str:
    """A string literal in the export's SQL (``%`` doubled: the query takes parameters)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


@dataclass(frozen=True)
class _Cell:
    """One CSV column: its name, its Python cell maker, and the same cell in SQL
    (``escapable``: it can start with a formula character, see ``_pg_cell``)."""

    name: str
    make: Maker
    sql: str
    escapable: bool


@dataclass
class _Part:
    """One JSON object of the record: its keys with their Python getters and SQL values.

    Nested to-one objects share their parent's ``paths`` and ``joins`` (one query);
    the to-many part (evidence) has its own.
    """

    paths: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    items: list[tuple[str, Maker]] = field(default_factory=list)
    sql: list[tuple[str, str]] = field(default_factory=list)
    csv: list[_Cell] = field(default_factory=list)
    # Names fields: (key, values() path); the chunk reader gathers them into row[key].
    names: list[tuple[str, str]] = field(default_factory=list)
    # Each column read: values() path -> (SQL column, internal type, record maker).
    columns: dict[str, tuple[str, str, Maker]] = field(default_factory=dict)
    # The CSV query's joins that the JSON query has no use for (the lists' summaries).
    csv_joins: list[str] = field(default_factory=list)

    def read(self, path: str) -> None:
        if path not in self.paths:
            self.paths.append(path)

    def add(self, key: str, make: Maker, sql: str) -> None:
        self.items.append((key, make))
        self.sql.append((key, sql))

    def add_csv(
        self, item: Col | ApiUrl, make: Maker, cell: Callable[[], tuple[str, bool]]
    ) -> None:
        """A CSV column for ``item``, named by its ``csv`` (True: its key; False: none);
        ``cell``: its SQL and whether ``csv=excel`` can escape it."""
        name = item.key if item.csv is True else item.csv
        if name:
            self.csv.append(_Cell(str(name), make, *cell()))

    def bind(self, urls: Urls) -> Callable[[Row], Row]:
        items = [(key, make(urls)) for key, make in self.items]
        return lambda row: {key: get(row) for key, get in items}

    def json_sql(self) -> str:
        return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in self.sql) + ")"


@dataclass(frozen=True)
class RecordList:
    """A ``Many`` of the record as the chunk reader fetches it: ``model`` rows whose ``fk``
    is the claim, in ``order``, read as ``part.paths``."""

    key: str
    model: type[Model]
    fk: str
    order: tuple[str, ...]
    part: _Part


@dataclass
class Record:
    """The compiled declaration: what to read, and how to write it in Python, CSV and SQL."""

    model: type[Model]
    alias: str
    main: _Part
    lists: list[RecordList]

    @property
    def csv_columns(self) -> list[str]:
        return [cell.name for cell in self.main.csv]

    def builder(self, urls: Urls) -> Callable[[Row], Row]:
        """The record of a claim row (``row[key]``: the rows of each list), for one export."""
        return self.main.bind(urls)

    def csv_cells(self, urls: Urls) -> Callable[[Row], list[Any]]:
        """The CSV cells of a claim row, in ``csv_columns`` order, for one export."""
        getters = [cell.make(urls) for cell in self.main.csv]
        return lambda row: [get(row) for get in getters]

    def csv_sql(self, *, excel: bool = False) -> str:
        """``COPY`` of the CSV rows of the ids in ``%(ids)s``, in that order, as the Python
        path writes them (``csv_cells`` through ``csv.writer``, lines ending in LF).

        ``excel``: a text cell starting with one of ``FORMULA_START`` gets a leading ``'``,
        as ``csv_table.excel_cell`` does. The rows come in the order of the ids (``WITH
        ORDINALITY``), so the chunk's keyset order holds without writing it again in SQL.
        """
        starts = ", ".join(
            _sql_text(c) if c.isprintable() else f"chr({ord(c)})" for c in FORMULA_START
        )
        apostrophe = _sql_text("'")
        cells = []
        for cell in self.main.csv:
            sql = cell.sql
            if excel and cell.escapable:
                sql = (
                    f"CASE WHEN left({sql}, 1) IN ({starts})"
                    f" THEN {apostrophe} || {sql} ELSE {sql} END"
                )
            cells.append(sql)
        table = self.model._meta.db_table
        return (
            "COPY (SELECT " + ",\n  ".join(cells) + "\n"
            'FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS "keys"("id", "n")\n'
            f'JOIN "{table}" {self.alias} ON {self.alias}."id" = "keys"."id"\n'
            + "\n".join([*self.main.joins, *self.main.csv_joins])
            + '\nORDER BY "keys"."n") TO STDOUT WITH (FORMAT csv)'
        )

    @cached_property
    def sql(self) -> str:
        """(id, JSON text) of each id in ``%(ids)s``, in no order; ``%(root)s``: the API root.

        The caller puts them in its order: ``ORDER BY array_position(...)`` cost the
        database more than a dict lookup per row costs Python.
        """
        table = self.model._meta.db_table
        return (
            f'SELECT {self.alias}."id", {self.main.json_sql()}::text\n'
            f'FROM "{table}" {self.alias}\n' + "\n".join(self.main.joins) + "\n"
            f'WHERE {self.alias}."id" = ANY(%(ids)s)'
        )


def _alias(name: str) -> str:
    return f'"{name}"'


def _compile(
    fields: Sequence[Field],
    part: _Part,
    model: type[Model],
    *,
    prefix: str,
    alias: str,
    csv: bool,
    record: dict[str, Any],
) -> None:
    """Add ``fields`` of ``model`` (read as ``row[prefix + name]``, joined as ``alias``)."""
    for item in fields:
        if isinstance(item, Col):
            model_field = column_field(model, item.field_name)
            kind = model_field.get_internal_type()
            path = prefix + item.field_name
            part.read(path)
            get, cell = _py_value(path, kind)
            column = f'{alias}."{column_name(model_field)}"'
            part.columns[path] = (column, kind, get)
            part.add(item.key, get, _pg_value(column, kind))
            if csv:
                part.add_csv(item, cell, partial(_pg_cell, column, kind))
        elif isinstance(item, ApiUrl):
            path = prefix + "id"
            part.read(path)
            base = f"{item.collection}/"
            get = _url_maker(base, path)
            url = f"%(root)s || '{base}' || {alias}.\"id\" || '/'"
            part.add(item.key, get, url)
            if csv:
                # Never a formula: the address starts with the API root's scheme.
                part.add_csv(item, get, _given(url, escapable=False))
        elif isinstance(item, ArchiveUrl):
            path = prefix + "id"
            part.read(path)
            part.add(
                item.key,
                _archive_maker(path),
                f'%(archive_prefix)s || {alias}."id" || %(archive_suffix)s',
            )
        elif isinstance(item, IsSet):
            path = prefix + item.column
            part.read(path)
            column = column_name(column_field(model, item.column))
            part.add(item.key, _is_set_maker(path), f'{alias}."{column}" IS NOT NULL')
        elif isinstance(item, One):
            _compile_one(item, part, model, prefix=prefix, alias=alias, csv=csv, record=record)
        elif isinstance(item, Group):
            _compile_group(item, part, model, prefix=prefix, alias=alias, record=record)
        elif isinstance(item, Many):
            _compile_many(item, part, model, alias=alias, record=record)
        elif isinstance(item, Names):
            _compile_names(item, part, model, alias=alias)
        else:
            raise TypeError(f"not a record field: {item!r}")


def _compile_one(
    item: One,
    part: _Part,
    model: type[Model],
    *,
    prefix: str,
    alias: str,
    csv: bool,
    record: dict[str, Any],
) -> None:
    relation = forward_relation(model, item.relation or item.key)
    target = relation.related_model
    sub_alias = _alias(alias.strip('"') + "__" + relation.name)
    sub_prefix = f"{prefix}{relation.name}__"
    part.joins.append(
        f'{"LEFT JOIN" if relation.null else "JOIN"} "{target._meta.db_table}" {sub_alias}'
        f' ON {sub_alias}."{column_name(relation.target_field)}"'
        f' = {alias}."{column_name(relation)}"'
    )
    nested = _Part(paths=part.paths, joins=part.joins, columns=part.columns)
    _compile(
        item.fields, nested, target, prefix=sub_prefix, alias=sub_alias, csv=csv, record=record
    )
    part.csv.extend(nested.csv)
    body = nested.json_sql()
    if not relation.null:
        part.add(item.key, nested.bind, body)
        return
    pk_path = f"{sub_prefix}id"
    if pk_path not in part.paths:
        raise ValueError(f"{item.key}: a relation that can be empty needs its id in the record")
    part.add(
        item.key,
        _nullable_maker(nested, pk_path),
        f'CASE WHEN {sub_alias}."id" IS NULL THEN NULL ELSE {body} END',
    )


def _compile_group(
    item: Group, part: _Part, model: type[Model], *, prefix: str, alias: str, record: dict[str, Any]
) -> None:
    if item.relation:
        relation = forward_relation(model, item.relation)
        model = relation.related_model
        alias = _alias(alias.strip('"') + "__" + relation.name)
        prefix = f"{prefix}{relation.name}__"
        if not any(f'"{model._meta.db_table}" {alias} ' in join for join in part.joins):
            raise ValueError(f"{item.key}: join {item.relation} with a One before the Group")
    nested = _Part(paths=part.paths, joins=part.joins, columns=part.columns)
    _compile(item.fields, nested, model, prefix=prefix, alias=alias, csv=False, record=record)
    present = column_field(model, item.present)
    column = f'{alias}."{column_name(present)}"'
    empty = f"{column} IS NULL"
    if present.get_internal_type() in ("CharField", "TextField", "URLField"):
        empty = f"COALESCE({column}, '') = ''"
    part.read(prefix + item.present)
    part.add(
        item.key,
        _group_maker(nested, prefix + item.present),
        f"CASE WHEN {empty} THEN NULL ELSE {nested.json_sql()} END",
    )


def _compile_many(
    item: Many, part: _Part, model: type[Model], *, alias: str, record: dict[str, Any]
) -> None:
    if record.get("in_list"):
        raise ValueError(f"{item.key}: a list inside a list is not supported")
    relation = reverse_relation(model, item.key)
    target = relation.related_model
    fk = relation.field  # the target's foreign key to this model
    sub_alias = _alias(item.key)
    many = _Part()
    record["in_list"] = True
    _compile(item.fields, many, target, prefix="", alias=sub_alias, csv=False, record=record)
    record["in_list"] = False
    order = ", ".join(f'{sub_alias}."{column_name(column_field(target, n))}"' for n in item.order)
    joins = " ".join(many.joins)
    subquery = (
        f"SELECT json_agg({many.json_sql()} ORDER BY {order}) "
        f'FROM "{target._meta.db_table}" {sub_alias} {joins} '
        f'WHERE {sub_alias}."{column_name(fk)}" = {alias}."id"'
    )
    part.add(item.key, _many_maker(item.key, many), f"COALESCE(({subquery}), '[]'::json)")
    if item.summaries:
        _compile_summaries(item, many, part, target, fk=column_name(fk), alias=alias, order=order)
    record.setdefault("lists", []).append(
        RecordList(key=item.key, model=target, fk=fk.attname, order=item.order, part=many)
    )


def _compile_summaries(
    item: Many, many: _Part, part: _Part, target: type[Model], *, fk: str, alias: str, order: str
) -> None:
    """The list's CSV summaries: in Python from the rows read, in SQL as the aggregates of one
    lateral subquery per claim (one scan of its items for every summary)."""
    summary_alias = _alias(f"{item.key}__summary")
    aggregates = []
    for number, summary in enumerate(item.summaries):
        if isinstance(summary, Count):
            sql, escapable = "count(*)", False
        elif isinstance(summary, Spaced):
            column, _, _ = _list_column(item, many, summary.path)
            sql, escapable = f"NULLIF(string_agg({column}, ' ' ORDER BY {order}), '')", True
        elif isinstance(summary, JsonItems):
            # Starts with "[" (a formula never does), as the Python cell does.
            sql, escapable = _json_items_sql(item, many, summary, order), False
        else:
            raise TypeError(f"not a list summary: {summary!r}")
        aggregates.append(f'{sql} AS "{number}"')
        maker = _summary_maker(item.key, summary, many)
        part.csv.append(_Cell(summary.name, maker, f'{summary_alias}."{number}"', escapable))
    sub_alias = _alias(item.key)
    joins = _joins_used(many.joins, " ".join(aggregates))
    part.csv_joins.append(
        f"CROSS JOIN LATERAL (SELECT {', '.join(aggregates)} "
        f'FROM "{target._meta.db_table}" {sub_alias} {" ".join(joins)} '
        f'WHERE {sub_alias}."{fk}" = {alias}."id") {summary_alias}'
    )


def _joins_used(joins: list[str], sql: str) -> list[str]:
    """The joins whose alias ``sql`` (or a join kept after it) names. Leaving out the others
    changes no row: a plain ``JOIN`` is only compiled for a foreign key that cannot be null."""
    kept: list[str] = []
    for join in reversed(joins):
        alias = join.partition('" "')[2].partition('"')[0]
        if f'"{alias}".' in sql or any(f'"{alias}".' in later for later in kept):
            kept.insert(0, join)
    return kept


def _json_items_sql(item: Many, many: _Part, summary: JsonItems, order: str) -> str:
    """The JSON array built as text, so that it is what ``json.dumps`` writes, byte for byte:
    ``json_build_object`` would write ``{"key" : value, ...}``, but ``to_json`` of one value
    escapes a string as ``json.dumps(ensure_ascii=False)`` does (the named escapes, other
    control characters as lower-case ``\\u00xx``, the rest as it is)."""
    pairs = []
    for index, (key, path) in enumerate(summary.keys):
        column, kind, _ = _list_column(item, many, path)
        name = ("{" if index == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"
        value = f"COALESCE(to_json({_pg_value(column, kind)})::text, 'null')"
        pairs.append(f"{_sql_text(name)} || {value}")
    obj = " || ".join(pairs) + " || '}'" if pairs else "'{}'"
    return f"COALESCE('[' || string_agg({obj}, ',' ORDER BY {order}) || ']', '[]')"


def _list_column(item: Many, many: _Part, path: str) -> tuple[str, str, Maker]:
    if path not in many.columns:
        raise ValueError(f"{item.key}: a summary of {path}, which the list does not read")
    return many.columns[path]


def _compile_names(item: Names, part: _Part, model: type[Model], *, alias: str) -> None:
    relation = model._meta.get_field(item.key)
    if not isinstance(relation, ManyToManyField):
        raise TypeError(f"{model.__name__}.{item.key} is not a many-to-many field")
    through_model = cast(type[Model], relation.remote_field.through)
    target_model = relation.related_model
    through, target = through_model._meta, target_model._meta
    source_column = column_name(column_field(through_model, relation.m2m_field_name()))
    target_column = column_name(column_field(through_model, relation.m2m_reverse_field_name()))
    value = f'n."{column_name(column_field(target_model, item.column))}"'
    # COLLATE "C" sorts by code point, as Python's sorted() does.
    subquery = (
        f'SELECT json_agg({value} ORDER BY {value} COLLATE "C") '
        f'FROM "{through.db_table}" t JOIN "{target.db_table}" n ON n."id" = t."{target_column}" '
        f'WHERE t."{source_column}" = {alias}."id"'
    )
    path = f"{item.key}__{item.column}"
    part.names.append((item.key, path))
    part.read("id")
    part.add(item.key, lambda urls: itemgetter(item.key), f"COALESCE(({subquery}), '[]'::json)")


def _url_maker(base: str, path: str) -> Maker:
    def make(urls: Urls) -> Getter:
        start = urls.root + base
        return lambda row: f"{start}{row[path]}/"

    return make


def _is_set_maker(path: str) -> Maker:
    return lambda urls: lambda row: row[path] is not None


def _archive_maker(path: str) -> Maker:
    def make(urls: Urls) -> Getter:
        return lambda row: urls.archive(row[path])

    return make


def _group_maker(nested: _Part, present: str) -> Maker:
    def make(urls: Urls) -> Getter:
        build = nested.bind(urls)
        return lambda row: None if row[present] in (None, "") else build(row)

    return make


def _nullable_maker(nested: _Part, pk_path: str) -> Maker:
    def make(urls: Urls) -> Getter:
        build = nested.bind(urls)
        return lambda row: None if row[pk_path] is None else build(row)

    return make


def _many_maker(key: str, many: _Part) -> Maker:
    def make(urls: Urls) -> Getter:
        build = many.bind(urls)
        return lambda row: [build(item) for item in row[key]]

    return make


def _summary_maker(key: str, summary: Summary, many: _Part) -> Maker:
    if isinstance(summary, Count):
        return lambda urls: lambda row: len(row[key])
    if isinstance(summary, Spaced):
        path = summary.path
        return lambda urls: lambda row: " ".join(item[path] for item in row[key])
    keys = [(name, many.columns[path][2]) for name, path in summary.keys]

    def make(urls: Urls) -> Getter:
        getters = [(name, get(urls)) for name, get in keys]
        return lambda row: json.dumps(
            [{name: get(item) for name, get in getters} for item in row[key]],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    return make


def compile_record(model: type[Model], fields: Sequence[Field]) -> Record:
    # Set for every model class Django has built; the stub allows None for Options in general.
    alias = _alias(cast(str, model._meta.model_name))
    main = _Part()
    found: dict[str, Any] = {}
    _compile(fields, main, model, prefix="", alias=alias, csv=True, record=found)
    return Record(model=model, alias=alias, main=main, lists=found.get("lists", []))
