"""At most N checks at once per host, across every worker process and machine.

Celery's ``rate_limit`` counts per worker, so the limit lives in a shared store:
Redis when there is one (a sorted set of leases per host, taken and pruned by one
Lua script), otherwise the database (the ``checking_until`` lease on SourceLink rows,
taken by one conditional UPDATE). Leases expire on their own, so a worker killed
mid-check frees its slot after the lease time rather than never.
"""

import functools
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from annotations.models import SourceLink

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

_ACQUIRE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local expires = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, expires, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
  return 1
end
return 0
"""


T = TypeVar("T")


class HostSlots(Protocol):
    # True when a slot is the SourceLink row's own lease (``checking_until``): the rows need no
    # separate claim, and a slot is freed only by the thread that holds the database connection.
    leases_rows: ClassVar[bool]

    def acquire(self, host: str, link_id: int, lease: float) -> str | None: ...
    def release(self, host: str, token: str) -> None: ...


@functools.cache
def _redis_client(url: str) -> "redis.Redis":
    """One client (and its connection pool) per URL and process, shared by every batch.

    A client per batch opened fresh connections for the batch's threads (connect and
    handshake), which cost a link check more than its slot's own commands. The client is
    thread-safe and its pool reconnects after a fork.
    """
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


class RedisHostSlots:
    """Leases in ``<prefix>:host:<name>`` sorted sets, scored by their expiry time."""

    leases_rows: ClassVar[bool] = False

    def __init__(self, url: str, limit: int, prefix: str):
        self.client = _redis_client(url)
        self.limit = limit
        self.prefix = prefix
        self._acquire = self.client.register_script(_ACQUIRE)

    def _key(self, host: str) -> str:
        return f"{self.prefix}:host:{host}"

    def acquire(self, host: str, link_id: int, lease: float) -> str | None:
        token = f"{link_id}:{uuid.uuid4().hex}"
        now = time.time()
        taken = self._acquire(keys=[self._key(host)], args=[now, now + lease, self.limit, token])
        return token if taken else None

    def release(self, host: str, token: str) -> None:
        self.client.zrem(self._key(host), token)


class DatabaseHostSlots:
    """The SourceLink rows being checked are the leases: count them per host."""

    leases_rows: ClassVar[bool] = True

    def __init__(self, limit: int):
        self.limit = limit

    def acquire(self, host: str, link_id: int, lease: float) -> str | None:
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        table = connection.ops.quote_name(SourceLink._meta.db_table)
        # One UPDATE with the count inside: atomic on SQLite (one writer at a time) and, under
        # the advisory lock taken first, on PostgreSQL, where only this host's checks wait.
        sql = (
            f"UPDATE {table} SET host = %s, checking_until = %s "
            "WHERE id = %s AND (checking_until IS NULL OR checking_until <= %s) "
            f"AND (SELECT COUNT(*) FROM {table} "
            "WHERE host = %s AND checking_until > %s AND id <> %s) < %s"
        )
        params = [
            host,
            adapt(now + timedelta(seconds=lease)),
            link_id,
            adapt(now),
            host,
            adapt(now),
            link_id,
            self.limit,
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"linkcheck:{host}"])
            cursor.execute(sql, params)
            return f"db:{link_id}" if cursor.rowcount == 1 else None

    def release(self, host: str, token: str) -> None:
        """Free the slot before the result is written (a batch still has links to fetch)."""
        SourceLink.objects.filter(pk=int(token.split(":", 1)[1])).update(checking_until=None)


def host_slots() -> HostSlots:
    if settings.LINKCHECK_REDIS_URL:
        return RedisHostSlots(
            settings.LINKCHECK_REDIS_URL,
            settings.LINKCHECK_PER_HOST,
            settings.LINKCHECK_LIMIT_PREFIX,
        )
    return DatabaseHostSlots(settings.LINKCHECK_PER_HOST)


def _polls(wait: float, most: float) -> Iterator[None]:
    """One try at once, then more with growing, jittered pauses (so waiters do not march)."""
    give_up = time.monotonic() + wait
    delay = 0.02
    while True:
        yield
        if time.monotonic() >= give_up:
            return
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 1.5, most)


def _take(slots: HostSlots, waiting: Mapping[int, str], lease: float) -> dict[int, str]:
    """One try for each waiting link (link id: host); the slots taken, by link id."""
    taken = {}
    for link_id, host in waiting.items():
        if token := slots.acquire(host, link_id, lease):
            taken[link_id] = token
    return taken


def wait_for_slot(
    slots: HostSlots, host: str, link_id: int, lease: float, wait: float
) -> str | None:
    """Poll for one link's slot for up to ``wait`` seconds."""
    for _ in _polls(wait, most=0.25):
        if taken := _take(slots, {link_id: host}, lease):
            return taken[link_id]
    return None


