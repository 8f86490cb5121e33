"""Celery tasks: thin, they take an id and call the service layer; and the broker side of
queueing them (``send_link_checks``), so the services never hold a broker connection.

Late acknowledgement with ``reject_on_worker_lost``: a worker killed mid-check leaves
the message to be delivered again, and ``link_check_run`` is safe to run twice. Every task
is bounded by the global ``CELERY_TASK_SOFT_TIME_LIMIT``/``CELERY_TASK_TIME_LIMIT``; the
link checks have their own, sized to the fetch timeouts.
"""

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from annotations import services
from annotations.linkcheck import service
from annotations.linkcheck.service import RunStatus
from annotations.wayback import service as wayback

log = logging.getLogger(__name__)


# A link check is safe to run twice, so it is acknowledged only once done.
LINK_CHECK_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.LINKCHECK_SOFT_TIME_LIMIT,
    "time_limit": settings.LINKCHECK_TIME_LIMIT,
    "ignore_result": True,
}


@shared_task(
    **LINK_CHECK_TASK,
    max_retries=None,  # the service decides, by outcome and LINKCHECK_MAX_RETRIES
)
def check_source_link(self: Task, link_id: int, force: bool = False, attempt: int = 1) -> str:
    """Check one source link; retry transient failures and busy hosts later."""
    outcome = service.link_check_run(link_id=link_id, force=force, attempt=attempt)
    if outcome.status == RunStatus.RETRY:
        log.info(
            "Link %s: %s on attempt %s, again in %.0fs",
            link_id,
            outcome.outcome,
            attempt,
            outcome.delay,
        )
        raise self.retry(
            kwargs={"link_id": link_id, "force": force, "attempt": attempt + 1},
            countdown=outcome.delay,
        )
    if outcome.status == RunStatus.BUSY:
        # Same attempt: waiting for a host slot is not a failure of the link.
        raise self.retry(
            kwargs={"link_id": link_id, "force": force, "attempt": attempt},
            countdown=outcome.delay,
        )
    return outcome.outcome or outcome.status


@shared_task(**LINK_CHECK_TASK)
def check_source_links(self: Task, link_ids: list[int], force: bool = False) -> dict[str, int]:
    """Check a batch of links at once; each one that needs another go is queued on its own."""
    outcomes = service.links_check_run(link_ids=link_ids, force=force)
    for link_id, outcome in outcomes.items():
        if outcome.status in {RunStatus.RETRY, RunStatus.BUSY}:
            attempt = 2 if outcome.status == RunStatus.RETRY else 1
            check_source_link.apply_async(
                kwargs={"link_id": link_id, "force": force, "attempt": attempt},
                countdown=outcome.delay,
            )
    summary: dict[str, int] = {}
    for outcome in outcomes.values():
        summary[outcome.status] = summary.get(outcome.status, 0) + 1
    return summary


@shared_task(acks_late=True, ignore_result=True)
def sweep_source_links() -> int:
    """Periodic (Celery beat): queue checks of links never checked or checked too long ago."""
    return service.links_sweep()


def send_link_checks(link_ids: list[int], *, force: bool) -> list[int]:
    """Send checks to the broker, ``LINKCHECK_BATCH_SIZE`` links per task; returns the unsent.

    A broker that cannot be reached never fails the caller (this runs at the end of a web
    request): the links it could not take are returned, for the service to leave pending.
    """
    app = check_source_links.app
    size = max(1, settings.LINKCHECK_BATCH_SIZE)
    batches = [link_ids[i : i + size] for i in range(0, len(link_ids), size)]
    sent = 0
    try:
        if app.conf.task_always_eager:
            for batch in batches:
                check_source_links.apply_async(args=[batch], kwargs={"force": force})
            return []
        # One quick reconnection attempt, not kombu's default of several seconds of retries.
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0.2, interval_max=0.2)
            for batch in batches:
                check_source_links.apply_async(
                    args=[batch], kwargs={"force": force}, connection=connection, retry=False
                )
                sent += len(batch)
    except Exception:
        log.warning(
            "Could not queue the check of %s source link(s); they stay pending until the sweep.",
            len(link_ids) - sent,
            exc_info=True,
        )
        return link_ids[sent:]
    return []


