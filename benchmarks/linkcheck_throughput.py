"""Source-link check throughput through the real pipeline, against a plain asyncio reference.

500 URLs spread over 50 loopback hosts (127.0.0.2 ... 127.0.0.51, one port), each answering
after 100 ms. The pipeline run queues them through the service layer (broker: Redis when
reachable, else the filesystem transport), real Celery worker processes check them (per-host
limit 2 in Redis or the database, database writes included), and the clock stops when the last
link has its result. Each task checks a batch of LINKCHECK_BATCH_SIZE links (default 20)
with concurrent fetches. The ideal bound at an effective concurrency of 100 (50 hosts x 2) is
500 / 100 x 0.1 s = 0.5 s. The reference is a bare asyncio loop doing the same GETs under the
same limits in one process. Run:

    .venv/bin/python benchmarks/linkcheck_throughput.py [--workers 2 --threads 8]
        [--database-url postgres://postgres@127.0.0.1:5432/wb_bench] [--broker redis://...]
        [--page news] [--main-text both]

``--page news`` serves a seed-sized news page (tests/linkcheck/newspage.py, 24 hourly
variants) instead of a one-line page; ``--main-text both`` runs the pipeline twice in the
same run, main-text extraction off (LINKCHECK_MAIN_TEXT=false, the visible text only, as
before) and on, and prints the milliseconds per page of each extraction, measured in-process.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
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
from tests.linkcheck.newspage import news_page  # noqa: E402

HOSTS = [f"127.0.0.{i}" for i in range(2, 52)]
PER_HOST_URLS = 10
DELAY = 0.1
LIMIT = 2
PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Bench page</title></head>"
    b"<body><p>Some article text for the hash.</p></body></html>"
)


# --- The 50 slow hosts (their own process, so they do not share the clients' GIL)


def pages(kind: str) -> list[bytes]:
    return [news_page(hour) for hour in range(24)] if kind == "news" else [PAGE]


def serve(port_box, ready, stats, kind: str = "tiny") -> None:
    bodies = pages(kind)
    active: Counter = Counter()
    peak: Counter = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            request = await reader.readline()
            target = request.split(b" ")[1].split(b"/") if request.count(b" ") else [b""] * 3
            tag = target[1].decode()
            body = bodies[int(target[-1] or 0) % len(bodies)] if len(target) > 2 else PAGE
            host = f"{tag}:{host}"
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
            active[host] += 1
            peak[host] = max(peak[host], active[host])
            await asyncio.sleep(DELAY)
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
from annotations.linkcheck import service
from annotations.models import SourceLink
ids = list(SourceLink.objects.values_list("pk", flat=True))
started = time.perf_counter()
service.links_request_checks(links=ids, force=True)
queued = time.perf_counter() - started
while SourceLink.objects.filter(last_checked_at__isnull=True).exists():
    time.sleep(0.01)
wall = time.perf_counter() - started
outcomes = sorted(set(SourceLink.objects.values_list("outcome", flat=True)))
print(json.dumps({"wall": wall, "queued": queued, "outcomes": outcomes,
                  "checks": SourceLink.objects.filter(checks__isnull=False).count()}))
"""


def pipeline(args, targets: list[str], main_text: bool = True) -> dict:
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
        "LOG_LEVEL": "WARNING",
        "LINKCHECK_MAIN_TEXT": "true" if main_text else "false",
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
        result["broker"] = broker.split(":", 1)[0]
        result["database"] = "postgresql" if args.database_url else "sqlite"
        result["main_text"] = "on" if main_text else "off"
        return result
    finally:
        for worker in workers:
            support.stop_worker(worker, timeout=20)
        shutil.rmtree(folder, ignore_errors=True)
        support.purge_redis_keys(broker, queue)


def extraction_times(bodies: list[bytes], rounds: int = 20) -> str:
    """Milliseconds per page of each text extraction, in this process, one page at a time."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    from annotations.linkcheck import pagetext

    def per_page(extract) -> float:
        started = time.perf_counter()
        for _ in range(rounds):
            for body in bodies:
                extract(pagetext.decode_body(body, "utf-8"), "text/html; charset=utf-8")
        return (time.perf_counter() - started) / (rounds * len(bodies)) * 1000

    visible, main = per_page(pagetext.extract), per_page(pagetext.extract_main)
    return (
        f"extraction per page: visible text {visible:.2f} ms, main text (trafilatura)"
        f" {main:.2f} ms ({main / visible:.1f}x the visible text's)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads", type=int, default=8, help="worker threads (each checks a batch at once)"
    )
    parser.add_argument(
        "--database-url", default="", help="an empty database; default: a throw-away SQLite file"
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/1"),
        help="Redis URL (the filesystem transport when it is not reachable)",
    )
    parser.add_argument(
        "--page", choices=["tiny", "news"], default="tiny", help="what every host serves"
    )
    parser.add_argument(
        "--main-text",
        choices=["on", "off", "both"],
        default="on",
        help="main-text extraction in the pipeline (both: one run each, off first)",
    )
    args = parser.parse_args()
    if args.database_url and args.main_text == "both":
        parser.error("--main-text both needs the throw-away SQLite databases")

    port_box = multiprocessing.Value("i", 0)
    ready = multiprocessing.Event()
    manager = multiprocessing.Manager()
    stats = manager.dict()
    server = multiprocessing.Process(
        target=serve, args=(port_box, ready, stats, args.page), daemon=True
    )
    server.start()
    ready.wait(10)
    port = port_box.value
    try:
        ideal = len(HOSTS) * PER_HOST_URLS / (len(HOSTS) * LIMIT) * DELAY
        ref_wall = asyncio.run(reference(urls(port, "ref")))
        modes = {"on": [True], "off": [False], "both": [False, True]}[args.main_text]
        results = [pipeline(args, urls(port, "pipe"), main_text=mode) for mode in modes]
        time.sleep(0.3)
        count = len(HOSTS) * PER_HOST_URLS
        print(
            f"{count} URLs over {len(HOSTS)} hosts, {DELAY * 1000:.0f} ms each, "
            f"per-host limit {LIMIT}, {args.page} page ({len(pages(args.page)[0])} bytes):"
            f" ideal bound {ideal:.2f} s"
        )
        print(
            f"reference (bare asyncio loop): {ref_wall:.2f} s, {count / ref_wall:.0f}/s, "
            f"{ref_wall / ideal:.2f}x ideal"
        )
        for result in results:
            print(
                f"pipeline (main text {result['main_text']}, {result['broker']} broker,"
                f" {result['database']}, {args.workers} workers x {args.threads} threads):"
                f" {result['wall']:.2f} s, {count / result['wall']:.0f}/s,"
                f" {result['wall'] / ideal:.2f}x ideal, {result['wall'] / ref_wall:.2f}x reference"
                f" (queuing took {result['queued']:.2f} s)"
            )
            print(
                f"  outcomes {result['outcomes']}, links with a history row: {result['checks']},"
                f" most requests at once on one host: {stats.get('pipe')}"
                f" (reference: {stats.get('ref')})"
            )
        print(extraction_times(pages(args.page)))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
