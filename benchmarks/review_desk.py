"""The review desk at scale (issue 10): PostgreSQL filled with a double-checked desk.

``fill_review_desk`` makes BENCH_CLAIMS claims (100,000) over BENCH_ARTICLES articles
(1,000) with two assessments each by two of BENCH_ANALYSTS analysts (10), about 15% of
the pairs disagreeing (those claims are in disagreement, the rest carry the agreed
verdict), and one claim in twenty overlapping its neighbour. Then each part times its page:

- ``agreement_benchmark``: ``GET /api/v1/agreement/`` and ``/admin/agreement/`` (first
  page) through Django's test client (the whole view: auth, filters, queries, statistics,
  JSON or HTML), median of 20, against floors measured in the same run, interleaved:
  ``SELECT count(*)`` of every pair of assessments on one claim, and the bare fetch of them.

    .venv/bin/python benchmarks/review_desk.py

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/wb_desk_bench;
the database is dropped and recreated). Without it the script says so and exits 0.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wb_desk_bench")
CLAIMS = int(os.environ.get("BENCH_CLAIMS", "100000"))
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "1000"))
ANALYSTS = int(os.environ.get("BENCH_ANALYSTS", "10"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
TARGET_MS = 300
VERDICTS = ("verified", "disputed", "unsourced")


def recreate_database() -> None:
    import psycopg

    parts = urlsplit(DB_URL)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-desk-")
    (Path(tmp) / "static").mkdir()  # WhiteNoise warns without it
    os.environ.update(DATA_DIR=tmp, DATABASE_URL=DB_URL, DEBUG="0")
    os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()


def fill_review_desk(claims: int, articles: int, analysts: int) -> list:
    """The desk described in the module docstring; returns the analysts (users).

    Articles are copies of the seed articles; claims come by ``bulk_create`` (so every
    column gets its model default), assessments by COPY. Deterministic: the same desk
    every run.
    """
    from django.db import connection

    from annotations import services
    from annotations.models import Article, Claim

    people = [support.make_user(f"bench-analyst-{i}", services.ANALYST) for i in range(analysts)]
    seeds = list(Article.objects.order_by("id"))
    Article.objects.bulk_create(
        Article(
            title=f"{seed.title} #{i}",
            slug=f"bench-{i}",
            body=seed.body,
            language=seed.language,
            content_hash=seed.content_hash,
            source_file=f"bench-{i}.txt",
        )
        for i, seed in ((i, seeds[i % len(seeds)]) for i in range(articles))
    )
    bench = list(Article.objects.filter(slug__startswith="bench-").order_by("id"))
    per_article = -(-claims // articles)
    rows: list[Claim] = []
    judgments: list[tuple[int, int, str, int, str]] = []  # (claim #, first, v1, second, v2)
    for a, article in enumerate(bench):
        # Two analysts per article, spread so that every pair of analysts meets somewhere.
        first = a % analysts
        second = (first + 1 + (a // analysts) % (analysts - 1)) % analysts
        for k in range(min(per_article, claims - len(rows))):
            start = 10 * k
            end = start + (14 if k % 20 == 19 else 8)  # one in twenty overlaps the next
            n = len(rows)
            v1 = VERDICTS[(n * 7) % 3]
            disagree = (n * 7919) % 100 < 15
            v2 = VERDICTS[((n * 7) + 1) % 3] if disagree else v1
            rows.append(
                Claim(
                    article=article,
                    start=start,
                    end=end,
                    quote=article.body[start:end],
                    verdict="pending" if disagree else v1,
                    in_disagreement=disagree,
                    created_by=people[first],
                    updated_by=people[first],
                )
            )
            judgments.append((n, people[first].pk, v1, people[second].pk, v2))
    made = Claim.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY annotations_assessment (claim_id, analyst_id, verdict, rationale, "
            "created_at, updated_at, version) FROM STDIN"
        ) as copy:
            now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
            for n, first_pk, v1, second_pk, v2 in judgments:
                claim_pk = made[n].pk
                copy.write_row((claim_pk, first_pk, v1, "", now, now, 1))
                copy.write_row((claim_pk, second_pk, v2, "", now, now, 1))
        cursor.execute("ANALYZE")
    return people


def timed(call, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def agreement_benchmark(token: str, repeats: int = REPEATS) -> dict[str, float]:
    """Median ms of the agreement page (API and admin, first page) and of two floors.

    The floors are measured in the same run on the same connection: ``SELECT count(*)`` of
    every pair of assessments on one claim (the least any exact pair figure costs: the
    database still joins every claim's assessments) and the bare fetch of those pairs
    into Python (what the page did before the database aggregated).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    # DEBUG=0 asks for collectstatic's manifest, which the admin's template would need.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="bench-reviewer"))

    def page() -> None:
        response = client.get("/api/v1/agreement/")
        assert response.status_code == 200, response.content[:300]

    def admin_page() -> None:
        response = admin.get("/admin/agreement/")
        assert response.status_code == 200, response.content[:300]

    pairs = (
        "FROM annotations_assessment a1 JOIN annotations_assessment a2 "
        "ON a2.claim_id = a1.claim_id AND a2.analyst_id > a1.analyst_id"
    )

    def count_floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) {pairs}")
            cursor.fetchall()

    def fetch_floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a1.claim_id, a1.analyst_id, a1.verdict, a2.analyst_id, a2.verdict " + pairs
            )
            cursor.fetchall()

    for warm in (page, admin_page, count_floor, fetch_floor):
        warm()  # imports, the first connection, the token cache, the template
    # Interleaved, so that a change in the machine's load falls on all of them alike.
    times: dict[str, list[float]] = {"page": [], "admin": [], "count": [], "fetch": []}
    for _ in range(repeats):
        for name, call in (
            ("page", page),
            ("admin", admin_page),
            ("count", count_floor),
            ("fetch", fetch_floor),
        ):
            times[name] += timed(call, 1)
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    return {
        "page_ms": ms["page"],
        "admin_ms": ms["admin"],
        "count_floor_ms": ms["count"],
        "floor_ms": ms["fetch"],
        "ratio": ms["page"] / ms["count"],
        "fetch_ratio": ms["page"] / ms["fetch"],
        "load": os.getloadavg()[0],
    }


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Settings come from the environment: BENCH_DATABASE_URL (dropped and recreated), "
        "BENCH_CLAIMS (100000), BENCH_ARTICLES (1000), BENCH_ANALYSTS (10), BENCH_REPEATS (20).",
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
    reviewer = support.make_user("bench-reviewer", services.REVIEWER, is_staff=True)
    token = token_issue(user=reviewer)
    began = time.perf_counter()
    fill_review_desk(CLAIMS, ARTICLES, ANALYSTS)
    print(
        f"PostgreSQL {DB_URL}: {CLAIMS:,} claims x 2 assessments, {ARTICLES:,} articles, "
        f"{ANALYSTS} analysts (filled in {time.perf_counter() - began:.0f} s)"
    )
    result = agreement_benchmark(token)
    verdict = "ok" if result["page_ms"] < TARGET_MS else "OVER TARGET"
    print(
        f"agreement page  median of {REPEATS}: API {result['page_ms']:.0f} ms "
        f"(target < {TARGET_MS} ms: {verdict}), admin {result['admin_ms']:.0f} ms; "
        f"count(*) of the pairs {result['count_floor_ms']:.0f} ms, "
        f"bare pairs fetch {result['floor_ms']:.0f} ms; API / count(*) = {result['ratio']:.2f}, "
        f"API / fetch = {result['fetch_ratio']:.2f} (load average {result['load']:.1f})"
    )


if __name__ == "__main__":
    main()
