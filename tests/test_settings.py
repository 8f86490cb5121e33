"""Reading the settings writes nothing; files under DATA_DIR appear when they are needed.

Each case runs in a fresh interpreter, since a process reads its settings only once.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run_python(code: str, data_dir: Path, **env: str) -> str:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "STATIC_ROOT", "SECRET_KEY"}
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "workbench.settings",
            "DATA_DIR": str(data_dir),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


SETUP = "import django; django.setup(); from workbench import celery_app; print('ok')"


def test_importing_the_settings_creates_no_directory(tmp_path):
    data_dir = tmp_path / "fresh"
    assert run_python(SETUP, data_dir, SECRET_KEY="from-the-environment").strip() == "ok"
    assert not data_dir.exists()


def test_without_secret_key_only_the_key_file_is_written_and_kept(tmp_path):
    data_dir = tmp_path / "fresh"
    code = SETUP + "; from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_python(code, data_dir).split()[-1]
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600
    assert run_python(code, data_dir).split()[-1] == first  # the same key after a restart


def test_filesystem_broker_folders_are_made_when_celery_sends_the_first_task(tmp_path):
    data_dir = tmp_path / "fresh"
    code = SETUP + "; from annotations.tasks import sweep_source_links; sweep_source_links.delay()"
    run_python(code, data_dir, SECRET_KEY="x")
    broker = data_dir / "celery-broker"
    assert sorted(p.name for p in broker.iterdir()) == ["control", "processed", "queue"]
    assert [p.suffix for p in (broker / "queue").iterdir()] == [".msg"]
