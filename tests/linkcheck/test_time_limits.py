"""Every Celery task is bounded in time: the global limits, and the link checks' own."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from annotations.tasks import check_source_link, check_source_links, sweep_source_links
from workbench.celery import app

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_task_has_a_soft_and_a_hard_time_limit():
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    # A task without limits of its own takes the app's when it is bound to the app.
    assert (sweep_source_links.soft_time_limit, sweep_source_links.time_limit) == (
        settings.CELERY_TASK_SOFT_TIME_LIMIT,
        settings.CELERY_TASK_TIME_LIMIT,
    )


def test_the_link_checks_keep_limits_sized_to_their_fetches():
    for task in (check_source_link, check_source_links):
        assert task.soft_time_limit == settings.LINKCHECK_SOFT_TIME_LIMIT
        assert task.time_limit == settings.LINKCHECK_TIME_LIMIT
        assert settings.LINKCHECK_TOTAL_TIMEOUT < task.soft_time_limit < task.time_limit


def limits_from(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from workbench.celery import app; "
        "print(app.conf.task_soft_time_limit, app.conf.task_time_limit)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "workbench.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_limits_come_from_the_environment():
    run = limits_from({"CELERY_TASK_SOFT_TIME_LIMIT": "20", "CELERY_TASK_TIME_LIMIT": ""})
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["20", "80"]  # the hard limit defaults to a minute more


def test_a_hard_limit_below_the_soft_one_is_refused_at_start():
    run = limits_from({"CELERY_TASK_SOFT_TIME_LIMIT": "120", "CELERY_TASK_TIME_LIMIT": "60"})
    assert run.returncode != 0
    assert "CELERY_TASK_SOFT_TIME_LIMIT must be above 0 and below CELERY_TASK_TIME_LIMIT" in (
        run.stderr
    )
