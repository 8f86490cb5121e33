"""Label Studio for the benchmarks that compare with it, and the HTTP helpers they share.

Label Studio 1.23.2 as it ships (SQLite), installed once into a virtual environment under the
scratch directory (``BENCH_SCRATCH``, default /tmp/wb-bench-speed) and reused when it exists.
Used by ``export_vs_label_studio.py`` (its export) and ``claim_import.py`` (its bulk import of
pre-annotated tasks). Nothing here imports Django at module level: each script sets up its own.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

SCRATCH = Path(os.environ.get("BENCH_SCRATCH", "/tmp/wb-bench-speed"))
LS_VERSION = "1.23.2"
LS_TOKEN = "b3c4f5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2"
SPANS_PER_TASK = 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_port(port: int, seconds: float, proc: subprocess.Popen | None = None) -> bool:
    """Whether the port accepts a connection within ``seconds`` (False at once if ``proc``,
    the server meant to open it, has exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(seconds to the first body byte, total seconds, body bytes, last 4 KB) of one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    assert response.status == 200, (path, response.status, response.read()[:500])
    first = response.read1(65536)
    ttfb = time.perf_counter() - started
    size, tail = len(first), first
    while chunk := response.read1(1 << 20):
        size += len(chunk)
        tail = (tail + chunk)[-4096:]  # a last read may hold only the closing bytes
    total = time.perf_counter() - started
    conn.close()
    return ttfb, total, size, tail[-4096:]


class LabelStudio:
    """Label Studio as it ships (SQLite), in its own venv under the scratch directory."""

    def __init__(self, scratch: Path = SCRATCH) -> None:
        self.scratch = scratch
        self.venv = scratch / "ls-venv"
        self.data = scratch / "ls-data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.project = 0
        self.headers = {"Authorization": f"Token {LS_TOKEN}"}

    def install(self) -> str | None:
        """None when installed (now or before), else why not."""
        binary = self.venv / "bin/label-studio"
        if binary.exists():
            print(f"Label Studio: reusing {self.venv}")
            return None
        print(f"Label Studio: installing label-studio=={LS_VERSION} into {self.venv} (once)")
        try:
            subprocess.run(["python3", "-m", "venv", str(self.venv)], check=True)
            subprocess.run(
                # sentry-sdk 3 dropped an option Label Studio 1.23.2 passes at startup.
                [
                    *(str(self.venv / "bin/pip"), "install", "-q"),
                    *(f"label-studio=={LS_VERSION}", "sentry-sdk<3"),
                ],
                check=True,
            )
        except (OSError, subprocess.CalledProcessError) as error:
            return f"install failed: {error}"
        return None if binary.exists() else "install gave no label-studio command"

    def start(self) -> str | None:
        if self.data.exists():
            shutil.rmtree(self.data)
        self.data.mkdir(parents=True)
        env = {
            **os.environ,
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.data),
            "LABEL_STUDIO_USERNAME": "bench@example.org",
            "LABEL_STUDIO_PASSWORD": "bench-password-1",
            "LABEL_STUDIO_USER_TOKEN": LS_TOKEN,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "DJANGO_DB": "sqlite",
            "DATA_UPLOAD_MAX_MEMORY_SIZE": str(1 << 30),
            "DATA_UPLOAD_MAX_NUMBER_FILES": "1000",
        }
        # The calling benchmark's own Django settings are not Label Studio's.
        for name in (
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "ALLOWED_HOSTS",
            "DEBUG",
            "DATA_DIR",
        ):
            env.pop(name, None)
        log = open(self.scratch / "ls-server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(self.venv / "bin/label-studio"),
                "start",
                "--no-browser",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data),
                "--username",
                "bench@example.org",
                "--password",
                "bench-password-1",
                "--user-token",
                LS_TOKEN,
            ],
            cwd=self.scratch,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if not wait_port(self.port, 600, self.proc):
            return "server did not start (see ls-server.log)"
        for _ in range(120):
            try:
                self.call("GET", "/api/projects/")
                return None
            except (AssertionError, OSError):
                time.sleep(1)
        return "API did not answer with the token (see ls-server.log)"

    def call(self, method: str, path: str, body: object = None) -> object:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3600)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        conn.request(
            method, path, body=data, headers={**self.headers, "Content-Type": "application/json"}
        )
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        assert response.status < 300, (path, response.status, payload[:500])
        return json.loads(payload) if payload else None

    def fill(self, articles: list[tuple[str, list[tuple[int, int]]]]) -> float:
        """A span-labels project and its tasks with annotations; returns the import seconds."""
        config = (
            '<View><Labels name="label" toName="text">'
            '<Label value="verified"/><Label value="false"/><Label value="misleading"/>'
            '</Labels><Text name="text" value="$text"/></View>'
        )
        project = self.call("POST", "/api/projects/", {"title": "bench", "label_config": config})
        self.project = project["id"]  # type: ignore[index]
        started = time.perf_counter()
        batch = []
        for body, spans in articles:
            result = [
                {
                    "id": f"s{i}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": start,
                        "end": end,
                        "text": body[start:end],
                        "labels": ["verified"],
                    },
                }
                for i, (start, end) in enumerate(spans)
            ]
            batch.append({"data": {"text": body}, "annotations": [{"result": result}]})
            if len(batch) == 100:
                self.call("POST", f"/api/projects/{self.project}/import", batch)
                batch = []
        if batch:
            self.call("POST", f"/api/projects/{self.project}/import", batch)
        return time.perf_counter() - started

    def export(self, kind: str) -> dict:
        ttfb, seconds, size, _ = fetch(
            self.port, f"/api/projects/{self.project}/export?exportType={kind}", self.headers
        )
        return {"ttfb": ttfb, "seconds": seconds, "bytes": size, "peak": self.peak_mb()}

    def peak_mb(self) -> float:
        """VmHWM of the server process tree's largest process (not reset: LS forks none)."""
        assert self.proc is not None
        best = 0.0
        pids = [self.proc.pid]
        while pids:
            pid = pids.pop()
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]) / 1024)
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                pids.extend(int(c) for c in children)
            except OSError:
                continue
        return best

    def reset_peak(self) -> None:
        assert self.proc is not None
        pids = [self.proc.pid]
        while pids:
            pid = pids.pop()
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                pids.extend(
                    int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                )
            except OSError:
                continue

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def claim_spans() -> list[tuple[str, list[tuple[int, int]]]]:
    """Each bench article's body and its claims' spans, as the workbench holds them."""
    from annotations.models import Article, Claim

    spans: dict[int, list[tuple[int, int]]] = {}
    for article_id, start, end in Claim.objects.order_by("article_id", "start").values_list(
        "article_id", "start", "end"
    ):
        spans.setdefault(article_id, []).append((start, end))
    bodies = dict(Article.objects.filter(id__in=spans).values_list("id", "body"))
    return [(bodies[pk], spans[pk][:SPANS_PER_TASK]) for pk in sorted(spans)]
