"""Importing the desk's own jsonl export: spans per second, against a floor in the same run.

Fills a throw-away database (SQLite by default, or BENCH_DATABASE_URL) with BENCH_CLAIMS
claims (default 100,000: BENCH_CLAIMS/100 Cyrillic articles x 100, two evidence items each),
exports them as jsonl through the API view, empties the desk (articles kept), then runs, in
BENCH_ROUNDS interleaved rounds (default 3, a different order each round; medians reported):

- our import: the file through ``services.claims_import`` (claims, evidence, assessments,
  history), all in one transaction, then the desk emptied again (untimed);
- the floor: ``bulk_create`` of the same claim rows alone (no evidence, assessments or history);
- Label Studio 1.23.2's bulk import of the same spans as pre-annotated tasks (one task per
  article holding its 100 spans as an annotation, 100 tasks per ``POST
  /api/projects/<id>/import``), through its own server on loopback, timed the same way (wall
  time of the whole import, spans per second). Label Studio runs from the virtual environment
  under BENCH_SCRATCH (default /tmp/wb-bench-speed; ``benchmarks/label_studio.py`` installs it
  there once when it is missing); BENCH_LABEL_STUDIO=0 skips it, and if it cannot be
  installed or started the script says so and reports the rest.

Peak RSS (VmHWM, reset before each) of the import, and of reading BENCH_MEMORY_RECORDS
(default 1,000,000) jsonl records with the import's reader, show that memory stays flat.

    .venv/bin/python benchmarks/claim_import.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wb_bench \
        .venv/bin/python benchmarks/claim_import.py
"""

import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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
from benchmarks.label_studio import (  # noqa: E402
    LS_VERSION,
    SCRATCH,
    SPANS_PER_TASK,
    LabelStudio,
    claim_spans,
    load_average,
)
from tests import support  # noqa: E402
from tests.api.conftest import bulk_claims  # noqa: E402

CLAIMS = int(os.environ.get("BENCH_CLAIMS", "100000"))
PER_ARTICLE = 100
MEMORY_RECORDS = int(os.environ.get("BENCH_MEMORY_RECORDS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


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


def our_import(path: Path, user) -> dict:
    """One timed import of the file into the emptied desk; emptied again afterwards."""
    reset_peak_rss()
    start = time.perf_counter()
    with path.open("rb") as f:
        report = services.claims_import(stream=f, format="jsonl", actor=user)
    elapsed = time.perf_counter() - start
    peak = peak_rss()
    assert report.written and report.counts["created"] == CLAIMS, report.counts
    assert Evidence.objects.count() == 2 * CLAIMS
    empty()
    return {"seconds": elapsed, "peak": peak}


def start_label_studio() -> tuple[LabelStudio | None, str]:
    """Label Studio from its venv under BENCH_SCRATCH (installed there once), or why not."""
    if os.environ.get("BENCH_LABEL_STUDIO") == "0":
        return None, "not compared (BENCH_LABEL_STUDIO=0)"
    SCRATCH.mkdir(parents=True, exist_ok=True)
    ls = LabelStudio(SCRATCH)
    why = ls.install() or ls.start()
    if why is not None:
        ls.stop()
        return None, f"not compared: {why}"
    return ls, f"Label Studio {LS_VERSION} from {ls.venv}"


def ls_import(ls: LabelStudio, spans: list[tuple[str, list[tuple[int, int]]]]) -> dict:
    """Label Studio's bulk import of the same spans as pre-annotated tasks, into a new project
    (deleted afterwards, untimed, so every round starts from the same empty server)."""
    seconds = ls.fill(spans)
    ls.call("DELETE", f"/api/projects/{ls.project}/")
    return {"seconds": seconds}


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
    user = support.make_user("bench-reviewer", "reviewer")
    print(f"load average at start: {load_average()}  ({os.cpu_count()} CPUs)", flush=True)
    fill(user)
    spans = claim_spans()
    assert sum(len(s) for _, s in spans) == CLAIMS
    path = Path(_tmp) / "claims.jsonl"
    lines = export_jsonl(user, path)
    assert lines == CLAIMS, lines
    empty()
    with path.open("rb") as f:
        assert detect_format(f.read(65536), path.name) == "jsonl"
    ls, ls_note = start_label_studio()
    print(ls_note, flush=True)
    runs: dict[str, Callable[[], dict]] = {
        "import": lambda: our_import(path, user),
        "floor": lambda: {"seconds": floor(path, user)},
    }
    if ls is not None:
        runs["LS import"] = lambda: ls_import(ls, spans)
    results: dict[str, list[dict]] = {name: [] for name in runs}
    try:
        for round_ in range(ROUNDS):
            order = list(runs)
            random.Random(round_).shuffle(order)  # interleaved, a different order each round
            for name in order:
                results[name].append(runs[name]())
                rate = CLAIMS / results[name][-1]["seconds"]
                print(f"  {name:<10}{rate:>10,.0f} spans/s", flush=True)
            print(f"round {round_ + 1} done, load average {load_average()}", flush=True)
    finally:
        if ls is not None:
            ls.stop()
    with path.open("rb") as f:
        services.claims_import(stream=f, format="jsonl", actor=user)
    start = time.perf_counter()
    with path.open("rb") as f:
        again = services.claims_import(stream=f, format="jsonl", actor=user)
    again_s = time.perf_counter() - start
    assert again.counts["unchanged"] == CLAIMS, again.counts
    mem_peak, read_rate = memory_of_reading(path, MEMORY_RECORDS)

    rate = {n: CLAIMS / statistics.median(r["seconds"] for r in rs) for n, rs in results.items()}
    peak = max(r["peak"] for r in results["import"])
    print(
        f"\ndatabase: {connection.vendor}; {CLAIMS:,} claims, 2 evidence items each, "
        f"{lines:,} jsonl lines; medians of {ROUNDS}; load average {load_average()}"
    )
    print(
        f"import: {rate['import']:,.0f} spans/s, peak RSS {peak / 2**20:.1f} MB above the RSS "
        "before it; with evidence, assessments and history"
    )
    print(f"floor (bulk_create of the claim rows alone): {rate['floor']:,.0f} rows/s")
    print(f"import / floor: {rate['import'] / rate['floor']:.2f}x")
    if ls is not None:
        ratio = rate["import"] / rate["LS import"]
        print(
            f"Label Studio {LS_VERSION} bulk import of the same spans as pre-annotated tasks "
            f"({SPANS_PER_TASK} a task, 100 tasks a request): {rate['LS import']:,.0f} spans/s"
        )
        verdict = "ok" if ratio >= 2 else "MISSED"
        print(f"import / Label Studio: {ratio:.2f}x (target >= 2x) {verdict}")
    else:
        print(f"Label Studio: {ls_note}")
    print(f"second import of the same file (all unchanged): {CLAIMS / again_s:,.0f} records/s")
    print(
        f"reader alone over {MEMORY_RECORDS:,} jsonl records: {read_rate:,.0f} records/s, "
        f"peak RSS {mem_peak / 2**20:.1f} MB above the RSS before it"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        shutil.rmtree(_tmp, ignore_errors=True)
