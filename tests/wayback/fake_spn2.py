"""A loopback fake of the Save Page Now 2 API that answers as its documentation says.

``POST /save`` (form: url, if_not_archived_within, options) and ``GET /save/status/{job_id}``,
both behind ``Authorization: LOW key:secret``. What a URL meets is chosen by its last path
segment (a scenario), each a script of submit answers and of status answers, the last one
repeated (status answers are counted per scenario, across its jobs). Nothing here reaches
the real service.
"""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ACCESS_KEY, SECRET_KEY = "desk-access", "desk-secret"
NOW = "20261202101500"  # the timestamp of a fresh capture
EARLIER = "20261202093000"  # of the copy made before (already archived recently)

JOB = {"kind": "job"}
SESSIONS = {
    "kind": "json",
    "code": 200,
    "body": {
        "status": "error",
        "status_ext": "error:user-session-limit",
        "message": "You have already reached the limit of active sessions.",
    },
}
DAILY = {
    "kind": "json",
    "code": 200,
    "body": {
        "status": "error",
        "status_ext": "error:too-many-daily-captures",
        "message": "This URL has been captured 10 times today. Please try again tomorrow.",
    },
}
TOO_MANY = {
    "kind": "json",
    "code": 429,
    "body": {"message": "Too Many Requests"},
    "headers": {"Retry-After": "2"},
}
PENDING = {"status": "pending"}
SUCCESS = {"status": "success", "timestamp": NOW, "duration_sec": 6.2}
NOT_FOUND = {
    "status": "error",
    "exception": "[Errno -2] Name or service not known",
    "status_ext": "error:not-found",
    "message": "The server cannot find the requested resource.",
}
BROWSING_TIMEOUT = {
    "status": "error",
    "status_ext": "error:browsing-timeout",
    "message": "Your Save Page Now capture could not be completed. Please try again later.",
}

# scenario: (submit answers, status answers); the last of each list repeats.
SCENARIOS: dict[str, tuple[list[dict], list[dict]]] = {
    "ok": ([JOB], [PENDING, PENDING, SUCCESS]),
    "recent": ([{"kind": "job", "recent": True}], [{**SUCCESS, "timestamp": EARLIER}]),
    "not-found": ([JOB], [PENDING, NOT_FOUND]),
    "flaky": ([JOB], [BROWSING_TIMEOUT, SUCCESS]),
    "sessions": ([SESSIONS, JOB], [SUCCESS]),
    "daily": ([DAILY, JOB], [SUCCESS]),
    "busy": ([TOO_MANY, JOB], [SUCCESS]),
    "always-busy": ([TOO_MANY], [SUCCESS]),
}


class FakeSPN2(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # method, path, headers, form
        self.submits: dict[str, int] = {}  # scenario: POSTs so far
        self.jobs: dict[str, dict] = {}  # job id: {"url", "scenario"}
        self.status_polls: dict[str, int] = {}  # scenario: status answers so far

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def saves(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST"]

    def polls(self) -> list[dict]:
        return [r for r in self.requests if r["method"] == "GET"]


def scenario_of(url: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name if name in SCENARIOS else "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeSPN2

    def log_message(self, *args) -> None:
        pass

    def answer(self, code: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def record(self, form: dict | None = None) -> bool:
        with self.server.lock:
            self.server.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "form": form or {},
                }
            )
        if self.headers.get("Authorization") != f"LOW {ACCESS_KEY}:{SECRET_KEY}":
            self.answer(401, {"message": "Unauthorized: check your S3 keys.", "status": "error"})
            return False
        return True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {key: values[0] for key, values in parse_qs(raw).items()}
        if not self.record(form) or self.path != "/save":
            return
        url = form.get("url", "")
        name = scenario_of(url)
        with self.server.lock:
            count = self.server.submits.get(name, 0)
            self.server.submits[name] = count + 1
        submits, _ = SCENARIOS[name]
        plan = submits[min(count, len(submits) - 1)]
        if plan["kind"] == "json":
            self.answer(plan["code"], plan["body"], plan.get("headers"))
            return
        job_id = "spn2-" + hashlib.sha1(f"{url}{count}".encode()).hexdigest()
        with self.server.lock:
            self.server.jobs[job_id] = {"url": url, "scenario": name}
        body = {"url": url, "job_id": job_id}
        if plan.get("recent"):
            body["message"] = (
                "The same snapshot had been made 45 minutes ago. "
                "You can make new capture of this URL after 1 hour."
            )
        self.answer(200, body)

    def do_GET(self) -> None:
        if not self.record() or not self.path.startswith("/save/status/"):
            return
        job_id = unquote(self.path.removeprefix("/save/status/"))
        with self.server.lock:
            job = self.server.jobs.get(job_id)
            if job is not None:
                polls = self.server.status_polls.get(job["scenario"], 0)
                self.server.status_polls[job["scenario"]] = polls + 1
        if job is None:
            self.answer(200, {"status": "error", "status_ext": "error:not-found", "message": "?"})
            return
        _, statuses = SCENARIOS[job["scenario"]]
        body = {**statuses[min(polls, len(statuses) - 1)], "job_id": job_id}
        if body["status"] == "success":
            body["original_url"] = job["url"]
        self.answer(200, body)


def start() -> FakeSPN2:
    server = FakeSPN2()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
