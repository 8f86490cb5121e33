"""Source-link checks: asking for one, running one, and recording what it found.

``link_check_request`` / ``links_request_checks`` are what every entry point calls
(evidence saved, the admin, the management command, the periodic sweep, the REST API);
they queue Celery tasks once the transaction commits, a batch of links per task.
``links_check_run`` is what a batch task calls (concurrent fetches, each after taking its
host's slot, then one bulk write); ``link_check_run`` checks one link (retries, the
command's ``--now``). Every attempt leaves one LinkCheck row. The SourceLink's
current state changes only when an attempt is final (not a transient failure that
will be tried again), so a flapping server does not flap the desk's view.
"""

import logging
import random
import time
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from annotations.linkcheck import fetch as fetching
from annotations.linkcheck import limits
from annotations.models import Claim, Evidence, LinkCheck, LinkOutcome, SourceLink

log = logging.getLogger(__name__)

# Outcomes that say the page answered, so its text can be compared with what was cited.
_ANSWERED = {LinkOutcome.OK, LinkOutcome.REDIRECTED}


@dataclass(frozen=True)
class RunOutcome:
    """What the task should do next: ``done``, ``skipped``, ``gone``, ``retry`` or ``busy``."""

    status: str
    delay: float = 0.0
    outcome: str = ""


# --- Asking for a check


