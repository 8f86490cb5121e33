"""Benchmark: the annotator on an article with 1,000 claims (not a test; run it by hand).

    .venv/bin/python benchmarks/ui_article_1000_claims.py [--runs 30] [--loads 7]

It builds a throw-away database (SQLite under a temporary DATA_DIR unless DATABASE_URL is
set: then that database must be an empty, disposable one), an article of the Russian seed
text repeated 10 times with 1,000 claims (overlapping and nested ones among them), and the
same article with no claims as the reference. A real
threaded HTTP server runs the production settings (DEBUG off, collectstatic, WhiteNoise).

Measured:
- the server's response time for the article page and for the claims API call the page
  makes (``/api/v1/claims/?article=<id>&page_size=1000``), median and 90th percentile;
- in Debian's Chromium, the annotator's own Performance API measures: building all the
  highlight segments plus style and layout (``annotator:highlights``), and from the start of
  painting to the next rendered frame, claim list included (``annotator:highlights-frame``).

Targets from issue 5: server under 300 ms, painting under 200 ms. Each figure is printed
beside the reference measured in the same run (the same article with 0 claims).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import support  # noqa: E402

CLAIMS = 1000
REPEAT_BODY = 10
SERVER_TARGET_MS = 300
PAINT_TARGET_MS = 200


def configure() -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="wb-bench-ui-"))
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'bench.sqlite3'}")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DESK_URL", "http://127.0.0.1:8000/")  # required without DEBUG
    os.environ["SECURE_COOKIES"] = "0"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()
    return data_dir


def build_data():
    """Return (session cookie, article with 1,000 claims, the same article without claims)."""
    from django.core.management import call_command
    from django.test import Client

    from annotations import services
    from annotations.models import Article, Claim

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("loaddata", str(ROOT / "fixtures" / "articles.json"), verbosity=0)
    ru = Article.objects.get(language="ru")
    body = "\n\n".join([ru.body] * REPEAT_BODY)
    big = Article.objects.create(
        title="1000 claims", slug="bench-1000", body=body, language="ru", content_hash="bench"
    )
    empty = Article.objects.create(
        title="0 claims", slug="bench-0", body=body, language="ru", content_hash="bench"
    )
    user = support.make_user("bench", services.ANALYST)

    # Spans spread over the whole text, 3 to 60 code points long, so that many overlap and
    # nest; bulk-created because the set-up is not what is measured.
    spans: set[tuple[int, int]] = set()
    step = len(body) // CLAIMS
    i = 0
    while len(spans) < CLAIMS:
        start = (i * step + (i * 7) % 13) % (len(body) - 70)
        spans.add((start, start + 3 + (i * 37) % 58))
        i += 1
    verdicts = ["pending", "verified", "disputed", "unsourced"]
    Claim.objects.bulk_create(
        Claim(
            article=big,
            start=s,
            end=e,
            quote=body[s:e],
            prefix=body[max(0, s - 32) : s],
            suffix=body[e : e + 32],
            verdict=verdicts[n % 4],
            created_by=user,
            updated_by=user,
        )
        for n, (s, e) in enumerate(sorted(spans))
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value, big, empty


def start_server():
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def time_get(port: int, path: str, session: str, runs: int) -> list[float]:
    """Wall-clock time of whole responses (headers and body read), in milliseconds."""
    timings = []
    for n in range(runs + 3):
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        began = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - began) * 1000
        conn.close()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: {payload[:300]!r}")
        if n >= 3:  # the first requests warm caches and imports
            timings.append(elapsed)
    return timings


def browser_paint(port: int, session: str, article_ids: list[int], loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict[int, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        browser = support.launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_cookies(
            [{"name": "sessionid", "value": session, "domain": "127.0.0.1", "path": "/"}]
        )
        page = context.new_page()
        for article_id in article_ids:
            runs: dict[str, list[float]] = {}
            for n in range(loads + 1):
                page.goto(f"http://127.0.0.1:{port}/articles/{article_id}/")
                page.wait_for_selector("#annotator[data-ready='1']", timeout=60_000)
                measures = page.evaluate(
                    """() => Object.fromEntries(performance.getEntriesByType('measure')
                        .filter((m) => m.name.startsWith('annotator:'))
                        .map((m) => [m.name, m.duration]))"""
                )
                marks = page.evaluate("() => document.querySelectorAll('mark.hl').length")
                if n == 0:
                    continue  # the first load fills the browser's caches
                for name, value in measures.items():
                    runs.setdefault(name, []).append(value)
                runs.setdefault("marks", []).append(marks)
            results[article_id] = runs
        browser.close()
    return results


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="HTTP requests per measurement")
    parser.add_argument("--loads", type=int, default=7, help="page loads in Chromium")
    args = parser.parse_args()

    data_dir = configure()
    session, big, empty = build_data()
    server, port = start_server()
    try:
        print(f"Article: {len(big.body)} code points, {big.claims.count()} claims; ")
        print(f"reference: the same text with {empty.claims.count()} claims. Database: ", end="")
        from django.db import connection

        print(connection.vendor)
        print()
        print(f"{'server (ms)':40} {'median':>8} {'p90':>8} {'reference':>10} {'ratio':>6}  target")
        rows = [
            ("article page", "/articles/{}/"),
            ("claims API call (page_size=1000)", "/api/v1/claims/?article={}&page_size=1000"),
        ]
        for label, path in rows:
            measured = time_get(port, path.format(big.pk), session, args.runs)
            reference = time_get(port, path.format(empty.pk), session, args.runs)
            med, ref = statistics.median(measured), statistics.median(reference)
            verdict = "ok" if med < SERVER_TARGET_MS else "MISSED"
            print(
                f"{label:40} {med:8.1f} {p90(measured):8.1f} {ref:10.1f} {med / ref:6.1f}  "
                f"< {SERVER_TARGET_MS} ms: {verdict}"
            )
        print()
        paint = browser_paint(port, session, [big.pk, empty.pk], args.loads)
        print(f"{'browser, Performance API (ms)':40} {'median':>8} {'max':>8} {'reference':>10}")
        for name, label in [
            ("annotator:highlights", "build all highlights + layout"),
            ("annotator:highlights-frame", "…until the next frame (list too)"),
            ("annotator:list", "claim list in the panel"),
            ("annotator:load-to-frame", "navigation start to painted frame"),
        ]:
            measured = paint[big.pk].get(name, [float("nan")])
            reference = paint[empty.pk].get(name, [float("nan")])
            med = statistics.median(measured)
            target = ""
            if name in ("annotator:highlights", "annotator:highlights-frame"):
                target = f"  < {PAINT_TARGET_MS} ms: {'ok' if med < PAINT_TARGET_MS else 'MISSED'}"
            print(
                f"{label:40} {med:8.1f} {max(measured):8.1f} "
                f"{statistics.median(reference):10.1f}{target}"
            )
        print(
            f"\nhighlight segments painted: {int(statistics.median(paint[big.pk]['marks']))} "
            f"(reference {int(statistics.median(paint[empty.pk]['marks']))})"
        )
    finally:
        server.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
