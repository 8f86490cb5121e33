"""Importing the desk's own jsonl export: spans per second, against a floor in the same run.

Fills a throw-away database (SQLite by default, or BENCH_DATABASE_URL) with BENCH_CLAIMS
claims (default 100,000: BENCH_CLAIMS/100 Cyrillic articles x 100, two evidence items each),
exports them as jsonl through the API view, empties the desk (articles kept) and imports the
file with ``services.claims_import``; then, in the same run, the floor: ``bulk_create`` of the
same claim rows alone (no evidence, assessments or history). Peak RSS (VmHWM, reset before each)
of the import, and of reading BENCH_MEMORY_RECORDS (default 1,000,000) jsonl records with the
import's reader, show that memory stays flat.

Label Studio's bulk import is compared only when Label Studio 1.23.2 is installed into a
separate virtual environment under the scratch directory (BENCH_LABEL_STUDIO=1 tries); if it
cannot be, the script says so and reports the rest.

    .venv/bin/python benchmarks/claim_import.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wb_bench \
        .venv/bin/python benchmarks/claim_import.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-import-")
os.environ["DATA_DIR"] = _tmp
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{_tmp}/bench.db"
os.environ["DEBUG"] = "0"
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from annotations import services  # noqa: E402
from annotations.importers.desk import read_jsonl  # noqa: E402
from annotations.models import Article, Claim, Evidence  # noqa: E402
from annotations.services.claim_import import detect_format  # noqa: E402
from tests import support  # noqa: E402
from tests.api.conftest import bulk_claims  # noqa: E402

CLAIMS = int(os.environ.get("BENCH_CLAIMS", "100000"))
PER_ARTICLE = 100
MEMORY_RECORDS = int(os.environ.get("BENCH_MEMORY_RECORDS", "1000000"))


def fill(user) -> None:
    seeds = list(Article.objects.filter(source_file__startswith="0"))
    for i in range(CLAIMS // PER_ARTICLE):
        seed = seeds[i % len(seeds)]
        article = Article.objects.create(
            slug=f"bench-{i}",
            title=f"{seed.title} #{i}",
            body=seed.body + f"\n\nВыпуск {i}.",  # each text its own hash
            language=seed.language,
            content_hash=f"bench-{i}",
            source_file=f"bench-{i}.txt",
        )
        bulk_claims(article, PER_ARTICLE, user, evidence_per_claim=2, verdict="disputed")


def export_jsonl(user, path: Path) -> int:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/export/claims?format=jsonl")
    lines = 0
    with path.open("wb") as out:
        for piece in response.streaming_content:
            out.write(piece if isinstance(piece, bytes) else piece.encode())
    with path.open("rb") as f:
        lines = sum(1 for _ in f)
    return lines


def empty() -> None:
    Evidence.objects.all().delete()
    Claim.with_deleted.all().delete()


def floor(path: Path, user) -> float:
    """bulk_create of the same claim rows, parsed from the same file, in the same chunks."""
    articles = dict(Article.objects.values_list("slug", "pk"))
    start = time.perf_counter()
    batch = []
    with path.open("rb") as f:
        for line in f:
            r = json.loads(line)
            batch.append(
                Claim(
                    article_id=articles[r["article"]["slug"]],
                    start=r["start"],
                    end=r["end"],
                    quote=r["quote"],
                    prefix=r["prefix"],
                    suffix=r["suffix"],
                    verdict=r["verdict"],
                    created_by=user,
                    updated_by=user,
                )
            )
            if len(batch) == 1000:
                Claim.objects.bulk_create(batch)
                batch = []
    Claim.objects.bulk_create(batch)
    elapsed = time.perf_counter() - start
    empty()
    return elapsed


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


_baseline = [0]


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS and remember that RSS: the peak is reported above it."""
    Path("/proc/self/clear_refs").write_text("5")
    _baseline[0] = _status("VmRSS:")


def peak_rss() -> int:
    """How far the peak RSS rose above the RSS at the last reset."""
    return _status("VmHWM:") - _baseline[0]


def memory_of_reading(path: Path, records: int) -> tuple[int, float]:
    """Peak bytes while the reader streams ``records`` records (the file repeated)."""
    data = path.read_bytes()
    copies = max(1, records // max(1, data.count(b"\n")))
    big = Path(_tmp) / "big.jsonl"
    with big.open("wb") as out:
        for _ in range(copies):
            out.write(data)
    reset_peak_rss()
    start = time.perf_counter()
    n = 0
    with big.open("rb") as f:
        for _ in read_jsonl(f):
            n += 1
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    big.unlink()
    return peak, n / elapsed


def label_studio() -> str:
    if os.environ.get("BENCH_LABEL_STUDIO") != "1":
        return "Label Studio: not tried (BENCH_LABEL_STUDIO=1 installs 1.23.2 into a scratch venv)"
    venv = Path(_tmp) / "ls-venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(venv / "bin/pip"), "install", "-q", "label-studio==1.23.2"],
            check=True,
            timeout=1200,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return (
            f"Label Studio 1.23.2 could not be installed here ({type(exc).__name__}): not compared"
        )
    return "Label Studio installed; its bulk-import timing is not scripted yet: not compared"


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
    user = support.make_user("bench-reviewer", "reviewer")
    fill(user)
    path = Path(_tmp) / "claims.jsonl"
    lines = export_jsonl(user, path)
    assert lines == CLAIMS, lines
    empty()
    with path.open("rb") as f:
        assert detect_format(f.read(65536), path.name) == "jsonl"
    floor_s = floor(path, user)
    reset_peak_rss()
    start = time.perf_counter()
    with path.open("rb") as f:
        report = services.claims_import(stream=f, format="jsonl", actor=user)
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    assert report.written and report.counts["created"] == CLAIMS, report.counts
    assert Evidence.objects.count() == 2 * CLAIMS
    start = time.perf_counter()
    with path.open("rb") as f:
        again = services.claims_import(stream=f, format="jsonl", actor=user)
    again_s = time.perf_counter() - start
    assert again.counts["unchanged"] == CLAIMS, again.counts
    mem_peak, read_rate = memory_of_reading(path, MEMORY_RECORDS)
    vendor = connection.vendor
    print(f"database: {vendor}; {CLAIMS:,} claims, 2 evidence items each, {lines:,} jsonl lines")
    print(
        f"import: {CLAIMS / elapsed:,.0f} spans/s ({elapsed:.1f} s), peak RSS "
        f"{peak / 2**20:.1f} MB above the RSS before it; with evidence, assessments and history"
    )
    print(f"floor (bulk_create of the claim rows alone): {CLAIMS / floor_s:,.0f} rows/s")
    print(f"import / floor: {(CLAIMS / elapsed) / (CLAIMS / floor_s):.2f}x")
    print(f"second import of the same file (all unchanged): {CLAIMS / again_s:,.0f} records/s")
    print(
        f"reader alone over {MEMORY_RECORDS:,} jsonl records: {read_rate:,.0f} records/s, "
        f"peak RSS {mem_peak / 2**20:.1f} MB above the RSS before it"
    )
    print(label_studio())


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        shutil.rmtree(_tmp, ignore_errors=True)
