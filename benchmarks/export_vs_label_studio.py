"""Exports side by side with Label Studio 1.23.2, in one run, interleaved, medians of 3.

The same 1,000 Cyrillic articles x 100 claims (each claim with two evidence items) in:

- the workbench on PostgreSQL behind its production gunicorn (``workbench/gunicorn.conf.py``,
  one gthread worker): ``json``, ``jsonl``, ``csv``, ``w3c`` over HTTP on loopback;
- the workbench on SQLite (its default), the same rows copied over, the same gunicorn;
- PostgreSQL's plain ``COPY`` of the same rows (claims with article and users, evidence with
  links), and the fastest other ways this machine produces the jsonl records (``COPY`` of
  the records as PostgreSQL builds them; an in-process fetch with ``orjson``; ``COPY`` of
  the stored records, ``exports.stored``);
- Label Studio 1.23.2 as it ships (SQLite), installed once into a virtual environment under
  the scratch directory (reused when it exists): a project with a span-labels config, the
  articles imported as 1,000 tasks with 100 spans each as annotations, and its export API
  (``GET /api/projects/<id>/export?exportType=JSON_MIN|CSV``, what its UI's Export calls,
  through its own server on loopback) -- the same thing as our HTTP export.

json, jsonl, csv and w3c read the records, rows and annotations the desk stores once built
(``exports.stored``). Each database's first jsonl, csv and w3c exports, before the rounds,
build and store them (reported); the ``jsonl cold`` runs empty the store first, so they build
every record again, as the first export after a change to every claim would.

Rows per second are claims (spans) per second on both sides: Label Studio writes one row
per task holding its 100 spans, we write one row per claim. Peak memory is the server
worker's VmHWM, reset before each export. Ratios are against figures from the same round.

    .venv/bin/python benchmarks/export_vs_label_studio.py [--claims 1000000] [--rounds 3]

Needs PostgreSQL (BENCH_DATABASE_URL, default .../wb_export_speed_bench, dropped and
recreated). If Label Studio cannot be installed or started, the script says so and reports
the rest.
"""

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wb_export_speed_bench"
)
os.environ.setdefault("BENCH_ARTICLES", "1000")

from benchmarks import export_throughput as base  # noqa: E402
from benchmarks.label_studio import (  # noqa: E402
    LS_VERSION,
    SCRATCH,
    SPANS_PER_TASK,
    LabelStudio,
    claim_spans,
    fetch,
    free_port,
    load_average,
    wait_port,
)
from tests import support  # noqa: E402

FORMATS = ("json", "jsonl", "csv", "w3c")


