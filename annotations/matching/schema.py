"""The database side of the passage index, run by migration 0013 (and kept here, so a
regenerated migration needs only to call these).

PostgreSQL: a stored generated ``tsvector`` column over the key with the ``simple``
configuration (the key is already lemmatised and folded, so no language's stemmer may touch
it) and a GIN index. SQLite: an FTS5 table over the key with external content and triggers,
so the index follows every insert, update and delete in the same transaction, in every
process. A later migration that makes SQLite rebuild ``annotations_passage`` drops the
triggers: it must call ``create_search_index`` again.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

PASSAGE_TABLE = "annotations_passage"
TERM_TABLE = "annotations_passageterm"
FTS_TABLE = "annotations_passage_fts"
TOTAL = ""  # the term row that counts every passage

_POSTGRES_UP = [
    f"ALTER TABLE {PASSAGE_TABLE} ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', key)) STORED",
    f"CREATE INDEX annotations_passage_search ON {PASSAGE_TABLE} USING gin (search)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS annotations_passage_search",
    f"ALTER TABLE {PASSAGE_TABLE} DROP COLUMN IF EXISTS search",
]
_SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(key, content='{PASSAGE_TABLE}', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {PASSAGE_TABLE}_ai AFTER INSERT ON {PASSAGE_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, key) VALUES (new.id, new.key); END",
    f"CREATE TRIGGER {PASSAGE_TABLE}_ad AFTER DELETE ON {PASSAGE_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, key) VALUES ('delete', old.id, old.key); END",
    f"CREATE TRIGGER {PASSAGE_TABLE}_au AFTER UPDATE ON {PASSAGE_TABLE} BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, key) VALUES ('delete', old.id, old.key); "
    f"INSERT INTO {FTS_TABLE}(rowid, key) VALUES (new.id, new.key); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {PASSAGE_TABLE}_ai",
    f"DROP TRIGGER IF EXISTS {PASSAGE_TABLE}_ad",
    f"DROP TRIGGER IF EXISTS {PASSAGE_TABLE}_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create_search_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"postgresql": _POSTGRES_UP, "sqlite": _SQLITE_UP})


def drop_search_index(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, {"postgresql": _POSTGRES_DOWN, "sqlite": _SQLITE_DOWN})


def term_counts(keys: Iterable[str]) -> Counter[str]:
    """{term: passages holding it} over passage keys, with the total under ``TOTAL``."""
    counts: Counter[str] = Counter()
    for key in keys:
        counts.update(set(key.split()))
        counts[TOTAL] += 1
    return counts


def add_term_counts(connection: Any, delta: Counter[str]) -> None:
    """Add ``delta`` to the term counts, in term order (two writers lock rows in one order,
    so they wait for each other instead of deadlocking)."""
    rows = [(term, n) for term, n in sorted(delta.items()) if n]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TERM_TABLE} (term, passages) VALUES (%s, %s) ON CONFLICT (term) "
            f"DO UPDATE SET passages = {TERM_TABLE}.passages + excluded.passages",
            rows,
        )


def fill_passages(apps: Any, schema_editor: Any) -> None:
    """Index the articles a desk already has (new ones are indexed as they are written)."""
    from annotations.matching.text import passage_key, split_passages

    article_model = apps.get_model("annotations", "Article")
    passage_model = apps.get_model("annotations", "Passage")
    counts: Counter[str] = Counter()
    for article in article_model.objects.only("id", "body", "language").iterator():
        rows = passage_model.objects.bulk_create(
            passage_model(
                article_id=article.id,
                start=start,
                end=end,
                key=passage_key(article.body[start:end], article.language),
            )
            for start, end in split_passages(article.body)
        )
        counts += term_counts(row.key for row in rows)
    add_term_counts(schema_editor.connection, counts)
