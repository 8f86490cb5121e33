"""Exports through the real HTTP stack at scale, against PostgreSQL's COPY as the floor.

Fills PostgreSQL with N claims (two evidence items each, over many articles), starts
gunicorn on loopback, and for each export format measures the time to the first byte,
the total time, rows per second, the ratio to ``COPY (SELECT ...) TO STDOUT`` of the same
rows (claims with article and users; evidence with source links) measured in the same
run, and the server worker's peak resident memory (VmHWM, reset before each export).
Then it times 1,000 claim creations through the API (median and 95th percentile).

    BENCH_CLAIMS=100000,1000000 .venv/bin/python benchmarks/export_throughput.py

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/wb_api_bench;
the database is dropped and recreated). Without it the script says so and exits 0.
"""

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wb_api_bench")
SIZES = [int(n) for n in os.environ.get("BENCH_CLAIMS", "100000").split(",")]
FORMATS = ("jsonl", "json", "csv", "w3c", "claimreview")
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "400"))
CREATES = int(os.environ.get("BENCH_CREATES", "1000"))


def recreate_database() -> None:
    import psycopg

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-http-")
    os.environ.update(DATA_DIR=tmp, DATABASE_URL=DB_URL, DEBUG="0")
    os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()


def fill(total: int, user_id: int) -> None:
    """``total`` signed-off claims in SQL (spans of growing length over copies of the seeds)."""
    from django.db import connection

    per_article = -(-total // ARTICLES)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE annotations_evidence, annotations_historyentry, annotations_claim CASCADE"
        )
        cur.execute("DELETE FROM annotations_article WHERE slug LIKE 'bench-%%'")
        cur.execute(
            """
            INSERT INTO annotations_article
                (title, slug, body, language, source_name, source_url, published_on,
                 content_hash, source_file, created_at, updated_at)
            SELECT a.title || ' #' || g, 'bench-' || g, a.body, a.language, a.source_name,
                   CASE WHEN a.source_url = '' THEN '' ELSE a.source_url || '#bench-' || g END,
                   a.published_on, a.content_hash, 'bench-' || g || '.txt',
                   now(), now()
            FROM generate_series(1, %s) g
            JOIN LATERAL (
                SELECT * FROM annotations_article WHERE slug NOT LIKE 'bench-%%'
                ORDER BY id OFFSET (g %% 2) LIMIT 1
            ) a ON true
            """,
            [ARTICLES],
        )
        cur.execute(
            """
            WITH chosen AS (
                SELECT a.id AS article_id, a.body, s.start, s.start + 8 + n %% 40 AS "end"
                FROM annotations_article a
                CROSS JOIN generate_series(0, %s - 1) n
                CROSS JOIN LATERAL (
                    SELECT (n * 37) %% (length(a.body) - 50) AS start
                ) s
                WHERE a.slug LIKE 'bench-%%'
                ORDER BY a.id, n LIMIT %s
            )
            INSERT INTO annotations_claim
                (article_id, start, "end", quote, prefix, suffix, is_orphaned, verdict,
                 rationale, created_by_id, updated_by_id, created_at, updated_at, version,
                 signed_off_by_id, signed_off_at, in_disagreement)
            SELECT article_id, start, "end", substr(body, start + 1, "end" - start),
                   substr(body, greatest(start - 31, 1), least(start, 32)),
                   substr(body, "end" + 1, 32), false, 'verified',
                   'Проверено по документам', %s, %s, now(), now(), 2, %s, now(), false
            FROM chosen
            """,
            [per_article, total, user_id, user_id, user_id],
        )
        cur.execute(
            """
            INSERT INTO annotations_sourcelink (url, outcome, final_url, page_title,
                content_type, text_sha256, error, created_at, redirect_chain, body_truncated,
                body_sha256, host, attempts, error_detail, wayback_status, wayback_url,
                main_text_sha256, text_source)
            SELECT 'https://example.org/source/' || g, 'ok', '', '', '', '', '', now(),
                   '[]'::jsonb, false, '', 'example.org', 1, '', '', '', '', ''
            FROM generate_series(1, 1000) g
            ON CONFLICT (url) DO NOTHING
            """
        )
        cur.execute(
            """
            INSERT INTO annotations_evidence (claim_id, source_link_id, url, title, excerpt,
                note, stance, added_by_id, created_at, updated_at, cited_text_sha256,
                cited_main_text_sha256)
            SELECT c.id, l.id, l.url, 'Источник', '', '', 'supports', %s, now(), now(), '', ''
            FROM annotations_claim c
            CROSS JOIN generate_series(0, 1) k
            JOIN annotations_sourcelink l
              ON l.url = 'https://example.org/source/' || ((c.id * 2 + k) %% 1000 + 1)
            """,
            [user_id],
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM annotations_claim")
        assert cur.fetchone()[0] == total


COPY_CLAIMS = """
    COPY (SELECT c.id, c.article_id, c.start, c."end", c.quote, c.prefix, c.suffix, c.verdict,
                 c.rationale, c.version, c.is_orphaned, c.created_at, c.updated_at,
                 c.signed_off_at, cu.username, uu.username, su.username, a.slug, a.title,
                 a.language, a.source_name, a.source_url, a.published_on, a.content_hash
          FROM annotations_claim c
          JOIN annotations_article a ON a.id = c.article_id
          JOIN auth_user cu ON cu.id = c.created_by_id
          JOIN auth_user uu ON uu.id = c.updated_by_id
          LEFT JOIN auth_user su ON su.id = c.signed_off_by_id
          ORDER BY c.article_id, c.start, c."end", c.id) TO STDOUT
"""
COPY_EVIDENCE = """
    COPY (SELECT e.id, e.claim_id, e.url, e.title, e.excerpt, e.note, e.stance, u.username,
                 e.created_at, e.updated_at, l.id, l.url, l.outcome, l.http_status,
                 l.final_url, l.page_title, l.last_checked_at, l.text_changed_at, l.error
          FROM annotations_evidence e
          JOIN annotations_sourcelink l ON l.id = e.source_link_id
          JOIN auth_user u ON u.id = e.added_by_id
          ORDER BY e.claim_id, e.created_at, e.id) TO STDOUT
"""


def copy_floor() -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(DB_URL) as conn, conn.cursor() as cur:
        for sql in (COPY_CLAIMS, COPY_EVIDENCE):
            with cur.copy(sql) as copy:
                for _ in copy:
                    pass
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with one sync worker on loopback: the real HTTP stack, one process to watch."""

    def __init__(self) -> None:
        self.port = free_port()
        env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "0"}
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "workbench.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    break
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        self.worker = self._worker_pid()

    def _worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def reset_peak(self) -> None:
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def get(port: int, path: str, token: str) -> tuple[float, float, int, bytes]:
    """(seconds to first body byte, total seconds, body bytes, first 64 KB) of one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Token {token}"})
    response = conn.getresponse()
    assert response.status == 200, (response.status, response.read()[:500])
    first = response.read1(65536)
    ttfb = time.perf_counter() - started
    size, head = len(first), first
    while chunk := response.read1(1 << 20):
        size += len(chunk)
    total = time.perf_counter() - started
    conn.close()
    return ttfb, total, size, head


def export(server: Server, fmt: str, token: str, total_claims: int) -> dict:
    server.reset_peak()
    if fmt != "w3c":
        ttfb, seconds, size, _ = get(server.port, f"/api/v1/export/claims?format={fmt}", token)
        return {"ttfb": ttfb, "seconds": seconds, "bytes": size, "peak": server.peak_rss_mb()}
    # The collection embeds the first page; a client follows ``next`` (?after=<last id>).
    from django.conf import settings

    from annotations.models import Claim

    ttfb, seconds, size, _ = get(server.port, "/api/v1/export/claims?format=w3c", token)
    ids = list(Claim.objects.filter(is_orphaned=False).order_by("id").values_list("id", flat=True))
    page_size = settings.W3C_PAGE_SIZE
    for after in ids[page_size - 1 : -1 : page_size]:
        _, s, n, _ = get(server.port, f"/api/v1/export/claims?format=w3c&after={after}", token)
        seconds += s
        size += n
    return {"ttfb": ttfb, "seconds": seconds, "bytes": size, "peak": server.peak_rss_mb()}


def time_creates(server: Server, token: str) -> list[float]:
    """CREATES claim POSTs on a fresh article, one connection each (gunicorn sync worker)."""
    from annotations.models import Article

    seed = Article.objects.exclude(slug__startswith="bench-").order_by("id").first()
    article = Article.objects.create(
        title="create bench",
        slug="bench-create",
        body=seed.body,
        language=seed.language,
        content_hash=seed.content_hash,
        source_file="bench-create.txt",
    )
    times = []
    for i in range(CREATES):
        start, end = i % (len(seed.body) - 60), i % (len(seed.body) - 60) + 1 + i // 1000 + 20
        body = json.dumps(
            {"article": article.pk, "start": start, "end": end, "quote": seed.body[start:end]}
        )
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        began = time.perf_counter()
        conn.request(
            "POST",
            "/api/v1/claims/",
            body=body.encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - began)
        conn.close()
        assert response.status == 201, response.status
    return times


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Settings come from the environment: BENCH_DATABASE_URL (dropped and recreated), "
        "BENCH_CLAIMS (comma-separated sizes, default 100000), BENCH_ARTICLES (400), "
        "BENCH_CREATES (claim POSTs timed, 1000).",
    ).parse_args()
    if not support.service_reachable(DB_URL, 5432):
        print(f"skipped: PostgreSQL is not reachable at {DB_URL}")
        return
    recreate_database()
    setup_django()
    from django.core.management import call_command

    from annotations import services
    from annotations.services import token_issue

    call_command("migrate", verbosity=0)
    support.database_defaults()  # hand-written INSERTs meet new columns' defaults
    call_command("loaddata", str(ROOT / "fixtures/articles.json"), verbosity=0)
    user = support.make_user("bench-reviewer", services.REVIEWER)
    token = token_issue(user=user)

    print(f"PostgreSQL {DB_URL}; gunicorn 1 sync worker; claims with 2 evidence each")
    header = f"{'claims':>9} {'format':<12}{'TTFB s':>8}{'total s':>9}{'rows/s':>9}"
    print(header + f"{'x COPY':>8}{'MB out':>8}{'peak RSS MB':>12}")
    for total in SIZES:
        began = time.perf_counter()
        fill(total, user.pk)
        filled = time.perf_counter() - began
        floor = min(copy_floor() for _ in range(2))
        print(
            f"{total:>9,} {'(COPY)':<12}{'':>8}{floor:>9.2f}{total / floor:>9.0f}"
            f"{1:>8.2f}{'':>8}{'':>12}   (filled in {filled:.0f} s)"
        )
        server = Server()
        try:
            get(server.port, "/api/v1/me/", token)  # warm the worker
            for fmt in FORMATS:
                r = export(server, fmt, token, total)
                rows = total
                print(
                    f"{total:>9,} {fmt:<12}{r['ttfb']:>8.3f}{r['seconds']:>9.2f}"
                    f"{rows / r['seconds']:>9.0f}{r['seconds'] / floor:>8.2f}"
                    f"{r['bytes'] / 1e6:>8.0f}{r['peak']:>12.0f}"
                )
        finally:
            server.stop()
    server = Server()
    try:
        times = sorted(time_creates(server, token))
    finally:
        server.stop()
    median = statistics.median(times) * 1000
    p95 = times[int(len(times) * 0.95) - 1] * 1000
    print(
        f"claim POST through the API: median {median:.1f} ms, p95 {p95:.1f} ms "
        f"over {len(times)} requests"
    )


if __name__ == "__main__":
    main()
