"""The Celery application shared by the web process, the worker and beat."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

app = Celery("workbench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def make_broker_folders(sender: Celery, **kwargs: object) -> None:
    """The filesystem broker needs its folders before the first message, in any process.

    They are made here, when Celery is first used, rather than when the settings are read.
    """
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def check_production_settings(**kwargs: object) -> None:
    """A production worker writes links into notifications: it needs DESK_URL too.

    SystemExit, not the error itself: Celery logs and swallows exceptions of signal handlers.
    """
    from django.core.exceptions import ImproperlyConfigured

    from workbench.startup import require_production_settings

    try:
        require_production_settings()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc


@worker_init.connect
def preload_link_check_modules(**kwargs: object) -> None:
    """The link checks' main-text extractor is imported at start, not in the first check."""
    from annotations.linkcheck.pagetext import preload

    preload()
