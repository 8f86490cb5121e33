"""Source-link check throughput through the real pipeline, against a plain asyncio reference.

500 URLs spread over 50 loopback hosts (127.0.0.2 ... 127.0.0.51, one port), each answering
after 100 ms. The pipeline run queues them through the service layer (broker: Redis when
reachable, else the filesystem transport), real Celery worker processes check them (per-host
limit 2 in Redis or the database, database writes included), and the clock stops when the last
link has its result. Each task checks a batch of LINKCHECK_BATCH_SIZE links (default 20)
with concurrent fetches. The ideal bound at an effective concurrency of 100 (50 hosts x 2) is
500 / 100 x 0.1 s = 0.5 s. The reference is a bare asyncio loop doing the same GETs under the
same limits in one process.

The pipeline runs twice in the same run, archiving off and on (``ARCHIVE_ENABLED``), each in
two rounds over the same links: in the second round half the pages changed, half did not,
so the archive writes a full copy of the changed ones and a revisit record for the others.
Pages are about 40 KB of HTML, each URL its own. It reports the archive's bytes per snapshot
with deduplication and as they would be without it (each unchanged capture stored whole, the
size of the copy it revisits). Run:

    .venv/bin/python benchmarks/linkcheck_throughput.py [--workers 2 --threads 8]
        [--database-url postgres://postgres@127.0.0.1:5432/wb_bench] [--broker redis://...]
        [--repeat 1]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

HOSTS = [f"127.0.0.{i}" for i in range(2, 52)]
PER_HOST_URLS = 10
DELAY = 0.1
LIMIT = 2
PY_SPY = str(Path(sys.executable).with_name("py-spy"))
FILLER = " ".join(f"word{(i * 7919) % 1009}" for i in range(5000))  # about 40 KB


def page(path: str, version: int) -> bytes:
    """Each URL its own page; ``version`` changes it (the second round, half the pages)."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Bench {path}</title></head>"
        f"<body><p>Article {path}, version {version}.</p><p>{FILLER}</p></body></html>"
    ).encode()


# --- The 50 slow hosts (their own process, so they do not share the clients' GIL)


def serve(port_box, ready, stats, round_box) -> None:
    active: Counter = Counter()
    peak: Counter = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            request = await reader.readline()
            path = request.split(b" ")[1].decode() if request.count(b" ") else "/"
            tag = path.split("/")[1] if path.count("/") else ""
            host = f"{tag}:{host}"
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
            active[host] += 1
            peak[host] = max(peak[host], active[host])
            await asyncio.sleep(DELAY)
            changes = path.rsplit("/", 1)[-1].isdigit() and int(path.rsplit("/", 1)[-1]) % 2
            body = page(f"{host}{path}", round_box.value if changes else 1)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            active[host] -= 1
        finally:
            writer.close()

    async def main() -> None:
        first = await asyncio.start_server(handle, HOSTS[0], 0, backlog=1024)
        port = first.sockets[0].getsockname()[1]
        for host in HOSTS[1:]:
            await asyncio.start_server(handle, host, port, backlog=1024)
        port_box.value = port
        ready.set()
        while True:
            await asyncio.sleep(0.2)
            for tag in ("ref", "pipe"):
                stats[tag] = max((v for k, v in peak.items() if k.startswith(tag)), default=0)

    asyncio.run(main())


def urls(port: int, tag: str) -> list[str]:
    return [f"http://{host}:{port}/{tag}/{i}" for i in range(PER_HOST_URLS) for host in HOSTS]


# --- Reference: a bare asyncio loop under the same limits


async def reference(targets: list[str]) -> float:
    hosts: dict[str, asyncio.Semaphore] = {}
    overall = asyncio.Semaphore(len(HOSTS) * LIMIT)

    async def get(url: str) -> None:
        host, port_path = url[7:].split(":", 1)
        port, path = port_path.split("/", 1)
        async with overall, hosts.setdefault(host, asyncio.Semaphore(LIMIT)):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
            body = await reader.read()
            writer.close()
            assert body.startswith(b"HTTP/1.1 200")

    started = time.perf_counter()
    await asyncio.gather(*(get(url) for url in targets))
    return time.perf_counter() - started


# --- The pipeline

