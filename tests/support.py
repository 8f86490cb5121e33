"""What the tests and the benchmarks share: the fixed cast, Chromium, Celery worker processes.

Nothing here touches Django models when imported, so a benchmark can import it before
``django.setup()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


# --- Servers ---------------------------------------------------------------------------------


def service_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def purge_redis_keys(url: str, tag: str) -> None:
    """Delete what a run left in a shared Redis under its own tag (queue bindings, leases)."""
    if not url.startswith(("redis://", "rediss://")) or not service_reachable(url, 6379):
        return
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)


# --- The fixed cast --------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    username: str
    role: str | None  # a group name: services.ANALYST or services.REVIEWER
    is_staff: bool = False

    @property
    def password(self) -> str:
        return password_of(self.username)


CAST = {
    "analyst": Member("olena", "analyst"),
    "other_analyst": Member("pavlo", "analyst"),
    "reviewer": Member("iryna", "reviewer", is_staff=True),
    "outsider": Member("visitor", None),
}


def database_defaults() -> None:
    """Give the desk's NOT NULL columns their model defaults in the database itself.

    The PostgreSQL benchmarks fill tables with hand-written INSERT … SELECT statements for
    speed; a column added later (with a default in its model) would otherwise break them
    with a NOT NULL violation. Constant defaults only; PostgreSQL only.
    """
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_app_config("annotations").get_models():
            for field in model._meta.concrete_fields:
                if field.null or field.primary_key:
                    continue
                # Text fields without a declared default still default to "" in Django.
                default = field.get_default()
                if isinstance(default, bool):
                    literal = "true" if default else "false"
                elif isinstance(default, int):
                    literal = str(default)
                elif isinstance(default, str):
                    literal = "'" + default.replace("'", "''") + "'"
                else:
                    continue
                cursor.execute(
                    f"ALTER TABLE {quote(model._meta.db_table)} "
                    f"ALTER COLUMN {quote(field.column)} SET DEFAULT {literal}"
                )


def password_of(username: str) -> str:
    return "pw-" + username


def make_user(username: str, role: str | None = None, **extra: Any) -> User:
    """A user with the cast's password rule (``pw-<name>``) in the role's group, if any."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    extra.setdefault("password", password_of(username))
    user = get_user_model().objects.create_user(username=username, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def cast_user(key: str) -> User:
    """Create one member of the fixed cast: ``analyst``, ``other_analyst``, ``reviewer``..."""
    member = CAST[key]
    return make_user(member.username, member.role, is_staff=member.is_staff)


# --- Chromium --------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_missing() -> str | None:
    """Why Chromium cannot run here, or None. Playwright never downloads a browser."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (make test installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's headless Chromium through a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# --- Celery worker processes -----------------------------------------------------------------


class WorkerProcess(subprocess.Popen):
    """A Celery worker in its own process group, logging to a file."""

    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


def start_worker(
    *,
    queue: str,
    name: str,
    env: dict[str, str],
    log_path: Path,
    concurrency: int = 4,
    loglevel: str = "INFO",
    pool: str = "threads",
) -> WorkerProcess:
    """A worker (``--pool threads`` unless told) on one queue, without gossip, mingle or
    heartbeats."""
    log = open(log_path, "w")  # noqa: SIM115 - the child has its own copy once started
    try:
        worker = WorkerProcess(
            [
                *(sys.executable, "-m", "celery", "-A", "workbench", "worker"),
                *("--pool", pool, "--concurrency", str(concurrency)),
                *("-Q", queue, "-n", f"{name}@{queue}"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--loglevel", loglevel),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    worker.log_path = log_path
    return worker


def wait_worker_ready(worker: WorkerProcess, timeout: float = 30) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if " ready." in worker.log():
            return
        assert worker.poll() is None, worker.log()[-3000:]
        time.sleep(0.05)
    raise AssertionError("worker not ready:\n" + worker.log()[-3000:])


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the worker's whole process group: no goodbye, no acknowledgement."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


def stop_worker(worker: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL if it has not gone within ``timeout``."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_worker(worker)
