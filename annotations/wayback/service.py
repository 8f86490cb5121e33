"""Wayback submissions: asking for one when a link is first cited, and moving it on.

``link_cited`` is what the evidence services call inside their transaction: when the desk
has Internet Archive keys and the link has no capture pending or made, it adds a pending
``WaybackCapture`` and queues its first step once the transaction commits. ``capture_advance``
is what the task runs: one step each time, a submission (``POST /save``, under the shared
rate limit) or a status poll, and it says when the next step is due. Nothing here touches the
link checks: a capture neither waits for a check nor holds one up.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from annotations.models import SourceLink, WaybackCapture, WaybackStatus
from annotations.wayback import client
from annotations.wayback.client import Answer, Kind

log = logging.getLogger(__name__)

WINDOW = 60.0  # seconds: SPN2 counts an account's captures over the last minute
MSG_NOT_CONFIGURED = "Wayback submissions are off (no WAYBACK_ACCESS_KEY/WAYBACK_SECRET_KEY)."
MSG_NO_ANSWER = "The Wayback Machine did not finish the capture within {seconds} s."
MSG_GAVE_UP = "{message} (gave up after {attempts} submissions)"


@dataclass(frozen=True)
class Step:
    """What the task does next: nothing (``delay`` None), or run again after ``delay`` seconds."""

    status: str
    delay: float | None = None


def enabled() -> bool:
    return bool(settings.WAYBACK_ACCESS_KEY and settings.WAYBACK_SECRET_KEY)


# --- Asking for a capture


def link_cited(*, link: SourceLink) -> WaybackCapture | None:
    """A link got a citation: submit it once, if the desk archives to the Wayback Machine.

    A link with a capture pending or made is not submitted again; one whose capture failed is
    (a new citation is a new reason to try). Runs in the caller's transaction; the step is
    queued on commit, and a broker that cannot be reached never fails the caller (the sweep
    queues it later).
    """
    if not enabled():
        return None
    done = (WaybackStatus.PENDING, WaybackStatus.SUCCESS)
    if WaybackCapture.objects.filter(source_link=link, status__in=done).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent citation may have won the race
            capture = WaybackCapture.objects.create(source_link=link, next_step_at=timezone.now())
    except IntegrityError:
        return None
    SourceLink.objects.filter(pk=link.pk).update(wayback_status=WaybackStatus.PENDING)
    link.wayback_status = WaybackStatus.PENDING
    transaction.on_commit(lambda: _enqueue([(capture.pk, capture.step)]), robust=True)
    return capture


def _enqueue(steps: list[tuple[int, int]]) -> None:
    from annotations.tasks import send_wayback_steps

    unsent = send_wayback_steps(steps)
    if unsent:  # let the next sweep take them at once rather than after its grace period
        overdue = timezone.now() - timedelta(seconds=settings.WAYBACK_SWEEP_INTERVAL)
        WaybackCapture.objects.filter(pk__in=unsent).update(next_step_at=overdue)


def captures_sweep() -> int:
    """Periodic: queue again the pending captures whose next step is long overdue.

    A broker outage at citation time, a worker lost mid-step or a lost message leave such a
    capture; its step fence makes a second message for it harmless.
    """
    stale = timezone.now() - timedelta(seconds=settings.WAYBACK_SWEEP_INTERVAL)
    steps = list(
        WaybackCapture.objects.filter(status=WaybackStatus.PENDING, next_step_at__lt=stale)
        .order_by("next_step_at")
        .values_list("pk", "step")[:500]
    )
    if steps:
        _enqueue(steps)
    return len(steps)


# --- Moving a capture on


def capture_advance(*, capture_id: int, step: int) -> tuple[Step, int]:
    """One step of capture ``capture_id`` (the task's body); returns it and the next step's number.

    ``step`` must be the capture's current step number, which this moves on before anything is
    sent: a duplicate or stale message finds another number and does nothing.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WAYBACK_TIMEOUT * 2 + 60)
    claimed = WaybackCapture.objects.filter(
        pk=capture_id, status=WaybackStatus.PENDING, step=step
    ).update(step=F("step") + 1, next_step_at=lease)
    if not claimed:
        return Step("stale"), step
    capture = WaybackCapture.objects.select_related("source_link").get(pk=capture_id)
    if not enabled():
        _finish(capture, Answer(Kind.FAILED, message=MSG_NOT_CONFIGURED))
        return Step(WaybackStatus.ERROR), capture.step
    outcome = _poll(capture, now) if capture.job_id else _submit(capture, now)
    if outcome.delay is not None:
        WaybackCapture.objects.filter(pk=capture.pk).update(
            next_step_at=now + timedelta(seconds=outcome.delay)
        )
    return outcome, capture.step


def _submit(capture: WaybackCapture, now: datetime) -> Step:
    if not submission_slot_take(capture=capture, now=now):
        return Step("busy", slot_wait())
    capture.refresh_from_db(fields=["attempts", "submitted_at"])
    answer = client.submit(capture.source_link.url)
    if answer.kind == Kind.JOB:
        capture.job_id = answer.job_id
        capture.error = ""
        capture.save(update_fields=["job_id", "error"])
        return Step("submitted", float(settings.WAYBACK_POLL_INTERVAL))
    return _after(capture, answer)