SETUP = """
import json, os
from django.contrib.auth.models import User
from annotations.models import Article, Claim, Evidence, SourceLink
user = User.objects.create_superuser("bench", password="x")
article = Article.objects.create(
    title="t", slug="t", body="x" * 100, language="en", content_hash="x"
)
claim = Claim.objects.create(
    article=article, start=0, end=5, quote="xxxxx", created_by=user, updated_by=user
)
links = SourceLink.objects.bulk_create(SourceLink(url=u) for u in json.loads(os.environ["URLS"]))
Evidence.objects.bulk_create(Evidence(claim=claim, source_link=l, url=l.url, added_by=user)
                             for l in links)
"""

RUN = """
import json, time
from django.db.models import Q, Sum
from django.utils import timezone
from annotations.linkcheck import service
from annotations.models import LinkCheck, Snapshot, SourceLink
ids = list(SourceLink.objects.values_list("pk", flat=True))
since = timezone.now()
started = time.perf_counter()
service.links_request_checks(links=ids, force=True)
queued = time.perf_counter() - started
undone = Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=since)
while SourceLink.objects.filter(undone).exists() and time.perf_counter() - started < 300:
    time.sleep(0.01)
wall = time.perf_counter() - started
if SourceLink.objects.filter(undone).exists():
    raise SystemExit(f"{SourceLink.objects.filter(undone).count()} links unchecked after 300 s")
outcomes = sorted(set(SourceLink.objects.values_list("outcome", flat=True)))
snapshots = list(Snapshot.objects.values_list("pk", "refers_to_id", "stored_bytes"))
size = {pk: stored for pk, _, stored in snapshots}
print(json.dumps({
    "wall": wall, "queued": queued, "outcomes": outcomes,
    "checks": SourceLink.objects.filter(checks__isnull=False).distinct().count(),
    "archive_errors": LinkCheck.objects.exclude(archive_error="").count(),
    "snapshots": len(snapshots),
    "revisits": sum(1 for _, ref, _ in snapshots if ref),
    "stored": sum(size.values()),
    "undeduplicated": sum(size[ref] if ref else stored for _, ref, stored in snapshots),
    "body": Snapshot.objects.filter(refers_to__isnull=True).aggregate(b=Sum("size"))["b"] or 0,
}))
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def pipeline(args, targets: list[str], *, archive: bool, round_box) -> list[dict]:
    """Two rounds over the same links (half the pages change in between); a result each."""
    folder = Path(tempfile.mkdtemp(prefix="lc-bench-"))
    queue = f"lc-bench-{uuid.uuid4().hex[:8]}"
    broker = args.broker if support.service_reachable(args.broker, 6379) else "filesystem://"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workbench.settings",
        "DATA_DIR": str(folder),
        "DATABASE_URL": args.database_url or f"sqlite:///{folder}/db.sqlite3",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LINKCHECK_ALLOWED_HOSTS": "127.0.0.0/8",
        "LINKCHECK_PER_HOST": str(LIMIT),
        "LINKCHECK_LIMIT_PREFIX": queue,
        "LINKCHECK_FORCE_COALESCE": "0",  # the second round re-checks at once
        "ARCHIVE_ENABLED": "1" if archive else "0",
        "LOG_LEVEL": "WARNING",
        "DESK_URL": os.environ.get("DESK_URL", "http://127.0.0.1:8000/"),  # required without DEBUG
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c", SETUP],
        cwd=ROOT,
        env={**env, "URLS": json.dumps(targets)},
        check=True,
    )
    workers = []
    try:
        for n in range(args.workers):
            workers.append(
                support.start_worker(
                    queue=queue,
                    name=f"w{n}",
                    env=env,
                    log_path=folder / f"w{n}.log",
                    concurrency=args.threads,
                )
            )
        for worker in workers:
            support.wait_worker_ready(worker, timeout=60)
        profilers = [
            subprocess.Popen(
                [
                    *(PY_SPY, "record", "--pid", str(worker.pid), "--rate", "200"),
                    *("--format", "raw", "--nonblocking", "--threads"),
                    *("-o", str(args.profile / f"{'on' if archive else 'off'}-w{n}.txt")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n, worker in enumerate(workers)
            if args.profile
        ]
        results = []
        for round_number in (1, 2):
            round_box.value = round_number
            cpu = sum(cpu_seconds(worker.pid) for worker in workers)
            done = subprocess.run(
                [*manage, "shell", "-c", RUN],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            # The workers' CPU time is the load-independent cost: a busy machine stretches
            # the wall time, not the work done.
            result["cpu"] = sum(cpu_seconds(worker.pid) for worker in workers) - cpu
            result["broker"] = broker.split(":", 1)[0]
            result["database"] = "postgresql" if args.database_url else "sqlite"
            result["files"] = sum(
                path.stat().st_size for path in (folder / "snapshots").rglob("*.warc.gz")
            )
            results.append(result)
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            profiler.wait(timeout=60)
        return results
    finally:
        for worker in workers:
            support.stop_worker(worker, timeout=20)
        shutil.rmtree(folder, ignore_errors=True)
        support.purge_redis_keys(broker, queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads (each checks a batch at once)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database (emptied between runs); default: a throw-away SQLite file",
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1"),
        help="Redis URL (the filesystem transport when it is not reachable)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="off/on pairs to run")
    parser.add_argument(
        "--profile",
        type=Path,
        help="folder: sample each worker with py-spy (requirements.lock) into collapsed stacks",
    )
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    port_box = multiprocessing.Value("i", 0)
    round_box = multiprocessing.Value("i", 1)
    ready = multiprocessing.Event()
    manager = multiprocessing.Manager()
    stats = manager.dict()
    server = multiprocessing.Process(
        target=serve, args=(port_box, ready, stats, round_box), daemon=True
    )
    server.start()
    ready.wait(10)
    port = port_box.value
    count = len(HOSTS) * PER_HOST_URLS
    ideal = count / (len(HOSTS) * LIMIT) * DELAY
    try:
        print(
            f"{count} URLs over {len(HOSTS)} hosts, {DELAY * 1000:.0f} ms each, "
            f"per-host limit {LIMIT}: ideal bound {ideal:.2f} s; pages of {len(page('x', 1))} B"
        )
        for _ in range(args.repeat):
            ref_walls = [asyncio.run(reference(urls(port, "ref")))]
            runs = {}
            for archive in (False, True):
                if args.database_url:
                    reset_database(args.database_url)
                runs[archive] = pipeline(
                    args, urls(port, "pipe"), archive=archive, round_box=round_box
                )
                time.sleep(0.3)
            ref_walls.append(asyncio.run(reference(urls(port, "ref"))))
            report(runs, ref_walls, ideal, count, args, stats)
    finally:
        server.terminate()


def reset_database(url: str) -> None:
    """The second pipeline run needs an empty database too."""
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE); CREATE DATABASE "{name}"'
    for statement in sql.split("; "):
        subprocess.run(["psql", admin, "-qc", statement], check=True)


def report(runs: dict, ref_walls: list[float], ideal: float, count: int, args, stats) -> None:
    ref = min(ref_walls)
    print(
        f"reference (bare asyncio loop): {', '.join(f'{w:.2f}' for w in ref_walls)} s "
        f"(before, after), {count / ref:.0f}/s, {ref / ideal:.2f}x ideal"
    )
    first = runs[False][0]
    print(
        f"pipeline: {first['broker']} broker, {first['database']}, {args.workers} workers"
        f" x {args.threads} threads"
    )
    for archive, rounds in runs.items():
        for n, result in enumerate(rounds, 1):
            print(
                f"  archiving {'on ' if archive else 'off'} round {n}: {result['wall']:.2f} s,"
                f" {count / result['wall']:.0f}/s, {result['wall'] / ideal:.2f}x ideal,"
                f" {result['wall'] / ref:.2f}x reference (queuing {result['queued']:.2f} s);"
                f" workers' CPU {result['cpu']:.2f} s;"
                f" outcomes {result['outcomes']}, links checked {result['checks']}"
            )
    for n in (0, 1):
        off, on = runs[False][n]["wall"], runs[True][n]["wall"]
        cpu_off, cpu_on = runs[False][n]["cpu"], runs[True][n]["cpu"]
        print(
            f"  round {n + 1}: archiving on takes {on / off:.2f}x the time of archiving off,"
            f" {cpu_on / cpu_off:.2f}x its workers' CPU time"
        )
    final = runs[True][1]
    per = final["stored"] / final["snapshots"]
    undeduplicated = final["undeduplicated"] / final["snapshots"]
    print(
        f"archive after two rounds: {final['snapshots']} snapshots ({final['revisits']}"
        f" revisits), {final['stored']} B in the database, {final['files']} B on disk,"
        f" archive errors {final['archive_errors']}"
    )
    print(
        f"  bytes per snapshot: {per:.0f} with deduplication, {undeduplicated:.0f} without"
        f" ({per / undeduplicated:.2f}x); bodies kept {final['body']} B"
    )
    print(
        f"  most requests at once on one host: {stats.get('pipe')} (reference: {stats.get('ref')})"
    )


if __name__ == "__main__":
    main()
