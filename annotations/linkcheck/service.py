"""Source-link checks: asking for one and running one.

``link_check_request`` / ``links_request_checks`` are what every entry point calls
(evidence saved, the admin, the management command, the periodic sweep, the REST API);
they queue Celery tasks once the transaction commits, a batch of links per task (the
broker side is ``tasks.send_link_checks``). ``links_check_run`` is what a batch task calls,
in four steps: find the links due and claim their rows, fetch each under its host's slot
(``limits.run_under_slots``), classify each result (final or to be retried), and record
each as soon as it is known (``record.links_check_record``, a fixed number of queries;
results that end together share one transaction).
``link_check_run`` checks one link (retries, the command's ``--now``). Every attempt leaves
one LinkCheck row. The SourceLink's current state changes only when an attempt is final (not
a transient failure that will be tried again), so a flapping server does not flap the desk's
view.
"""

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from annotations.linkcheck import archive, limits
from annotations.linkcheck import fetch as fetching
from annotations.linkcheck.record import ANSWERED, Attempt, links_check_record
from annotations.models import Claim, Evidence, SourceLink

log = logging.getLogger(__name__)


class RunStatus(StrEnum):
    """What the task should do next with a link it was given."""

    DONE = "done"  # checked; the outcome is recorded
    SKIPPED = "skipped"  # checked recently enough already
    GONE = "gone"  # the link was deleted meanwhile
    RETRY = "retry"  # a transient failure: another attempt after ``delay``
    BUSY = "busy"  # its host had no free slot (or another task holds it): same attempt later


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    delay: float = 0.0
    outcome: str = ""


# --- Asking for a check


def link_check_request(
    *, link: SourceLink | int, force: bool = False, reread: bool = False
) -> bool:
    """Queue a check of ``link`` after the current transaction commits; True if queued.

    One check per URL: a link checked within ``LINKCHECK_FRESHNESS`` or already queued
    (within ``LINKCHECK_REQUEST_GRACE``) is not queued again unless ``force``; even forced, a
    link checked, queued or being checked within ``LINKCHECK_FORCE_COALESCE`` seconds is not
    (fifty clicks make one check); ``reread`` skips only the freshness window (a new excerpt
    is known only from a fresh read). A
    broker that cannot be reached never fails the caller: the link stays pending and the
    periodic sweep queues it later.
    """
    pk = link.pk if isinstance(link, SourceLink) else link
    if not _mark_requested(pk, force, reread):
        return False
    transaction.on_commit(lambda: _enqueue([pk], force or reread), robust=True)
    return True


def _requestable(pks: list[int], force: bool, *, reread: bool = False) -> QuerySet[SourceLink]:
    now = timezone.now()
    candidates = SourceLink.objects.filter(pk__in=pks)
    if force:
        coalesce = settings.LINKCHECK_FORCE_COALESCE
        if not coalesce:
            return candidates
        since = now - timedelta(seconds=coalesce)
        return candidates.exclude(
            _queued_since(since) | Q(last_checked_at__gte=since) | Q(checking_until__gt=now)
        )
    queued_since = now - timedelta(seconds=settings.LINKCHECK_REQUEST_GRACE)
    candidates = candidates.exclude(_queued_since(queued_since))
    if not reread:
        # A fresh page that could not be archived is read again once its retry is due.
        fresh_since = now - timedelta(seconds=settings.LINKCHECK_FRESHNESS)
        candidates = candidates.exclude(
            Q(last_checked_at__gte=fresh_since) & ~Q(archive_retry_at__lte=now)
        )
    return candidates


def _queued_since(since: datetime) -> Q:
    """Asked for since ``since`` and not checked since it was asked for."""
    return Q(check_requested_at__gte=since) & (
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=F("check_requested_at"))
    )


def _mark_requested(pk: int, force: bool, reread: bool = False) -> bool:
    # The conditional UPDATE is the "one check per URL" decision; concurrent savers of the same
    # URL serialise on the row, and the second sees the first's request.
    requestable = _requestable([pk], force, reread=reread)
    return bool(requestable.update(check_requested_at=timezone.now()))


