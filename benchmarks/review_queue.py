"""The review queue's first page at scale, against the bare SQL of its rows as the floor.

Fills its own PostgreSQL database with BENCH_CLAIMS claims (default 100,000) over 1,000
articles, each with two assessments by 10 analysts (15% disagreeing, so in disagreement),
some signed off (a few of those citing broken links or changed sources), withdrawn and
orphaned; then times the first page through the admin view with Django's test client
(median of 20, after a warm-up), the selector alone, and the page's SQL run bare: the
rows query alone (the floor) and with the counts query. Prints EXPLAIN of both.

    .venv/bin/python benchmarks/review_queue.py

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/wb_bench_queue;
the database is dropped and recreated). Without it the script says so and exits 0.
"""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wb_bench_queue")
CLAIMS = int(os.environ.get("BENCH_CLAIMS", "100000"))
ARTICLES = 1000
ANALYSTS = 10
RUNS = 20
TARGET_MS = 300


def recreate_database() -> bool:
    import psycopg

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    try:
        with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is not reachable ({exc}); nothing measured.")
        return False
    return True


def setup_django() -> None:
    os.environ.update(DATA_DIR=tempfile.mkdtemp(prefix="bench-queue-"), DATABASE_URL=DB_URL)
    os.environ.update(DEBUG="0")
    os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: plain static URLs (the page's SQL and rendering are measured).
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    support.database_defaults()  # hand-written INSERTs meet new columns' defaults


FILL = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!', g = 0, CASE WHEN g = 0 THEN 'bench-reviewer' ELSE 'bench-analyst-' || g END,
       '', '', '', g = 0, true, now()
FROM generate_series(0, %(analysts)s) g;

INSERT INTO annotations_article (title, slug, body, language, source_name, source_url,
    published_on, content_hash, source_file, created_at, updated_at)
SELECT 'Article ' || g, 'bench-' || g, repeat('Lorem ipsum dolor sit amet. ', 80), 'en', '',
       '', current_date - g, md5(g::text), 'bench-' || g || '.txt', now(), now()
FROM generate_series(1, %(articles)s) g;

{source_links}CREATE TEMP TABLE bench_claim AS
SELECT g,
       (g - 1) / %(per_article)s + 1 AS article,
       ((g - 1) %% %(per_article)s) * 10 AS start,
       g %% 100 < 15 AS disagree,
       g %% 100 >= 15 AND g %% 10 = 5 AS signed,
       g %% 100 >= 15 AND g %% 50 = 17 AS withdrawn,
       g %% 200 = 33 AS orphaned
FROM generate_series(1, %(claims)s) g;

INSERT INTO annotations_claim (id, article_id, start, "end", quote, prefix, suffix,
    is_orphaned, verdict, rationale, in_disagreement, created_by_id, updated_by_id,
    created_at, updated_at, version, signed_off_by_id, signed_off_at, sign_off_withdrawn_at)
SELECT g, article, start, start + 8, 'Lorem ip', '', '', orphaned,
       CASE WHEN disagree THEN 'pending' ELSE 'verified' END, '', disagree,
       (SELECT id FROM auth_user WHERE username = 'bench-analyst-1'),
       (SELECT id FROM auth_user WHERE username = 'bench-analyst-1'),
       now() - interval '30 days', now() - g * interval '1 second', 2,
       CASE WHEN signed THEN (SELECT id FROM auth_user WHERE username = 'bench-reviewer') END,
       CASE WHEN signed THEN now() - interval '2 days' END,
       CASE WHEN withdrawn THEN now() - g * interval '1 second' END
FROM bench_claim;
SELECT setval(pg_get_serial_sequence('annotations_claim', 'id'), %(claims)s);

INSERT INTO annotations_assessment (claim_id, analyst_id, verdict, rationale, created_at,
    updated_at, version)
SELECT c.g, u.id,
       CASE WHEN c.disagree AND n = 2 THEN 'disputed' ELSE 'verified' END, '', now(), now(), 1
FROM bench_claim c
CROSS JOIN generate_series(1, 2) n
JOIN auth_user u ON u.username = 'bench-analyst-' || ((c.g + n) %% %(analysts)s + 1);

INSERT INTO annotations_evidence (claim_id, source_link_id, url, title, excerpt, note, stance,
    added_by_id, created_at, updated_at, cited_text_sha256, cited_main_text_sha256,
    source_changed_at, excerpt_found)
SELECT c.g, c.g %% 1000 + 1, 'https://example.org/' || (c.g %% 1000 + 1), '', '', '',
       'supports', (SELECT id FROM auth_user WHERE username = 'bench-analyst-1'), now(), now(),
       '', '', CASE WHEN c.g %% 97 = 0 THEN now() - interval '1 day' END, NULL
FROM bench_claim c WHERE c.g %% 2 = 0 OR c.signed;
ANALYZE;
"""


def source_links_sql() -> str:
    """The INSERT of 1,000 checked links (one in twenty broken), every column the model has.

    Built from the model, so a field added later gets its default here instead of a NOT NULL
    violation in a hand-written column list.
    """
    from django.db import connection

    from annotations.models import SourceLink

    given = {
        "url": "'https://example.org/' || g",
        "outcome": "CASE WHEN g %% 20 = 0 THEN 'broken' ELSE 'ok' END",
        "http_status": "200",
        "host": "'example.org'",
        "attempts": "1",
        "last_checked_at": "now() - interval '1 hour'",
        "created_at": "now()",
        "redirect_chain": "'[]'",
    }
    columns, expressions = [], []
    for field in SourceLink._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.name in given:
            expression = given[field.name]
        elif field.null:
            expression = "NULL"
        elif isinstance(field.get_default(), bool):
            expression = "true" if field.get_default() else "false"
        else:
            expression = "'" + str(field.get_default() or "").replace("'", "''") + "'"
        columns.append(connection.ops.quote_name(field.column))
        expressions.append(expression)
    return (
        f"INSERT INTO annotations_sourcelink ({', '.join(columns)})\n"
        f"SELECT {', '.join(expressions)}\nFROM generate_series(1, 1000) g;\n\n"
    )


def fill() -> None:
    from django.db import connection

    params = {
        "analysts": ANALYSTS,
        "articles": ARTICLES,
        "claims": CLAIMS,
        "per_article": -(-CLAIMS // ARTICLES),
    }
    with connection.cursor() as cur:
        for statement in FILL.format(source_links=source_links_sql()).split(";\n"):
            if statement.strip():
                cur.execute(statement, params)


def median_ms(fn: Callable[[], object]) -> float:
    fn()
    fn()
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    if not recreate_database():
        return
    setup_django()
    t0 = time.perf_counter()
    fill()
    print(f"filled {CLAIMS:,} claims in {time.perf_counter() - t0:.1f} s")

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotations.selectors_review import review_queue

    queue = review_queue()
    print("counts:", queue.counts)
    client = Client()
    client.force_login(User.objects.get(username="bench-reviewer"))
    url = "/admin/annotations/claim/review-queue/"
    assert client.get(url).status_code == 200

    with CaptureQueriesContext(connection) as ctx:
        review_queue()
    *counts_sqls, rows_sql = (q["sql"] for q in ctx.captured_queries)
    counts_sql = counts_sqls[0]

    def run(sql: str) -> Callable[[], object]:
        def go() -> object:
            with connection.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()

        return go

    def both() -> None:
        for sql in (*counts_sqls, rows_sql):
            run(sql)()

    page = median_ms(lambda: client.get(url))
    selector = median_ms(review_queue)
    floor = median_ms(run(rows_sql))
    floor_both = median_ms(both)
    print(f"first page through the admin view: {page:.1f} ms (target < {TARGET_MS} ms)")
    print(f"selector alone (3 queries):        {selector:.1f} ms")
    print(
        f"floor, the rows' bare SQL:         {floor:.1f} ms  -> page / floor = {page / floor:.1f}"
    )
    print(
        f"bare SQL of all 3 queries:        {floor_both:.1f} ms  -> page / both = "
        f"{page / floor_both:.1f}"
    )
    if os.environ.get("BENCH_EXPLAIN", "1") == "1":
        with connection.cursor() as cur:
            for name, sql in (("counts", counts_sql), ("rows", rows_sql)):
                cur.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
                print(f"--- EXPLAIN {name}")
                print("\n".join(r[0] for r in cur.fetchall()))
    print("PASS" if page < TARGET_MS else "SLOWER THAN THE TARGET")


if __name__ == "__main__":
    main()
