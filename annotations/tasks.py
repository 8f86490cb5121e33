"""Celery tasks: thin, they take an id and call the service layer.

Late acknowledgement with ``reject_on_worker_lost``: a worker killed mid-check leaves
the message to be delivered again, and ``link_check_run`` is safe to run twice.
"""

import logging

from celery import shared_task
from django.conf import settings

from annotations.linkcheck import service

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.LINKCHECK_SOFT_TIME_LIMIT,
    time_limit=settings.LINKCHECK_TIME_LIMIT,
    max_retries=None,  # the service decides, by outcome and LINKCHECK_MAX_RETRIES
    ignore_result=True,
)
def check_source_link(self, link_id: int, force: bool = False, attempt: int = 1) -> str:
    """Check one source link; retry transient failures and busy hosts later."""
    outcome = service.link_check_run(link_id=link_id, force=force, attempt=attempt)
    if outcome.status == "retry":
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
    if outcome.status == "busy":
        # Same attempt: waiting for a host slot is not a failure of the link.
        raise self.retry(
            kwargs={"link_id": link_id, "force": force, "attempt": attempt},
            countdown=outcome.delay,
        )
    return outcome.outcome or outcome.status


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.LINKCHECK_SOFT_TIME_LIMIT,
    time_limit=settings.LINKCHECK_TIME_LIMIT,
    ignore_result=True,
)
def check_source_links(self, link_ids: list[int], force: bool = False) -> dict[str, int]:
    """Check a batch of links at once; each one that needs another go is queued on its own."""
    outcomes = service.links_check_run(link_ids=link_ids, force=force)
    for link_id, outcome in outcomes.items():
        if outcome.status in {"retry", "busy"}:
            attempt = 2 if outcome.status == "retry" else 1
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