def run_under_slots(
    slots: HostSlots,
    hosts: Mapping[int, str],
    work: Callable[[int], T],
    *,
    lease: float,
    wait: float,
    on_done: Callable[[list[tuple[int, T]]], None] | None = None,
    then: Callable[[T], T] | None = None,
) -> dict[int, T]:
    """``work(link_id)`` for each link of ``hosts`` (link id: host) once it has its host's slot.

    The works run at once, a thread each; this thread alone takes slots (and frees the
    database's), polling for up to ``wait`` seconds, and calls ``on_done([(link_id, result),
    ...])`` with the works that ended since its last call, so a result is kept as soon as it
    is known and results that end together are kept together (one transaction, not one
    each). ``then(result)`` is work that needs no slot (reading a page's text): it runs in the
    work's thread once the slot is free,
    so the host's next link does not wait for it. A link that got no slot in that time is
    missing from the result. An exception from a work is raised once every work has ended.
    Interrupted (a time limit), it returns at once without waiting for the works.
    """
    futures: dict[int, Future[T]] = {}
    held: dict[int, str] = {}  # database slots of works that may still run
    results: dict[int, T] = {}
    errors: list[BaseException] = []
    waiting = dict(hosts)

    def collect() -> None:
        done: list[tuple[int, T]] = []
        for link_id in [pk for pk, future in futures.items() if future.done()]:
            future = futures.pop(link_id)
            if link_id in held:  # free the row for this host's next links
                slots.release(hosts[link_id], held.pop(link_id))
                if then is not None and future.exception() is None:
                    futures[link_id] = pool.submit(then, future.result())
                    continue
            if (error := future.exception()) is not None:
                errors.append(error)
                continue
            results[link_id] = future.result()
            done.append((link_id, results[link_id]))
        if done and on_done is not None:
            on_done(done)

    pool = ThreadPoolExecutor(max_workers=max(1, len(hosts)))
    try:
        for _ in _polls(wait, most=0.05):
            collect()
            for link_id, token in _take(slots, waiting, lease).items():
                host = waiting.pop(link_id)
                if slots.leases_rows:
                    held[link_id] = token
                futures[link_id] = pool.submit(
                    _work_then_release, slots, work, link_id, host, token, then
                )
            if not waiting:
                break
        while futures:
            wait_futures(list(futures.values()), return_when=FIRST_COMPLETED)
            collect()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if errors:
        raise errors[0]
    return results


def _work_then_release(
    slots: HostSlots,
    work: Callable[[int], T],
    link_id: int,
    host: str,
    token: str,
    then: Callable[[T], T] | None = None,
) -> T:
    try:
        result = work(link_id)
    finally:
        if not slots.leases_rows:  # a Redis lease is freed as soon as its work ends
            try:
                slots.release(host, token)
            except Exception:  # the lease expires on its own
                log.warning("Could not release the host slot for %s", host, exc_info=True)
    if then is not None and not slots.leases_rows:  # a database slot is freed by the caller
        result = then(result)
    return result