def link_check_request(
    *, link: SourceLink | int, force: bool = False, reread: bool = False
) -> bool:
    """Queue a check of ``link`` after the current transaction commits; True if queued.

    One check per URL: a link checked within ``LINKCHECK_FRESHNESS`` or already queued
    (within ``LINKCHECK_REQUEST_GRACE``) is not queued again unless ``force``; ``reread``
    skips only the freshness window (a new excerpt is known only from a fresh read). A
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
        return candidates
    queued_since = now - timedelta(seconds=settings.LINKCHECK_REQUEST_GRACE)
    candidates = candidates.exclude(
        Q(check_requested_at__gte=queued_since)
        & (Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=F("check_requested_at")))
    )
    if not reread:
        fresh_since = now - timedelta(seconds=settings.LINKCHECK_FRESHNESS)
        candidates = candidates.exclude(last_checked_at__gte=fresh_since)
    return candidates


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
    from annotations.tasks import check_source_links

    app = check_source_links.app
    size = max(1, settings.LINKCHECK_BATCH_SIZE)
    batches = [link_ids[i : i + size] for i in range(0, len(link_ids), size)]
    sent = 0
    try:
        if app.conf.task_always_eager:
            for batch in batches:
                check_source_links.apply_async(args=[batch], kwargs={"force": force})
            return
        # One quick reconnection attempt, not kombu's default of several seconds of retries:
        # this runs at the end of a web request.
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
        # Let the next sweep pick them up at once instead of after the grace period.
        SourceLink.objects.filter(pk__in=link_ids[sent:]).update(check_requested_at=None)


def links_due_for_check(*, now=None, limit: int | None = None) -> list[int]:
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
    """Check several links at once: concurrent fetches inside one task, one bulk write.

    This is how queued checks run (``LINKCHECK_BATCH_SIZE`` links per task): one broker
    message and a handful of queries per batch instead of per link. Each link still waits for
    its host's slot. Links that need another attempt, or whose host stayed busy, come back
    with ``retry``/``busy`` and are queued one by one by the task.
    """
    now = timezone.now()
    links = SourceLink.objects.in_bulk(link_ids)
    outcomes = {pk: RunOutcome("gone") for pk in link_ids if pk not in links}
    todo = []
    for pk, link in links.items():
        if not force and attempt == 1 and _already_done(link, now):
            outcomes[pk] = RunOutcome("skipped", outcome=link.outcome)
        elif link.checking_until and link.checking_until > now:
            wait = (link.checking_until - now).total_seconds()
            outcomes[pk] = RunOutcome("busy", delay=min(wait + random.uniform(0.5, 2), max_delay()))
        else:
            todo.append(link)
    if not todo:
        return outcomes
    lease = float(settings.LINKCHECK_TIME_LIMIT)
    slots = limits.host_slots()
    in_database = isinstance(slots, limits.DatabaseHostSlots)
    if not in_database:
        # Mark the rows as being checked, all at once; the Redis leases count per host.
        until = now + timedelta(seconds=lease, microseconds=random.randint(0, 999_999))
        SourceLink.objects.filter(pk__in=[link.pk for link in todo]).filter(
            Q(checking_until__isnull=True) | Q(checking_until__lte=now)
        ).update(checking_until=until)
        claimed = set(
            SourceLink.objects.filter(
                pk__in=[link.pk for link in todo], checking_until=until
            ).values_list("pk", flat=True)
        )
        for link in todo:
            if link.pk not in claimed:
                outcomes[link.pk] = RunOutcome("busy", delay=min(random.uniform(1, 5), max_delay()))
        todo = [link for link in todo if link.pk in claimed]
    policy = fetching.FetchPolicy.from_settings()
    wait = float(settings.LINKCHECK_HOST_WAIT)

    def fetch_and_release(link: SourceLink, host: str, token: str) -> fetching.FetchResult:
        try:
            return fetching.fetch(link.url, policy)
        finally:
            if not in_database:
                try:
                    slots.release(host, token)
                except Exception:  # the lease expires on its own
                    log.warning("Could not release the host slot for %s", host, exc_info=True)

    # This thread hands out host slots (and alone talks to the database); the pool fetches.
    futures = {}
    waiting = list(todo)
    give_up = time.monotonic() + wait
    delay = 0.02
    try:
        with ThreadPoolExecutor(max_workers=len(todo)) as pool:
            released: set[int] = set()
            while True:
                if in_database:  # free the rows of finished fetches for this host's next links
                    for pk, future in futures.items():
                        if pk not in released and future.done():
                            slots.release("", f"db:{pk}")
                            released.add(pk)
                still = []
                for link in waiting:
                    host = _host(link.url)
                    token = slots.acquire(host, link.pk, lease)
                    if token:
                        futures[link.pk] = pool.submit(fetch_and_release, link, host, token)
                    else:
                        still.append(link)
                waiting = still
                if not waiting or time.monotonic() >= give_up:
                    break
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, 0.05)
            results = [futures[link.pk].result() if link.pk in futures else None for link in todo]
    except BaseException:
        SourceLink.objects.filter(pk__in=[link.pk for link in todo]).update(checking_until=None)
        raise
    max_attempts = settings.LINKCHECK_MAX_RETRIES + 1
    attempts = []
    no_slot = []
    for link, result in zip(todo, results, strict=True):
        if result is None:
            no_slot.append(link.pk)
            outcomes[link.pk] = RunOutcome("busy", delay=min(random.uniform(1, 5), max_delay()))
            continue
        will_retry = result.transient and attempt < max_attempts and not final
        attempts.append(Attempt(link.pk, result, attempt, will_retry))
        outcomes[link.pk] = (
            RunOutcome(
                "retry", delay=retry_delay(attempt, result.retry_after), outcome=result.outcome
            )
            if will_retry
            else RunOutcome("done", outcome=result.outcome)
        )
    if no_slot and not in_database:
        SourceLink.objects.filter(pk__in=no_slot).update(checking_until=None)  # ours to free
    if attempts:
        links_check_record(attempts=attempts)
    return outcomes


def _already_done(link: SourceLink, now) -> bool:
    if link.last_checked_at is None:
        return False
    if link.check_requested_at and link.check_requested_at > link.last_checked_at:
        return False  # asked for again since the last check
    return now - link.last_checked_at < timedelta(seconds=settings.LINKCHECK_FRESHNESS)


_QUOTES = str.maketrans({c: '"' for c in "«»„“”‟″"} | {c: "'" for c in "‘’‚‛′"} | {"—": "-"})


def _for_search(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).replace("–", "-")
    return " ".join(text.casefold().split())


def excerpt_found(excerpt: str, text: str, *, truncated: bool = False) -> bool | None:
    """Is the cited excerpt still on the page? ``None`` when nobody can tell."""
    needle = _for_search(excerpt)
    if not needle or not text:
        return None
    if needle in _for_search(text):
        return True
    return None if truncated else False  # the rest of the page was not read


@dataclass(frozen=True)
class Attempt:
    link_id: int
    result: fetching.FetchResult
    attempt: int = 1
    will_retry: bool = False


_STATE_FIELDS = [
    "outcome",
    "http_status",
    "final_url",
    "redirect_chain",
    "content_type",
    "page_title",
    "content_length",
    "body_truncated",
    "body_sha256",
    "response_ms",
    "error",
    "last_checked_at",
    "text_sha256",
    "text_changed_at",
]


def link_check_record(
    *, link_id: int, result: fetching.FetchResult, attempt: int = 1, will_retry: bool = False
) -> LinkCheck:
    """Write one attempt to the history; when final, make it the link's current state."""
    return links_check_record(attempts=[Attempt(link_id, result, attempt, will_retry)])[0]