def _poll(capture: WaybackCapture, now: datetime) -> Step:
    submitted = capture.submitted_at or capture.requested_at
    if (now - submitted).total_seconds() > settings.WAYBACK_POLL_TIMEOUT:
        message = MSG_NO_ANSWER.format(seconds=settings.WAYBACK_POLL_TIMEOUT)
        return _after(capture, Answer(Kind.TRANSIENT, message=message))
    answer = client.status(capture.job_id)
    if answer.kind == Kind.PENDING:
        return Step("polling", float(settings.WAYBACK_POLL_INTERVAL))
    if answer.kind in (Kind.TRANSIENT, Kind.RATE_LIMITED) and not answer.status_ext:
        # The status call itself failed (network, 5xx, 429): the job may still be running.
        wait = max(float(settings.WAYBACK_POLL_INTERVAL), answer.retry_after or 0.0)
        return Step("polling", min(wait, max_delay()))
    return _after(capture, answer)


def _after(capture: WaybackCapture, answer: Answer) -> Step:
    """Record a success or a final failure, or set the capture up for another submission."""
    if answer.kind == Kind.SUCCESS:
        _finish(capture, answer)
        return Step(WaybackStatus.SUCCESS)
    if answer.kind == Kind.FAILED or capture.attempts > settings.WAYBACK_MAX_RETRIES:
        if answer.kind != Kind.FAILED:
            answer = Answer(
                Kind.FAILED,
                status_ext=answer.status_ext,
                message=MSG_GAVE_UP.format(message=answer.message, attempts=capture.attempts),
            )
        _finish(capture, answer)
        return Step(WaybackStatus.ERROR)
    capture.job_id = ""  # the next step submits again
    capture.status_ext = answer.status_ext
    capture.error = answer.message
    capture.save(update_fields=["job_id", "status_ext", "error"])
    delay = retry_delay(capture.attempts, answer.retry_after)
    if answer.status_ext == "error:too-many-daily-captures":
        delay = max(delay, min(3600.0, max_delay()))  # SPN2 caps captures of one URL a day
    log.info(
        "Wayback capture %s of %s: %s, again in %.0fs",
        capture.pk,
        capture.source_link.url,
        answer.status_ext or answer.kind,
        delay,
    )
    return Step("retry", delay)


@transaction.atomic
def _finish(capture: WaybackCapture, answer: Answer) -> None:
    capture.finished_at = timezone.now()
    capture.status_ext = answer.status_ext
    if answer.kind == Kind.SUCCESS:
        original = answer.original_url or capture.source_link.url
        capture.status = WaybackStatus.SUCCESS
        capture.memento_url = client.memento_url(answer.timestamp, original)
        capture.archived_at = client.archived_at(answer.timestamp)
        capture.error = ""
    else:
        capture.status = WaybackStatus.ERROR
        capture.error = answer.message
    capture.next_step_at = None
    capture.save(
        update_fields=[
            "status",
            "memento_url",
            "archived_at",
            "status_ext",
            "error",
            "finished_at",
            "next_step_at",
        ]
    )
    link_fields: dict[str, object] = {"wayback_status": capture.status}
    if capture.status == WaybackStatus.SUCCESS:
        link_fields |= {
            "wayback_url": capture.memento_url,
            "wayback_archived_at": capture.archived_at,
        }
    # A failure leaves an earlier copy's link in place: that copy still exists.
    SourceLink.objects.filter(pk=capture.source_link_id).update(**link_fields)


# --- The shared rate limit


def submission_slot_take(*, capture: WaybackCapture, now: datetime | None = None) -> bool:
    """May this capture be submitted now? If so, counts its submission; across all workers.

    SPN2 allows an authenticated account ``WAYBACK_CAPTURES_PER_MINUTE`` captures over the
    last 60 seconds; ``WAYBACK_MAX_ACTIVE`` bounds the jobs still running. Celery's
    ``rate_limit`` counts per worker, so the count lives in the database all workers share:
    the row is written first (SQLite then holds its one write lock; PostgreSQL takes an
    advisory lock before), the counts are read, and the write is undone if over a limit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["wayback:submit"])
        taken = WaybackCapture.objects.filter(pk=capture.pk, status=WaybackStatus.PENDING).update(
            submitted_at=now, attempts=F("attempts") + 1, job_id=""
        )
        if not taken:
            return False
        recent = WaybackCapture.objects.filter(submitted_at__gt=now - timedelta(seconds=WINDOW))
        running = WaybackCapture.objects.filter(
            Q(status=WaybackStatus.PENDING) & ~Q(job_id=""),
            submitted_at__gt=now - timedelta(seconds=settings.WAYBACK_POLL_TIMEOUT),
        )
        if (
            recent.count() > settings.WAYBACK_CAPTURES_PER_MINUTE
            or running.count() >= settings.WAYBACK_MAX_ACTIVE
        ):
            transaction.set_rollback(True)
            return False
    return True


def slot_wait() -> float:
    """How long a capture without a slot waits: a share of the window, jittered."""
    return WINDOW / max(1, settings.WAYBACK_CAPTURES_PER_MINUTE) * random.uniform(1.0, 3.0)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, at least Retry-After, below the broker's redelivery."""
    base = settings.WAYBACK_RETRY_BASE * (2 ** max(0, attempt - 1))
    delay = base * random.uniform(0.5, 1.5)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, max_delay())


def max_delay() -> float:
    """A retry must not wait longer than the Redis visibility timeout, or it is delivered twice."""
    cap = float(settings.WAYBACK_RETRY_MAX)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        cap = min(cap, visibility * 0.8)
    return max(cap, 0.0)