class Gunicorn:
    """The production gunicorn config with one worker, on loopback; VmHWM of that worker."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "1",
            "DATABASE_CONN_MAX_AGE": "60",  # as docker-compose.yml runs it
        }
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "workbench/gunicorn.conf.py",
                "workbench.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        wait_port(self.port, 30)
        time.sleep(0.5)
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        self.worker = int(children.split()[0])

    def reset_peak(self) -> None:
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


# A W3C page's link to the one after it, near the end of its body.
NEXT_PAGE = re.compile(rb'"next":"([^"]+)"')


def workbench_export(server: Gunicorn, fmt: str, token: str, claims: int) -> dict:
    """One export through HTTP; w3c walks every page of the collection, as a client does."""
    from django.conf import settings

    headers = {"Authorization": f"Token {token}"}
    server.reset_peak()
    suffix = "&summary=true" if fmt == "jsonl" else ""
    ttfb, seconds, size, tail = fetch(
        server.port, f"/api/v1/export/claims?format={fmt}{suffix}", headers
    )
    if fmt == "jsonl":  # the summary line proves the body is complete
        summary = json.loads(tail.rstrip(b"\n").rsplit(b"\n", 1)[-1])["export_summary"]
        assert summary["records"] == claims, summary
    if fmt == "w3c":  # follow each page's next (keyset positions), as a client does
        pages, walked = max(1, -(-claims // settings.W3C_PAGE_SIZE)), 1
        while found := NEXT_PAGE.search(tail):
            _, s, n, tail = fetch(
                server.port,
                urlsplit(found[1].decode())._replace(scheme="", netloc="").geturl(),
                headers,
            )
            seconds, size, walked = seconds + s, size + n, walked + 1
        assert walked == pages, (walked, pages)
    return {"ttfb": ttfb, "seconds": seconds, "bytes": size, "peak": server.peak_mb()}


# --- SQLite: the same rows, copied from PostgreSQL


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        from datetime import UTC

        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def fill_sqlite(path: Path) -> None:
    """Migrate a fresh SQLite database, then copy every PostgreSQL table with rows into it."""
    import psycopg

    if path.exists():
        path.unlink()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(path.parent)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    lite = sqlite3.connect(path)
    lite.execute("PRAGMA foreign_keys = OFF")
    lite_tables = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    with psycopg.connect(base.DB_URL) as pg:
        tables = [
            r[0]
            for r in pg.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        for table in tables:
            if table == "django_migrations" or table not in lite_tables:
                continue
            cur = pg.cursor(name=f"copy_{table}")
            cur.execute(f'SELECT * FROM "{table}"')
            batch = cur.fetchmany(5000)
            if not batch:
                cur.close()
                continue
            columns = ", ".join(f'"{d.name}"' for d in cur.description)
            marks = ", ".join("?" for _ in cur.description)
            lite.execute(f'DELETE FROM "{table}"')
            while batch:
                lite.executemany(
                    f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
                    [tuple(_sqlite_value(v) for v in row) for row in batch],
                )
                batch = cur.fetchmany(5000)
            cur.close()
    lite.commit()
    lite.execute("ANALYZE")
    lite.close()


# --- The floors: plain COPY, and the fastest other ways to the same jsonl records


def copy_rows() -> float:
    return base.copy_floor()


def copy_records() -> float:
    """COPY of the jsonl records as PostgreSQL builds them (the export's own SQL, every id)."""
    import psycopg

    from annotations.exports.fields import Urls
    from annotations.exports.records import JSON_RECORD

    urls = Urls("http://127.0.0.1/api/v1/")
    # The export's record query over every claim in position order (no chunking).
    sql = JSON_RECORD.sql.split('\nWHERE "claim"."id" = ANY', 1)[0] + (
        '\nORDER BY "claim"."article_id", "claim"."start", "claim"."end", "claim"."id"'
    )
    params = {
        "root": urls.root,
        "archive_prefix": urls.archive_prefix,
        "archive_suffix": urls.archive_suffix,
    }
    started = time.perf_counter()
    with psycopg.connect(base.DB_URL) as conn:
        query = psycopg.ClientCursor(conn).mogrify(sql, params)
        with conn.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT") as copy:  # type: ignore[arg-type]
            for _ in copy:
                pass
    return time.perf_counter() - started


def copy_stored() -> float:
    """COPY of the stored jsonl records, in the export's order."""
    import psycopg

    started = time.perf_counter()
    sql = (
        'COPY (SELECT "r"."json" FROM "annotations_exportrecord" "r"'
        ' JOIN "annotations_claim" "c" ON "c"."id" = "r"."claim_id" ORDER BY "c"."id") TO STDOUT'
    )
    with psycopg.connect(base.DB_URL) as conn, conn.cursor() as cur, cur.copy(sql) as copy:
        for _ in copy:
            pass
    return time.perf_counter() - started


def empty_store(database_url: str) -> None:
    """Empty every stored record, as a change to every claim would (the cold runs)."""
    sql = 'UPDATE "annotations_exportrecord" SET "generation" = "generation" + 1, "json" = \'\''
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as lite:
            lite.execute(sql)
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql)
        conn.execute('VACUUM "annotations_exportrecord"')