def links_request_checks(*, links: Iterable[SourceLink | int], force: bool = False) -> int:
    """Queue checks for several links (admin action, command, sweep); returns how many.

    Two queries whatever the number of links, and all of them go to the broker over one
    connection once the transaction commits.
    """
    pks = [link.pk if isinstance(link, SourceLink) else link for link in links]
    with transaction.atomic():
        queued = list(
            _requestable(pks, force).select_for_update().order_by("pk").values_list("pk", flat=True)
        )
        if queued:
            SourceLink.objects.filter(pk__in=queued).update(check_requested_at=timezone.now())
            transaction.on_commit(lambda: _enqueue(queued, force), robust=True)
    return len(queued)


def claims_request_link_checks(*, claims: Iterable[Claim | int]) -> int:
    """Re-check (forced) every link cited as evidence by these claims (the claim admin)."""
    pks = [c.pk if isinstance(c, Claim) else c for c in claims]
    links = SourceLink.objects.filter(evidence__claim__in=pks).values_list("pk", flat=True)
    return links_request_checks(links=sorted(set(links)), force=True)


def _enqueue(link_ids: list[int], force: bool) -> None:
    from annotations.tasks import send_link_checks

    unsent = send_link_checks(link_ids, force=force)
    if unsent:
        # Let the next sweep pick them up at once instead of after the grace period.
        SourceLink.objects.filter(pk__in=unsent).update(check_requested_at=None)


def links_due_for_check(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Cited links never checked, or checked longer ago than ``LINKCHECK_RECHECK_AGE``.

    A link queued within ``LINKCHECK_REQUEST_GRACE`` is left alone: its task is on its way.
    """
    from annotations.selectors import source_links_due

    now = now or timezone.now()
    query = source_links_due(
        now=now,
        recheck_age=timedelta(seconds=settings.LINKCHECK_RECHECK_AGE),
        request_grace=timedelta(seconds=settings.LINKCHECK_REQUEST_GRACE),
    )
    return list(query.values_list("pk", flat=True)[: limit or settings.LINKCHECK_SWEEP_BATCH])


def links_sweep() -> int:
    """The periodic job: queue every link that is due (never checked, or stale)."""
    due = links_due_for_check()
    queued = links_request_checks(links=due) if due else 0
    if queued:
        log.info("Link sweep queued %s check(s).", queued)
    return queued


# --- Running a check


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, at least Retry-After, below the broker's redelivery."""
    base = settings.LINKCHECK_RETRY_BASE * (2 ** max(0, attempt - 1))
    delay = base * random.uniform(0.5, 1.5)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, max_delay())


def max_delay() -> float:
    """A retry must not wait longer than the Redis visibility timeout, or it is delivered twice."""
    cap = float(settings.LINKCHECK_RETRY_MAX)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        cap = min(cap, visibility * 0.8)
    return max(cap, 0.0)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def link_check_run(
    *, link_id: int, force: bool = False, attempt: int = 1, final: bool = False
) -> RunOutcome:
    """Check one link now (this is what the Celery task runs). Safe to run twice.

    Returns what the task should do next; ``final`` records a transient failure as it
    is. A duplicate delivery of a check already made (acks_late redelivery, two
    requests racing) finds the link fresh and does nothing. It is a batch of one.
    """
    outcomes = links_check_run(link_ids=[link_id], force=force, attempt=attempt, final=final)
    return outcomes[link_id]