@transaction.atomic
def links_check_record(*, attempts: list[Attempt]) -> list[LinkCheck]:
    """Record several attempts in a fixed number of queries (a batch checked by one task)."""
    links = SourceLink.objects.select_for_update().in_bulk([a.link_id for a in attempts])
    now = timezone.now()
    checks = []
    for entry in attempts:
        result = entry.result
        checks.append(
            LinkCheck(
                source_link_id=entry.link_id,
                checked_at=now,
                outcome=result.outcome,
                http_status=result.http_status,
                final_url=result.final_url[:2000],
                redirect_chain=result.redirect_chain,
                content_type=result.content_type,
                page_title=result.page_title[:500],
                content_length=result.content_length,
                body_truncated=result.body_truncated,
                body_sha256=result.body_sha256,
                text_sha256=result.text_sha256,
                response_ms=result.response_ms,
                error=result.error,
                attempt=entry.attempt,
                will_retry=entry.will_retry,
            )
        )
    checks = LinkCheck.objects.bulk_create(checks)
    answered = {}
    for entry in attempts:
        link, result = links[entry.link_id], entry.result
        link.checking_until = None
        link.attempts = entry.attempt
        if entry.will_retry:
            continue
        link.outcome = result.outcome
        link.http_status = result.http_status
        link.final_url = result.final_url[:2000]
        link.redirect_chain = result.redirect_chain
        link.content_type = result.content_type
        link.page_title = result.page_title[:500]
        link.content_length = result.content_length
        link.body_truncated = result.body_truncated
        link.body_sha256 = result.body_sha256
        link.response_ms = result.response_ms
        link.error = result.error
        link.last_checked_at = now
        if result.outcome in _ANSWERED and result.text_sha256:
            if link.text_sha256 and link.text_sha256 != result.text_sha256:
                link.text_changed_at = now
            link.text_sha256 = result.text_sha256
            answered[link.pk] = result
    _update_rows(list(links.values()), ["checking_until", "attempts", *_STATE_FIELDS])
    if answered:
        _update_citations(answered, now)
    return checks


def _update_rows(objects: list, fields: list[str]) -> None:
    """One parameterised UPDATE run for many rows (``executemany``).

    ``bulk_update`` builds a CASE expression per field and row; for a batch of checks that
    compiling cost more than the fetching.
    """
    if not objects:
        return
    model = type(objects[0])
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = db_connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in columns),
        quote(meta.pk.column),
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), db_connection) for field in columns]
        + [obj.pk]
        for obj in objects
    ]
    with db_connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _update_citations(answered: dict[int, fetching.FetchResult], now) -> None:
    """Flag each citing evidence item whose source text changed or lost its excerpt."""
    changed = []
    for evidence in Evidence.objects.filter(source_link_id__in=list(answered)).only(
        "id", "source_link_id", "excerpt", "cited_text_sha256", "source_changed_at", "excerpt_found"
    ):
        result = answered[evidence.source_link_id]
        before = (evidence.cited_text_sha256, evidence.source_changed_at, evidence.excerpt_found)
        if not evidence.cited_text_sha256:
            evidence.cited_text_sha256 = result.text_sha256
        elif evidence.cited_text_sha256 != result.text_sha256 and not evidence.source_changed_at:
            evidence.source_changed_at = now
        evidence.excerpt_found = excerpt_found(
            evidence.excerpt, result.text, truncated=result.body_truncated
        )
        if before != (
            evidence.cited_text_sha256,
            evidence.source_changed_at,
            evidence.excerpt_found,
        ):
            changed.append(evidence)
    if changed:
        _update_rows(changed, ["cited_text_sha256", "source_changed_at", "excerpt_found"])


def evidence_link_attached(*, evidence: Evidence) -> None:
    """A citation is (re)attached to its link: start its change tracking from what we know.

    Called by ``evidence_add`` and by ``evidence_update`` when the URL changes, inside their
    transaction; then asks for a check. The freshness window may skip it, unless the citation
    quotes an excerpt: whether that is on the page is known only from a fresh read of it.
    """
    link = evidence.source_link
    evidence.cited_text_sha256 = link.text_sha256 if link.outcome in _ANSWERED else ""
    evidence.source_changed_at = None
    evidence.excerpt_found = None
    Evidence.objects.filter(pk=evidence.pk).update(
        cited_text_sha256=evidence.cited_text_sha256, source_changed_at=None, excerpt_found=None
    )
    link_check_request(link=link, reread=bool(evidence.excerpt))


def evidence_excerpt_changed(*, evidence: Evidence) -> None:
    """The quoted excerpt changed: unknown until the page is read again, so read it again."""
    evidence.excerpt_found = None
    Evidence.objects.filter(pk=evidence.pk).update(excerpt_found=None)
    if evidence.excerpt:
        link_check_request(link=evidence.source_link, reread=True)