def python_records() -> float:
    """The records built in-process from fetched rows and encoded with orjson (PostgreSQL)."""
    import orjson
    from django.conf import settings

    from annotations import selectors
    from annotations.exports.chunks import claim_rows
    from annotations.exports.fields import Urls
    from annotations.exports.records import JSON_RECORD
    from annotations.models import Claim

    build = JSON_RECORD.builder(Urls("http://127.0.0.1/api/v1/"))
    started = time.perf_counter()
    size = 0
    for chunk in claim_rows(
        Claim.objects.all(),
        keyset=selectors.CLAIM_ORDERINGS["position"],
        chunk_size=settings.EXPORT_CHUNK_SIZE,
        record=JSON_RECORD,
    ):
        size += len(b"\n".join(orjson.dumps(build(row)) for row in chunk))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="claims (default 100,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--no-label-studio", action="store_true", help="skip Label Studio")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite workbench")
    args = parser.parse_args()
    if not support.service_reachable(base.DB_URL, 5432):
        print(f"skipped: PostgreSQL is not reachable at {base.DB_URL}")
        return
    SCRATCH.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {load_average()}  ({os.cpu_count()} CPUs)")
    base.ARTICLES = max(1, args.claims // SPANS_PER_TASK)
    base.recreate_database()
    base.setup_django()
    from django.core.management import call_command

    from annotations import services
    from annotations.services import token_issue

    call_command("migrate", verbosity=0)
    support.database_defaults()  # hand-written INSERTs meet new columns' defaults
    call_command("loaddata", str(ROOT / "fixtures/articles.json"), verbosity=0)
    user = support.make_user("bench-reviewer", services.REVIEWER)
    token = token_issue(user=user)
    began = time.perf_counter()
    base.fill(args.claims, user.pk)
    print(
        f"PostgreSQL: {args.claims:,} claims over {base.ARTICLES:,} articles, 2 evidence each "
        f"(filled in {time.perf_counter() - began:.0f} s)"
    )

    ls: LabelStudio | None = None
    if not args.no_label_studio:
        ls = LabelStudio(SCRATCH)
        why = ls.install() or ls.start()
        if why is None:
            try:
                seconds = ls.fill(claim_spans())
                print(
                    f"Label Studio {LS_VERSION}: imported {args.claims:,} spans in "
                    f"{seconds:.0f} s ({args.claims / seconds:,.0f} spans/s)"
                )
            except (AssertionError, OSError) as error:
                why = f"import failed: {error}"
        if why is not None:
            print(f"Label Studio comparison skipped: {why}")
            ls.stop()
            ls = None

    servers: dict[str, Gunicorn] = {}
    urls: dict[str, str] = {"pg": base.DB_URL}
    runs: dict[str, Callable[[], dict]] = {}
    servers["pg"] = Gunicorn(base.DB_URL, SCRATCH / "pg-data")
    if not args.no_sqlite:
        lite = SCRATCH / "wb-sqlite" / "db.sqlite3"
        lite.parent.mkdir(exist_ok=True)
        began = time.perf_counter()
        fill_sqlite(lite)
        print(f"SQLite: copied in {time.perf_counter() - began:.0f} s")
        urls["sqlite"] = f"sqlite:///{lite}"
        servers["sqlite"] = Gunicorn(urls["sqlite"], lite.parent)
    for name, server in servers.items():
        fetch(server.port, "/api/v1/me/", {"Authorization": f"Token {token}"})
        for fmt in ("jsonl", "csv", "w3c"):
            first = workbench_export(server, fmt, token, args.claims)
            print(
                f"{name}: first {fmt} export (builds and stores every record) "
                f"{args.claims / first['seconds']:,.0f} rows/s"
            )
        for fmt in FORMATS:
            runs[f"{name} {fmt}"] = lambda server=server, fmt=fmt: workbench_export(
                server, fmt, token, args.claims
            )
        runs[f"{name} jsonl cold"] = lambda server=server, name=name: (
            empty_store(urls[name]),
            workbench_export(server, "jsonl", token, args.claims),
        )[1]
    runs["COPY rows"] = lambda: {"seconds": copy_rows()}
    runs["COPY records"] = lambda: {"seconds": copy_records()}
    runs["COPY stored"] = lambda: {"seconds": copy_stored()}
    runs["python+orjson"] = lambda: {"seconds": python_records()}
    if ls is not None:
        for kind in ("JSON_MIN", "CSV"):
            runs[f"LS {kind}"] = lambda kind=kind: (ls.reset_peak(), ls.export(kind))[1]

    results: dict[str, list[dict]] = {name: [] for name in runs}
    try:
        for round_ in range(args.rounds):
            order = list(runs)
            random.Random(round_).shuffle(order)  # interleaved, a different order each round
            for name in order:
                results[name].append(runs[name]())
                got = results[name][-1]
                peak = f"  peak {got['peak']:,.0f} MB" if "peak" in got else ""
                print(
                    f"  {name:<16}{args.claims / got['seconds']:>10,.0f} rows/s{peak}", flush=True
                )
            print(f"round {round_ + 1} done, load average {load_average()}")
    finally:
        for server in servers.values():
            server.stop()
        if ls is not None:
            ls.stop()

    rate = {
        n: args.claims / statistics.median(r["seconds"] for r in rs) for n, rs in results.items()
    }
    print(f"\n{args.claims:,} claims, medians of {args.rounds}; load average {load_average()}")
    print(f"{'export':<16}{'rows/s':>10}{'TTFB s':>8}{'MB out':>8}{'peak MB':>9}")
    for name, rs in results.items():
        ttfb = statistics.median(r.get("ttfb", float("nan")) for r in rs)
        size = statistics.median(r.get("bytes", float("nan")) for r in rs) / 1e6
        peak = max(r.get("peak", float("nan")) for r in rs)
        print(f"{name:<16}{rate[name]:>10,.0f}{ttfb:>8.3f}{size:>8.0f}{peak:>9.0f}")
    fastest = max(("COPY records", "python+orjson", "COPY stored"), key=lambda n: rate[n])

    def check(label: str, value: float, target: float, more: bool = True) -> None:
        ok = value >= target if more else value <= target
        sign = ">=" if more else "<="
        print(f"  {label:<44}{value:>7.2f}x  (target {sign} {target}x) {'ok' if ok else 'MISSED'}")

    print("\nratios (same run):")
    for db in servers:
        if ls is not None:
            check(f"{db} json / LS JSON_MIN", rate[f"{db} json"] / rate["LS JSON_MIN"], 2)
            check(f"{db} jsonl / LS JSON_MIN", rate[f"{db} jsonl"] / rate["LS JSON_MIN"], 2)
            check(f"{db} csv / LS CSV", rate[f"{db} csv"] / rate["LS CSV"], 3)
            cold = rate[f"{db} jsonl cold"] / rate["LS JSON_MIN"]
            print(f"  {db + ' jsonl cold / LS JSON_MIN':<44}{cold:>7.2f}x  (no target)")
        check(f"{db} w3c time / jsonl time", rate[f"{db} jsonl"] / rate[f"{db} w3c"], 2, False)
    check("pg csv time / COPY rows time", rate["COPY rows"] / rate["pg csv"], 1.5, False)
    check(f"pg jsonl time / {fastest} time", rate[fastest] / rate["pg jsonl"], 1.5, False)


if __name__ == "__main__":
    main()
