"""End to end with real Celery worker processes: evidence saved, link checked in the background.

Each test runs the app in subprocesses on a throw-away SQLite file (migrated once per module),
so the worker and the code that saves evidence share one database whatever the suite runs on.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests import support
from tests.conftest import require_service

pytestmark = pytest.mark.integration

ROOT = Path(django_settings.BASE_DIR)

ADD_EVIDENCE = """
import json, os
from django.contrib.auth.models import User
from annotations import services
from annotations.models import Article
user = User.objects.create_superuser("editor", password="x")
body = "The minister said the talks will go on next week."
article = Article.objects.create(title="t", slug="t", body=body, language="en", content_hash="x")
claim = services.claim_create(article=article, start=0, end=12, author=user)
ids = [services.evidence_add(claim=claim, actor=user, url=url).source_link_id
       for url in json.loads(os.environ["LC_URLS"])]
print(json.dumps(ids))
"""


def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/1"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lc-template")
    env = {**os.environ, "DATA_DIR": str(folder), "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    return folder / "db.sqlite3"


class App:
    """One installation: its database file, environment and worker processes."""

    def __init__(self, folder: Path, template: Path, **env: str):
        self.folder = folder
        folder.mkdir()
        self.db = folder / "db.sqlite3"
        shutil.copy(template, self.db)
        self.queue = f"lc-test-{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workbench.settings",
            "DATA_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "LINKCHECK_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LINKCHECK_LIMIT_PREFIX": self.queue,
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.workers: list[support.WorkerProcess] = []

    def manage(self, *args: str, code: str | None = None, **env: str) -> str:
        command = [sys.executable, "manage.py", *args]
        if code is not None:
            command += ["shell", "-c", code]
        done = subprocess.run(
            command, cwd=ROOT, env={**self.env, **env}, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def add_evidence(self, urls: list[str], **env: str) -> list[int]:
        out = self.manage(code=ADD_EVIDENCE, LC_URLS=json.dumps(urls), **env)
        return json.loads(out.strip().splitlines()[-1])

    def start_worker(self, name: str, pool: str = "threads", **env: str) -> support.WorkerProcess:
        worker = support.start_worker(
            queue=self.queue,
            name=name,
            pool=pool,
            concurrency=4 if pool == "threads" else 2,
            env={**self.env, **env},
            log_path=self.folder / f"{name}.log",
        )
        self.workers.append(worker)
        return worker

    def wait_ready(self, worker: support.WorkerProcess, timeout: float = 30) -> None:
        support.wait_worker_ready(worker, timeout)

    def kill(self, worker: subprocess.Popen) -> None:
        support.kill_worker(worker)

    def stop_all(self) -> None:
        for worker in self.workers:
            support.stop_worker(worker)

    def rows(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db, timeout=20) as conn:
            return conn.execute(sql, params).fetchall()

    def links(self, ids: list[int]) -> dict[int, tuple]:
        marks = ",".join("?" * len(ids))
        return {
            row[0]: row[1:]
            for row in self.rows(
                "SELECT id, outcome, last_checked_at, attempts, check_requested_at"
                f" FROM annotations_sourcelink WHERE id IN ({marks})",
                *ids,
            )
        }

    def checks(self, link_id: int) -> list[tuple]:
        return self.rows(
            "SELECT outcome, attempt FROM annotations_linkcheck WHERE source_link_id = ?", link_id
        )

    def wait_checked(self, ids: list[int], timeout: float = 40) -> dict[int, tuple]:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            links = self.links(ids)
            if all(state[1] for state in links.values()):
                return links
            time.sleep(0.2)
        logs = "\n".join(w.log()[-2000:] for w in self.workers)
        raise AssertionError(f"not checked in time: {self.links(ids)}\n{logs}")


@pytest.fixture
def app(tmp_path, migrated):
    installations = []

    def make(**env: str) -> App:
        installation = App(tmp_path / f"app{len(installations)}", migrated, **env)
        installations.append(installation)
        return installation

    yield make
    for installation in installations:
        installation.stop_all()
        support.purge_redis_keys(installation.env.get("CELERY_BROKER_URL", ""), installation.queue)


@pytest.fixture
def redis_broker():
    url = redis_url()
    require_service("Redis", url, 6379)
    return url


def test_checks_queued_on_commit_are_done_by_two_workers_within_the_host_limit(
    web, app, redis_broker
):
    """Two worker processes, 4 threads each; 6 links on one host and 2 on another."""
    # One link per task here, so that both workers take part (batches are tested elsewhere).
    installation = app(
        CELERY_BROKER_URL=redis_broker, LINKCHECK_PER_HOST="2", LINKCHECK_BATCH_SIZE="1"
    )
    workers = [installation.start_worker("w1"), installation.start_worker("w2")]
    for worker in workers:
        installation.wait_ready(worker)
    urls = [f"{web.base}/hold/{i}?s=0.6" for i in range(6)]
    urls += [f"http://localhost:{web.port}/holdb/{i}?s=0.6" for i in range(2)]
    ids = installation.add_evidence(urls)
    links = installation.wait_checked(ids)
    assert {state[0] for state in links.values()} == {"ok"}
    for link_id in ids:
        assert installation.checks(link_id) == [("ok", 1)]
    assert web.max_active["hold"] == 2  # the per-host limit held across both workers...
    # The second host's limit holds too; whether its two ever overlap depends on scheduling
    # (it flaked on a loaded CI machine), and the parallelism is asserted just below.
    assert 1 <= web.max_active["holdb"] <= 2
    assert web.max_total_active >= 3  # ...while the other host went on in parallel
    assert len(web.log) == 8


def test_worker_killed_mid_check_leaves_the_check_to_be_redone(web, app, redis_broker):
    installation = app(
        CELERY_BROKER_URL=redis_broker,
        CELERY_VISIBILITY_TIMEOUT="3",
        LINKCHECK_TIME_LIMIT="4",
        LINKCHECK_SOFT_TIME_LIMIT="3",
    )
    first = installation.start_worker("doomed")
    installation.wait_ready(first)
    [link_id] = installation.add_evidence([f"{web.base}/slow-once"])
    until = time.monotonic() + 20
    while web.hits["/slow-once"] == 0:
        assert time.monotonic() < until, first.log_path.read_text()[-3000:]
        time.sleep(0.05)
    killed_at = time.monotonic()
    installation.kill(first)  # SIGKILL: no goodbye, no acknowledgement
    assert installation.links([link_id])[link_id][:2] == ("pending", None)
    assert installation.checks(link_id) == []
    # The message was never acknowledged: once the visibility timeout passes, a new worker
    # gets it again.
    time.sleep(max(0.0, killed_at + 3.5 - time.monotonic()))
    second = installation.start_worker("heir")
    installation.wait_ready(second)
    links = installation.wait_checked([link_id])
    assert links[link_id][0] == "ok"
    assert installation.checks(link_id) == [("ok", 1)]
    assert web.hits["/slow-once"] == 2


def test_broker_down_evidence_still_saved_and_link_left_for_the_sweep(web, app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    installation = app(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{closed}/0",
        LINKCHECK_REDIS_URL="database",  # the per-host limit lives in the database
    )
    [link_id] = installation.add_evidence([f"{web.base}/ok"])  # succeeds, after a warning
    assert installation.rows("SELECT COUNT(*) FROM annotations_evidence") == [(1,)]
    outcome, checked_at, _, requested_at = installation.links([link_id])[link_id]
    assert (outcome, checked_at, requested_at) == ("pending", None, None)
    assert web.log == []
    # The sweep (here the command in the foreground, as beat would queue it) picks it up.
    out = installation.manage("check_links", "--stale", "--now")
    assert f"{web.base}/ok: ok" in out
    assert installation.links([link_id])[link_id][0] == "ok"


# --- Deadlines under every pool (issue 9, items 1 and 2)

DEADLINE_ENV = {
    "LINKCHECK_TOTAL_TIMEOUT": "1",
    "LINKCHECK_READ_TIMEOUT": "1",
    "LINKCHECK_CONNECT_TIMEOUT": "1",
    "LINKCHECK_MAX_RETRIES": "0",  # the first timeout is final: one history row to look for
    "LINKCHECK_SOFT_TIME_LIMIT": "8",
    "LINKCHECK_TIME_LIMIT": "10",
}


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_a_trickling_link_ends_as_timeout_and_its_batch_keeps_the_healthy_links(
    web, app, redis_broker, pool
):
    installation = app(CELERY_BROKER_URL=redis_broker, **DEADLINE_ENV)
    worker = installation.start_worker("w", pool=pool)
    installation.wait_ready(worker)
    urls = [f"{web.base}/hold/{i}?s=0.1" for i in range(5)] + [f"{web.base}/drip/status?every=0.3"]
    ids = installation.add_evidence(urls)  # one batch of six
    started = time.monotonic()
    links = installation.wait_checked(ids, timeout=20)
    assert time.monotonic() - started < 8  # well before the soft time limit
    assert [links[pk][0] for pk in ids] == ["ok"] * 5 + ["timeout"]
    assert installation.checks(ids[-1]) == [("timeout", 1)]


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_sigterm_mid_trickle_stops_the_worker_within_the_deadline(web, app, redis_broker, pool):
    installation = app(
        CELERY_BROKER_URL=redis_broker, **{**DEADLINE_ENV, "LINKCHECK_TOTAL_TIMEOUT": "2"}
    )
    worker = installation.start_worker("w", pool=pool)
    installation.wait_ready(worker)
    [link_id] = installation.add_evidence([f"{web.base}/drip/headers?every=0.3"])
    until = time.monotonic() + 20
    while web.hits["/drip/headers"] == 0:
        assert time.monotonic() < until, worker.log_path.read_text()[-3000:]
        time.sleep(0.05)
    asked = time.monotonic()
    os.kill(worker.pid, signal.SIGTERM)  # a warm shutdown: the check in flight may finish
    worker.wait(15)
    assert time.monotonic() - asked < 2 + 4  # the fetch's deadline, plus the worker's goodbye
    assert installation.links([link_id])[link_id][0] == "timeout"
    assert installation.checks(link_id) == [("timeout", 1)]