def links_check_run(
    *, link_ids: list[int], force: bool = False, attempt: int = 1, final: bool = False
) -> dict[int, RunOutcome]:
    """Check several links at once: claim them, fetch each under its host's slot, classify
    what came back and record it the moment it is known (a fixed number of queries per link).

    This is how queued checks run (``LINKCHECK_BATCH_SIZE`` links per task): one broker
    message per batch instead of per link. Links that need another attempt, or whose host
    stayed busy, come back with ``retry``/``busy`` and are queued one by one by the task. One
    slow link costs the others nothing: each result is written as soon as its fetch ends, and
    if the task's soft time limit strikes, the links still being fetched are recorded as
    ``timeout`` (to be retried alone) and those still waiting for a slot as busy.
    """
    now = timezone.now()
    outcomes, todo = _due(link_ids, force=force, attempt=attempt, now=now)
    if not todo:
        return outcomes
    slots = limits.host_slots()
    if not slots.leases_rows:  # the Redis leases count per host; the rows say who checks them
        todo = _claim(todo, outcomes, now)
    by_pk = {link.pk: link for link in todo}
    started: set[int] = set()
    captures: dict[int, archive.Capture | None] = {}

    def fetched(done: list[tuple[int, fetching.FetchResult]]) -> None:
        classified = {
            pk: _classify(
                by_pk[pk], result, attempt=attempt, final=final, capture=captures.pop(pk, None)
            )
            for pk, result in done
        }
        links_check_record(attempts=[entry for _, entry in classified.values()])
        # Only once recorded: a time limit striking while recording leaves them to be
        # recorded as cut (below), not reported done.
        outcomes.update({pk: outcome for pk, (outcome, _) in classified.items()})
        for _, result in done:
            result.body = b""  # the batch keeps its results; not their bodies

    try:
        _fetch_under_slots(todo, slots, started, fetched, captures)
    except SoftTimeLimitExceeded:
        overran = sorted(started - outcomes.keys())
        log.warning("Link batch cut by its soft time limit while fetching %s", overran)
        if overran:
            fetched([(pk, _overran(by_pk[pk].url)) for pk in overran])
    except BaseException:
        _free([pk for pk in by_pk if pk not in outcomes])
        archive.captures_discard(captures.values())  # stored, never to be recorded
        raise
    no_slot = [pk for pk in by_pk if pk not in outcomes]
    for pk in no_slot:
        outcomes[pk] = _busy()
    if no_slot and not slots.leases_rows:
        _free(no_slot)  # ours to free
    return outcomes


def _overran(url: str) -> fetching.FetchResult:
    return fetching.FetchResult(
        url=url,
        outcome=fetching.TIMEOUT,
        error="the check ran past the task's time limit",
        transient=True,
    )


def _due(
    link_ids: list[int], *, force: bool, attempt: int, now: datetime
) -> tuple[dict[int, RunOutcome], list[SourceLink]]:
    """The links to check now, and what to do with the others (gone, skipped, busy)."""
    links = SourceLink.objects.in_bulk(link_ids)
    outcomes = {pk: RunOutcome(RunStatus.GONE) for pk in link_ids if pk not in links}
    todo = []
    for pk, link in links.items():
        if not force and attempt == 1 and _already_done(link, now):
            outcomes[pk] = RunOutcome(RunStatus.SKIPPED, outcome=link.outcome)
        elif link.checking_until and link.checking_until > now:
            wait = (link.checking_until - now).total_seconds()
            outcomes[pk] = RunOutcome(
                RunStatus.BUSY, delay=min(wait + random.uniform(0.5, 2), max_delay())
            )
        else:
            todo.append(link)
    return outcomes, todo


def _claim(
    todo: list[SourceLink], outcomes: dict[int, RunOutcome], now: datetime
) -> list[SourceLink]:
    """Lease the rows (all at once) so no other task checks them; the busy ones wait."""
    lease = float(settings.LINKCHECK_TIME_LIMIT)
    until = now + timedelta(seconds=lease, microseconds=random.randint(0, 999_999))
    pks = [link.pk for link in todo]
    SourceLink.objects.filter(pk__in=pks).filter(
        Q(checking_until__isnull=True) | Q(checking_until__lte=now)
    ).update(checking_until=until)
    claimed = set(
        SourceLink.objects.filter(pk__in=pks, checking_until=until).values_list("pk", flat=True)
    )
    for pk in pks:
        if pk not in claimed:
            outcomes[pk] = _busy()
    return [link for link in todo if link.pk in claimed]