# A Wayback step is fenced by its number (a second delivery does nothing), so it is
# acknowledged only once done, like a link check.
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the service bounds submissions (WAYBACK_MAX_RETRIES) and polls
)
def advance_wayback_capture(self: Task, capture_id: int, step: int = 0) -> str:
    """One step of a Wayback submission (submit, or poll its job); again later if not done."""
    outcome, next_step = wayback.capture_advance(capture_id=capture_id, step=step)
    if outcome.delay is not None:
        raise self.retry(
            kwargs={"capture_id": capture_id, "step": next_step},
            countdown=outcome.delay,
        )
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_wayback_captures() -> int:
    """Periodic (Celery beat): queue again the Wayback captures whose next step is overdue."""
    return wayback.captures_sweep()


def send_wayback_steps(steps: list[tuple[int, int]]) -> list[int]:
    """Send Wayback steps (capture id, step number) to the broker; returns the unsent ids.

    As with the link checks, a broker that cannot be reached never fails the caller.
    """
    app = advance_wayback_capture.app
    sent = 0
    try:
        if app.conf.task_always_eager:
            for capture_id, step in steps:
                advance_wayback_capture.apply_async(kwargs={"capture_id": capture_id, "step": step})
            return []
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0.2, interval_max=0.2)
            for capture_id, step in steps:
                advance_wayback_capture.apply_async(
                    kwargs={"capture_id": capture_id, "step": step},
                    connection=connection,
                    retry=False,
                )
                sent += 1
    except Exception:
        log.warning(
            "Could not queue %s Wayback submission(s); the sweep queues them later.",
            len(steps) - sent,
            exc_info=True,
        )
        return [capture_id for capture_id, _ in steps[sent:]]
    return []


@shared_task(ignore_result=True)
def purge_deleted_claims() -> int:
    """Beat's periodic purge of claims deleted longer ago than CLAIM_DELETED_RETENTION_DAYS."""
    purged = services.claims_purge_deleted()
    if purged:
        log.info(
            "Purged %s claim(s) deleted over %s days ago",
            purged,
            settings.CLAIM_DELETED_RETENTION_DAYS,
        )
    return purged


# A second run of an export job starts the file over, so it is acknowledged only once done.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.EXPORT_JOB_TIME_LIMIT,
    time_limit=settings.EXPORT_JOB_TIME_LIMIT + 60,
)
def run_export_job(job_id: int) -> str:
    """Write one background export to storage (``services.export_job_run``)."""
    return services.export_job_run(job_id).status


def _send_job(task: Any, job_id: int, what: str) -> bool:
    """Queue one job's task, trying the broker once; False when it cannot be reached.

    The job's row is already committed: its caller marks it failed rather than leave it
    queued forever, and the request that asked for it is not held up by retries.
    """
    app = task.app
    try:
        if app.conf.task_always_eager:
            task.apply_async(args=[job_id])
            return True
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0.2, interval_max=0.2)
            task.apply_async(args=[job_id], connection=connection, retry=False)
    except Exception:
        log.warning("Could not queue %s %s", what, job_id, exc_info=True)
        return False
    return True


def send_export_job(job_id: int) -> bool:
    """Queue an export job; False when the broker cannot be reached (the caller says so)."""
    return _send_job(run_export_job, job_id, "export job")


@shared_task(ignore_result=True)
def purge_export_jobs() -> int:
    """Beat's periodic removal of export jobs older than EXPORT_JOB_RETENTION_DAYS."""
    return services.export_jobs_purge()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.LINKCHECK_SOFT_TIME_LIMIT,
    time_limit=settings.LINKCHECK_TIME_LIMIT,
)
def fetch_article(job_id: int) -> str:
    """Fetch a link to become an article (``services.article_fetch_run``; safe to run twice)."""
    return services.article_fetch_run(job_id).status


def send_article_fetch(job_id: int) -> bool:
    """Queue a link to fetch; False when the broker cannot be reached (the caller says so)."""
    return _send_job(fetch_article, job_id, "article fetch")


@shared_task(ignore_result=True)
def refresh_export_records() -> int:
    """Beat's periodic build of the json records that changes cleared."""
    return services.export_records_refresh(limit=settings.EXPORT_RECORD_REFRESH_LIMIT)
