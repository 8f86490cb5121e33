"""Exports written to a file by a worker: request, run, download, purge.

A streamed export of a million claims takes minutes and a steady connection. A job runs the
same export (``api.exports.prepare_export``: the same formats, filters and blind rule, as the
requester) into the ``exports`` storage, reports progress as it goes, and keeps a manifest of
the file (record count, size, SHA-256) so that whoever downloads it can check it is whole.
"""

import hashlib
import logging
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from annotations.models import ExportJob
from annotations.services.roles import User, account, require, user_roles

if TYPE_CHECKING:
    from annotations.exports.base import Export

log = logging.getLogger(__name__)

STORAGE_ALIAS = "exports"
PROGRESS_EVERY_SECONDS = 1.0

MSG_NO_RIGHT_EXPORT = "Only analysts and reviewers can export claims."
MSG_NOT_YOURS = "This export job belongs to someone else."
MSG_NOT_QUEUED = "The export job could not be queued (the task broker is unreachable); try again."
MSG_NOT_DONE = "The export job is {status}: its file is not ready."


def export_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def export_job_request(
    *, actor: User, query: list[tuple[str, str]], api_root: str, address: str
) -> ExportJob:
    """Record a job for an already validated export query and queue it once committed."""
    require(bool(user_roles(actor)), MSG_NO_RIGHT_EXPORT)
    fmt = next((value for name, value in query if name == "format"), "json")
    job = ExportJob.objects.create(
        requested_by=account(actor),
        format=fmt,
        query=[list(pair) for pair in query],
        api_root=api_root,
        address=address,
    )
    transaction.on_commit(lambda: _send(job.pk))
    return job


def _send(job_id: int) -> None:
    from annotations.tasks import send_export_job

    if not send_export_job(job_id):
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED, error=MSG_NOT_QUEUED, finished_at=timezone.now()
        )


def export_job_of(job_id: int, viewer: User) -> ExportJob:
    """The viewer's own job (``DoesNotExist`` for anyone else's: jobs are not listed to others)."""
    return ExportJob.objects.get(pk=job_id, requested_by_id=getattr(viewer, "pk", None))


def export_job_run(job_id: int) -> ExportJob:
    """Write the job's export to storage. Safe to run again: a second run starts over."""
    from rest_framework.exceptions import ValidationError as RequestError

    from annotations.api.exports import prepare_export
    from annotations.exports.base import NoSuchPage

    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return job
    params = QueryDict(mutable=True)
    for name, value in job.query:
        params.appendlist(name, value)
    progress = _Progress(job)
    try:
        fmt, export = prepare_export(
            job.requested_by, params, api_root=job.api_root, address=job.address
        )
        export = _with_progress(export, progress)
        job.records_total = export.claims.count()
        job.records_done, job.status = 0, ExportJob.Status.RUNNING
        job.started_at, job.error = timezone.now(), ""
        job.save(update_fields=["records_total", "records_done", "status", "started_at", "error"])
        with tempfile.TemporaryFile() as scratch:
            digest, size = _write(fmt.write(export), scratch)
            scratch.seek(0)
            key = f"{job.pk}/claims.{fmt.extension}"
            storage = export_storage()
            if storage.exists(key):
                storage.delete(key)
            job.storage_key = storage.save(key, File(scratch, name=key))
    except (RequestError, NoSuchPage, OSError) as error:
        detail = getattr(error, "detail", None) or str(error)
        return _finish(job, status=ExportJob.Status.FAILED, error=str(detail))
    job.size, job.sha256 = size, digest
    return _finish(job, status=ExportJob.Status.DONE, records_done=progress.done)


def _write(pieces: Iterable[bytes], scratch: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for data in pieces:
        digest.update(data)
        size += len(data)
        scratch.write(data)
    return digest.hexdigest(), size


def _finish(
    job: ExportJob, *, status: str, error: str = "", records_done: int | None = None
) -> ExportJob:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    if records_done is not None:
        job.records_done = records_done
    job.save()
    return job


class _Progress:
    """Counts the claims read and writes the count to the job at most once a second."""

    def __init__(self, job: ExportJob):
        self.job, self.done, self.saved_at = job, 0, 0.0

    def __call__(self, claims: int) -> None:
        self.done += claims
        now = time.monotonic()
        if now - self.saved_at >= PROGRESS_EVERY_SECONDS:
            self.saved_at = now
            ExportJob.objects.filter(pk=self.job.pk).update(records_done=self.done)


def _with_progress(export: "Export", progress: _Progress) -> "Export":
    return replace(export, progress=progress)


def export_job_open(job: ExportJob, viewer: User) -> IO[bytes]:
    """The job's file, for its requester only, once it is done."""
    if job.requested_by_id != getattr(viewer, "pk", None):
        raise PermissionDenied(MSG_NOT_YOURS)
    if job.status != ExportJob.Status.DONE:
        raise FileNotFoundError(MSG_NOT_DONE.format(status=job.get_status_display().lower()))
    return export_storage().open(job.storage_key, "rb")


def export_jobs_purge(*, now: datetime | None = None) -> int:
    """Delete jobs (and their files) older than ``EXPORT_JOB_RETENTION_DAYS``."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EXPORT_JOB_RETENTION_DAYS)
    old = list(ExportJob.objects.filter(created_at__lt=cutoff))
    storage = export_storage()
    for job in old:
        if job.storage_key and storage.exists(job.storage_key):
            storage.delete(job.storage_key)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)


def export_records_refresh(*, limit: int | None = None) -> int:
    """Build the json records that changes cleared (for the desk's own address), so that
    the next export reads them stored; how many were built."""
    from annotations.exports import stored
    from annotations.exports.fields import Urls

    api_root = urljoin(settings.DESK_URL, reverse("api:api-root"))
    return stored.refresh(Urls(api_root), chunk_size=settings.EXPORT_CHUNK_SIZE, limit=limit)