def _fetch_under_slots(
    todo: list[SourceLink],
    slots: limits.HostSlots,
    started: set[int],
    on_done: Callable[[list[tuple[int, fetching.FetchResult]]], None],
    captures: dict[int, archive.Capture | None],
) -> dict[int, fetching.FetchResult]:
    """Fetch each link once its host has a slot, handing results to ``on_done`` as they end;
    links still waiting after the wait are left out. ``started`` gathers the links fetched.

    The page a fetch read is archived in the same thread (``captures``), beside the other
    fetches, so archiving never waits for them nor they for it; and once the host's slot
    is free, like reading the text, so the host's next link does not wait for it either.
    """
    policy = fetching.FetchPolicy.from_settings()
    archiving = archive.ArchivePolicy.from_settings()
    urls = {link.pk: link.url for link in todo}
    pks = {url: pk for pk, url in urls.items()}
    stored = archive.stored_bodies(urls) if archiving.enabled else {}

    def work(pk: int) -> fetching.FetchResult:
        started.add(pk)
        return fetching.fetch(urls[pk], policy, read=False)

    def read(result: fetching.FetchResult) -> fetching.FetchResult:
        pk = pks[result.url]
        captures[pk] = archive.capture(pk, result, stored.get(pk), archiving)
        result.exchange = None  # the body is stored now; do not hold it until recorded
        return fetching.read_text(result, policy)

    return limits.run_under_slots(
        slots,
        {link.pk: _host(link.url) for link in todo},
        work,
        lease=float(settings.LINKCHECK_TIME_LIMIT),
        wait=float(settings.LINKCHECK_HOST_WAIT),
        on_done=on_done,
        then=read,
    )


def _classify(
    link: SourceLink,
    result: fetching.FetchResult,
    *,
    attempt: int,
    final: bool,
    capture: archive.Capture | None = None,
) -> tuple[RunOutcome, Attempt]:
    """Final or to be tried again: transient failures retry until ``LINKCHECK_MAX_RETRIES``."""
    will_retry = result.transient and attempt < settings.LINKCHECK_MAX_RETRIES + 1 and not final
    if will_retry:
        delay = retry_delay(attempt, result.retry_after)
        outcome = RunOutcome(RunStatus.RETRY, delay=delay, outcome=result.outcome)
    else:
        outcome = RunOutcome(RunStatus.DONE, outcome=result.outcome)
    return outcome, Attempt(link.pk, result, attempt, will_retry, capture)


def _busy() -> RunOutcome:
    return RunOutcome(RunStatus.BUSY, delay=min(random.uniform(1, 5), max_delay()))


def _free(pks: list[int]) -> None:
    SourceLink.objects.filter(pk__in=pks).update(checking_until=None)


def _already_done(link: SourceLink, now: datetime) -> bool:
    if link.last_checked_at is None:
        return False
    if link.check_requested_at and link.check_requested_at > link.last_checked_at:
        return False  # asked for again since the last check
    if link.archive_retry_at and link.archive_retry_at <= now:
        return False  # its page is still to be archived
    return now - link.last_checked_at < timedelta(seconds=settings.LINKCHECK_FRESHNESS)


def evidence_link_attached(*, evidence: Evidence) -> None:
    """A citation is (re)attached to its link: start its change tracking from what we know,
    and pin the archived copy it cites (``archive.pin_at_citation``; else the next capture).

    Called by ``evidence_add`` and by ``evidence_update`` when the URL changes, inside their
    transaction; then asks for a check. The freshness window may skip it, unless the citation
    quotes an excerpt: whether that is on the page is known only from a fresh read of it.
    """
    link = evidence.source_link
    answered = link.outcome in ANSWERED
    evidence.cited_text_sha256 = link.text_sha256 if answered else ""
    evidence.cited_main_text_sha256 = link.main_text_sha256 if answered else ""
    evidence.source_changed_at = None
    evidence.excerpt_found = None
    evidence.pinned_snapshot = archive.pin_at_citation(link)
    Evidence.objects.filter(pk=evidence.pk).update(
        cited_text_sha256=evidence.cited_text_sha256,
        cited_main_text_sha256=evidence.cited_main_text_sha256,
        source_changed_at=None,
        excerpt_found=None,
        pinned_snapshot=evidence.pinned_snapshot,
    )
    link_check_request(link=link, reread=bool(evidence.excerpt))


def evidence_excerpt_changed(*, evidence: Evidence) -> None:
    """The quoted excerpt changed: unknown until the page is read again, so read it again."""
    evidence.excerpt_found = None
    Evidence.objects.filter(pk=evidence.pk).update(excerpt_found=None)
    if evidence.excerpt:
        link_check_request(link=evidence.source_link, reread=True)
