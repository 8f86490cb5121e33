"""A real HTTP server on loopback that plays every kind of source a link check meets."""

import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from annotations import services

CP1251_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    "<title>Новости дня: заявление министра</title></head>"
    "<body><p>Министр заявил, что переговоры продолжатся.</p></body></html>"
).encode("cp1251")
KOI8_PAGE = (
    '<html><head><meta charset="koi8-r"><title>Погода в Москве</title></head>'
    "<body><p>Завтра будет дождь.</p></body></html>"
).encode("koi8_r")
UTF8_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Заява МЗС України</title></head>"
    "<body><h1>Заява</h1><p>Міністерство закордонних справ заявило про нові санкції.</p>"
    "</body></html>"
).encode()


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.log: list[tuple[str, str, str]] = []  # (method, path, host header)
        self.hits: Counter = Counter()
        self.pages: dict[str, tuple[int, dict, bytes]] = {}
        self.lock = threading.Lock()
        self.active = Counter()
        self.max_active = Counter()
        self.total_active = 0
        self.max_total_active = 0
        self.visits = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return self.server_address[1]

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.log]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def log_message(self, *args) -> None:
        pass

    def send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        if self.path.startswith("/head405"):
            self.server.log.append(("HEAD", self.path, self.headers.get("Host", "")))
            self.send(405)
            return
        self.do_GET()

    def do_GET(self) -> None:
        server = self.server
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with server.lock:
            server.log.append((self.command, self.path, self.headers.get("Host", "")))
            server.hits[path] += 1
            hit = server.hits[path]
            server.active[path.split("/")[1]] += 1
            key = path.split("/")[1]
            server.max_active[key] = max(server.max_active[key], server.active[key])
            server.total_active += 1
            server.max_total_active = max(server.max_total_active, server.total_active)
        try:
            self.route(path, query, hit)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with server.lock:
                server.active[path.split("/")[1]] -= 1
                server.total_active -= 1

    def route(self, path: str, query: dict, hit: int) -> None:
        server = self.server
        if path in server.pages:
            status, headers, body = server.pages[path]
            self.send(status, body, headers)
        elif path == "/ok" or path == "/head405":
            self.send(200, UTF8_PAGE)
        elif path == "/agent":
            self.send(
                200, self.headers.get("User-Agent", "").encode(), {"Content-Type": "text/plain"}
            )
        elif path == "/cp1251":
            self.send(200, CP1251_PAGE, {"Content-Type": "text/html"})
        elif path == "/koi8":
            self.send(200, KOI8_PAGE, {"Content-Type": "text/html"})
        elif path == "/r301":
            self.send(301, headers={"Location": "/r302"})
        elif path == "/r302":
            self.send(302, headers={"Location": f"{server.base}/ok"})
        elif path == "/loop-a":
            self.send(302, headers={"Location": "/loop-b"})
        elif path == "/loop-b":
            self.send(302, headers={"Location": "/loop-a"})
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            self.send(302, headers={"Location": f"/chain/{n + 1}"} if n < 50 else {})
        elif path == "/to":
            self.send(302, headers={"Location": query["url"][0]})
        elif path == "/missing":
            self.send(404, b"<title>Not found</title>")
        elif path == "/flaky":  # 500 once, then fine
            self.send(500, b"oops") if hit == 1 else self.send(200, UTF8_PAGE)
        elif path == "/down":
            self.send(503, b"down")
        elif path == "/busy":  # 429 once with Retry-After, then fine
            if hit == 1:
                self.send(429, b"slow down", {"Retry-After": query.get("after", ["7"])[0]})
            else:
                self.send(200, UTF8_PAGE)
        elif path == "/busy-date":
            self.send(429, b"", {"Retry-After": formatdate(time.time() + 120, usegmt=True)})
        elif path == "/slow":
            time.sleep(float(query.get("s", ["3"])[0]))
            self.send(200, UTF8_PAGE)
        elif path == "/trickle":  # headers at once, then a byte now and then
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"<p>x</p>")
                self.wfile.flush()
                time.sleep(0.3)
        elif path.startswith("/drip/"):  # a byte every ``every`` seconds, in one part
            self.drip(path.split("/")[2], float(query.get("every", ["0.4"])[0]))
        elif path == "/many-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"X-Pad: 1\r\n" * 500 + b"\r\nhi")
        elif path == "/long-header":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\nhi")
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<html><head><title>Endless</title></head><body>")
            chunk = b"<p>" + b"word " * 2000 + b"</p>"
            for _ in range(100_000):  # about 1 GB unless the client stops reading
                self.wfile.write(chunk)
        elif path == "/nonce":  # markup churns on every visit, the text does not
            nonce = f"{hit:08x}{time.monotonic_ns()}"
            body = (
                f"<html><head><title>Stable</title><script nonce='{nonce}'>var t='{nonce}';"
                f"</script></head><body data-n='{nonce}'><div class='ad-{nonce}'></div>"
                "<p>Парламент ухвалив закон.</p>"
                f"<!-- {nonce} --></body></html>"
            ).encode()
            self.send(200, body)
        elif path == "/slow-once":  # the first visitor waits long (a worker dies meanwhile)
            time.sleep(20 if hit == 1 else 0)
            self.send(200, UTF8_PAGE)
        elif path.startswith("/hold"):  # per-host concurrency probe: /hold/1, /holdb/1, ...
            time.sleep(float(query.get("s", ["0.3"])[0]))
            self.send(200, UTF8_PAGE)
        else:
            self.send(404, b"no such page")

    def drip(self, part: str, every: float) -> None:
        """Send the answer up to ``part``, then that part a byte at a time (for a minute)."""
        status = b"HTTP/1.1 200 OK\r\n"
        head = b"Content-Type: text/html\r\nConnection: close\r\n"
        before, slow = {
            "status": (b"", status + head),
            "headers": (status, head + b"X-Slow: " + b"z" * 200),
            "chunk": (status + head + b"Transfer-Encoding: chunked\r\n\r\n", b"1" + b";" * 200),
            "body": (status + head + b"\r\n<p>", b"x" * 200),
        }[part]
        self.wfile.write(before)
        self.wfile.flush()
        until = time.monotonic() + 60
        for byte in slow:
            if time.monotonic() > until:
                break
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(every)


@pytest.fixture
def web():
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def linkcheck_settings(settings):
    """Fast limits for tests; loopback allowed explicitly, limits in the database."""
    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.LINKCHECK_CONNECT_TIMEOUT = 1
    settings.LINKCHECK_READ_TIMEOUT = 1
    settings.LINKCHECK_TOTAL_TIMEOUT = 2.5
    settings.LINKCHECK_MAX_BODY_BYTES = 2 * 1024 * 1024
    settings.LINKCHECK_REDIS_URL = ""
    settings.LINKCHECK_HOST_WAIT = 5
    settings.LINKCHECK_RETRY_BASE = 0
    settings.LINKCHECK_MAX_RETRIES = 3
    settings.LINKCHECK_FORCE_COALESCE = 0  # the coalescing tests turn it on
    return settings


@pytest.fixture
def eager():
    from workbench.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = before


@pytest.fixture
def claim(ru_article, make_claim):
    return make_claim(ru_article, ru_article.body[10:40])


@pytest.fixture
def cite(claim, analyst):
    def add(url: str, excerpt: str = "", **kwargs):
        return services.evidence_add(claim=claim, actor=analyst, url=url, excerpt=excerpt, **kwargs)

    return add
