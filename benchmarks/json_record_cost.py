"""What the desk's state, assessments and history cost the json/jsonl records.

Fills a database with N claims (two evidence items, two assessments and three history
entries each, Cyrillic text), then builds every claim's record, interleaved, medians of
``--rounds``, for three declarations: the record as it was before the desk's state was added
(claim record and comments), today's ``JSON_RECORD``, and ``JSON_HISTORY_RECORD``
(``history=true``). On PostgreSQL the records are built by the database
(``sql_record_chunks``), elsewhere by the Python path (``claim_rows``, the builder, ``dump``),
as the export does.

    .venv/bin/python benchmarks/json_record_cost.py --claims 20000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wb_json_cost \\
        .venv/bin/python benchmarks/json_record_cost.py --claims 20000

The PostgreSQL database named is dropped and recreated; SQLite uses a temporary file.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from annotations.exports.fields import Record

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "")
BODY = (
    "Венесуэла просит Россию о помощи в ремонте радаров и самолётов, пишет газета. "
    "Мадуро также обращался к Китаю и Ирану. "
) * 4


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-json-cost-")
    os.environ.update(DATA_DIR=tmp, DEBUG="0", DESK_URL="http://127.0.0.1:8000/")
    if DB_URL:
        import psycopg

        parts = urlsplit(DB_URL)
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')
            conn.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
        os.environ["DATABASE_URL"] = DB_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def fill(total: int) -> None:
    """``total`` claims over articles of 100 claims, with their lists, by bulk inserts."""
    import hashlib

    from django.contrib.auth.models import User
    from django.db import transaction

    from annotations.models import (
        Article,
        Assessment,
        Claim,
        Evidence,
        HistoryEntry,
        SourceLink,
    )

    per_article = 100
    with transaction.atomic():
        olena = User.objects.create_user("olena")
        pavlo = User.objects.create_user("pavlo")
        links = SourceLink.objects.bulk_create(
            [SourceLink(url=f"https://example.org/source/{n}") for n in range(1000)]
        )
        articles = Article.objects.bulk_create(
            [
                Article(
                    title=f"Статья {n}",
                    slug=f"bench-{n}",
                    body=BODY,
                    language="ru",
                    content_hash=hashlib.sha256(BODY.encode()).hexdigest(),
                )
                for n in range(-(-total // per_article))
            ]
        )
        claims = Claim.objects.bulk_create(
            [
                Claim(
                    article=articles[n // per_article],
                    start=n % per_article,
                    end=n % per_article + 20,
                    quote=BODY[n % per_article : n % per_article + 20],
                    verdict="verified",
                    rationale="Проверено по документам 🙂",
                    rationale_language="ru",
                    created_by=olena,
                    updated_by=olena,
                )
                for n in range(total)
            ],
            batch_size=2000,
        )
        Evidence.objects.bulk_create(
            [
                Evidence(
                    claim=claim,
                    source_link=links[(i * 2 + k) % 1000],
                    url=links[(i * 2 + k) % 1000].url,
                    title="Источник",
                    added_by=olena,
                )
                for i, claim in enumerate(claims)
                for k in range(2)
            ],
            batch_size=2000,
        )
        Assessment.objects.bulk_create(
            [
                Assessment(claim=claim, analyst=who, verdict="verified", rationale="Да")
                for claim in claims
                for who in (olena, pavlo)
            ],
            batch_size=2000,
        )
        HistoryEntry.objects.bulk_create(
            [
                HistoryEntry(
                    claim=claim,
                    claim_ref=claim.pk,
                    subject="claim",
                    action=action,
                    changes={"verdict": [None, "verified"], "rationale": [None, "Да"]},
                    actor=olena,
                )
                for claim in claims
                for action in ("created", "updated", "updated")
            ],
            batch_size=2000,
        )


def build_all(record: "Record") -> float:
    """Seconds to build every claim's record as JSON text, the export's way."""
    from django.conf import settings
    from django.db import connection

    from annotations import selectors
    from annotations.exports.base import dump
    from annotations.exports.chunks import claim_rows, sql_record_chunks
    from annotations.exports.fields import Urls
    from annotations.models import Claim

    keyset = selectors.CLAIM_ORDERINGS["id"]
    size = settings.EXPORT_CHUNK_SIZE
    started = time.perf_counter()
    count = 0
    if connection.vendor == "postgresql":
        for chunk in sql_record_chunks(
            Claim.objects.all(),
            keyset=keyset,
            chunk_size=size,
            api_root="http://x/api/v1/",
            record=record,
        ):
            count += len(chunk)
    else:
        build = record.builder(Urls("http://x/api/v1/"))
        for chunk in claim_rows(Claim.objects.all(), keyset=keyset, chunk_size=size, record=record):
            count += len([dump(build(row)) for row in chunk])
    elapsed = time.perf_counter() - started
    assert count == Claim.objects.count()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    fill(args.claims)
    from django.db import connection

    from annotations.exports.fields import compile_record
    from annotations.exports.records import (
        CLAIM_RECORD,
        COMMENTS,
        JSON_HISTORY_RECORD,
        JSON_RECORD,
    )
    from annotations.models import Claim

    records = {
        "before (claim + comments)": compile_record(Claim, (*CLAIM_RECORD, COMMENTS)),
        "JSON_RECORD": JSON_RECORD,
        "JSON_HISTORY_RECORD": JSON_HISTORY_RECORD,
    }
    times: dict[str, list[float]] = {name: [] for name in records}
    build_all(JSON_RECORD)  # warm the caches
    for _ in range(args.rounds):
        for name, record in records.items():
            times[name].append(build_all(record))
    print(f"{connection.vendor}, {args.claims:,} claims, medians of {args.rounds}")
    base = statistics.median(times["before (claim + comments)"])
    for name, runs in times.items():
        median = statistics.median(runs)
        rate = args.claims / median
        print(f"  {name:28} {median:7.2f} s  {rate:9,.0f} records/s  x{median / base:.2f}")


if __name__ == "__main__":
    main()
