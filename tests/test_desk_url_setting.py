"""DESK_URL is required in production: the web server and the worker refuse to start without it.

Each case runs in a fresh interpreter, since a process reads its settings only once.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from workbench.startup import MSG_DESK_URL_REQUIRED

ROOT = Path(settings.BASE_DIR)
WSGI = "import workbench.wsgi; print('started')"
WORKER = (
    "import django; django.setup(); from celery.signals import worker_init; "
    "from workbench import celery_app; worker_init.send(sender=None); print('started')"
)


def start(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DESK_URL", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "workbench.settings",
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "x",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_server_refuses_to_start_without_desk_url(tmp_path):
    done = start(WSGI, tmp_path, DEBUG="0")
    assert done.returncode != 0
    assert MSG_DESK_URL_REQUIRED in done.stderr


def test_production_worker_refuses_to_start_without_desk_url(tmp_path):
    done = start(WORKER, tmp_path, DEBUG="0")
    assert done.returncode != 0
    assert MSG_DESK_URL_REQUIRED in done.stderr


def test_production_server_starts_with_desk_url(tmp_path):
    done = start(WSGI, tmp_path, DEBUG="0", DESK_URL="https://factcheck.example.org")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "started"


def test_debug_uses_the_local_default(tmp_path):
    code = WSGI + "; from django.conf import settings; print(settings.DESK_URL)"
    done = start(code, tmp_path, DEBUG="1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "http://localhost:8000/"


def test_a_desk_url_without_a_scheme_is_refused(tmp_path):
    done = start(WSGI, tmp_path, DEBUG="1", DESK_URL="factcheck.example.org")
    assert done.returncode != 0
    assert "must start with http:// or https://" in done.stderr
