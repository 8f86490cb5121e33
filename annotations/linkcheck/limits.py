"""At most N checks at once per host, across every worker process and machine.

Celery's ``rate_limit`` counts per worker, so the limit lives in a shared store:
Redis when there is one (a sorted set of leases per host, taken and pruned by one
Lua script), otherwise the database (the ``checking_until`` lease on SourceLink rows,
taken by one conditional UPDATE). Leases expire on their own, so a worker killed
mid-check frees its slot after the lease time rather than never.
"""

import logging
import random
import time
import uuid
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from annotations.models import SourceLink

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


class HostSlots(Protocol):
    def acquire(self, host: str, link_id: int, lease: float) -> str | None: ...
    def release(self, host: str, token: str) -> None: ...


class RedisHostSlots:
    """Leases in ``<prefix>:host:<name>`` sorted sets, scored by their expiry time."""

    def __init__(self, url: str, limit: int, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
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


def wait_for_slot(
    slots: HostSlots, host: str, link_id: int, lease: float, wait: float
) -> str | None:
    """Poll for a slot for up to ``wait`` seconds (with jitter, so waiters do not march)."""
    give_up = time.monotonic() + wait
    delay = 0.02
    while True:
        token = slots.acquire(host, link_id, lease)
        if token or time.monotonic() >= give_up:
            return token
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 1.5, 0.25)
