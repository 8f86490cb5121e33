"""The production server configuration lets a streamed export outlive the worker timeout."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn"]
# The stream lasts 8 x 0.9 s = 7.2 s, 2.4 times the worker timeout below. A threaded worker
# tells the arbiter it is alive about once a second, so a 1 s timeout left no margin: on a
# loaded machine the arbiter killed the worker mid-stream (seen in CI).
TIMEOUT = "3"
PAUSE = "0.9"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*options: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_TIMEOUT": TIMEOUT,
        "SLOW_STREAM_PAUSE": PAUSE,
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [*GUNICORN, *options, "tests.slow_stream_app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("gunicorn did not start")


def _download(port: int, path: str = "/export") -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200
    try:
        return response.read()
    except http.client.IncompleteRead as cut:
        return cut.partial
    finally:
        conn.close()


@pytest.fixture
def gunicorn():
    servers: list[subprocess.Popen] = []

    def start(*options: str) -> int:
        server, port = _serve(*options)
        servers.append(server)
        return port

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=30)


def test_a_stream_longer_than_the_worker_timeout_completes_under_the_production_config(gunicorn):
    port = gunicorn("-c", str(ROOT / "workbench/gunicorn.conf.py"))
    body = _download(port)
    assert body.endswith(b'{"complete": true}\n')
    assert body.count(b"\n") == 9


def test_the_default_sync_worker_cuts_the_same_stream(gunicorn):
    """The failure the configuration exists for: proof that the test above can fail."""
    port = gunicorn(
        "-c", str(ROOT / "workbench/gunicorn.conf.py"), "--worker-class", "sync", "--threads", "1"
    )
    body = _download(port)
    assert not body.endswith(b'{"complete": true}\n')


def test_downloads_in_progress_leave_the_worker_free_for_other_requests(gunicorn):
    """Three long downloads on a one-process server: a page request is still served at once."""
    port = gunicorn("-c", str(ROOT / "workbench/gunicorn.conf.py"))
    downloads = [threading.Thread(target=_download, args=(port,)) for _ in range(3)]
    for download in downloads:
        download.start()
    time.sleep(0.3)
    assert _download(port, "/quick") == b"ok"
    assert all(download.is_alive() for download in downloads)
    for download in downloads:
        download.join()
