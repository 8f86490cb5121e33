"""Archived copies of the pages the link checks read: one WARC file per capture (snapshot).

A check that reads a page (``ok`` or ``redirected``) keeps the final hop's request and
answer. ``capture`` runs in the fetch's own thread, beside the other fetches of the batch and
after its host's slot is freed, and writes the WARC file to the ``snapshots`` storage
(``STORAGES``), so archiving adds no wait to the batch: a body this link already has in the
archive (same SHA-256) is written as a ``revisit`` record (profile
identical-payload-digest) that refers to the capture that holds it, anything else as a
``response`` record. ``snapshots_record`` then writes the rows inside the check's own
transaction, pins the copy to the citations that wait for one and applies retention and the
quota (only to links that may now hold too much, as known from what the batch read before
its fetches: most checks add a copy and drop none). ``snapshot_read`` and
``snapshots_write_warc`` read them back (the viewer, the downloads).

Deduplication is per source link: a link's copies never depend on another link's, so the
quota, pruning and deleting a link stay local to it.

Pinning (what the analyst saw): a citation is pinned to the link's latest copy when that copy
is the link's latest check and fresh (``LINKCHECK_FRESHNESS``: no new fetch would be made),
else to the first copy captured after it (``evidence_link_attached``, ``snapshots_record``).
A pinned copy, and the copy holding its body, is never pruned.
"""

import base64
import hashlib
import io
import logging
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from annotations.columns import column_field, column_name
from annotations.linkcheck.fetch import Exchange, FetchResult
from annotations.models import Evidence, LinkCheck, LinkOutcome, Snapshot, SourceLink

log = logging.getLogger(__name__)

STORAGE_ALIAS = "snapshots"
ARCHIVED = {LinkOutcome.OK, LinkOutcome.REDIRECTED}  # the outcomes whose page is kept

MSG_STORAGE_FAILED = "the archived copy could not be stored: {error}"
MSG_QUOTA_FULL = (
    "the archived copy was not kept: this link's archive quota ({quota} bytes) is taken by "
    "copies pinned to citations"
)


def snapshot_storage() -> Storage:
    return storages[STORAGE_ALIAS]


@dataclass(frozen=True)
class ArchivePolicy:
    enabled: bool = True
    max_body_bytes: int = 2 * 1024 * 1024
    quota_per_link: int = 50 * 1024 * 1024
    keep_unchanged: int = 5

    @classmethod
    def from_settings(cls) -> "ArchivePolicy":
        return cls(
            enabled=settings.ARCHIVE_ENABLED,
            max_body_bytes=settings.ARCHIVE_MAX_BODY_BYTES,
            quota_per_link=settings.ARCHIVE_QUOTA_PER_LINK,
            keep_unchanged=settings.ARCHIVE_KEEP_UNCHANGED,
        )


@dataclass(frozen=True)
class Original:
    """A stored body that a revisit record can refer to."""

    snapshot_id: int
    url: str
    captured_at: datetime
    warc_record_id: str


@dataclass
class LinkArchive:
    """What one link already has in the archive, read once per batch before its fetches:
    the bodies a revisit can refer to, and enough to tell whether a new copy could make
    retention or the quota drop anything (``Capture.may_prune``)."""

    originals: dict[str, Original] = field(default_factory=dict)  # by body SHA-256
    copies: Counter[int] = field(default_factory=Counter)  # by the copy holding the body
    stored_bytes: int = 0


@dataclass
class Capture:
    """What the fetch thread stored (or why it could not), for the record step."""

    captured_at: datetime
    url: str = ""
    http_status: int = 0
    content_type: str = ""
    body_sha256: str = ""
    size: int = 0
    truncated: bool = False
    storage_key: str = ""
    stored_bytes: int = 0
    warc_record_id: str = ""
    refers_to: Original | None = None
    error: str = ""
    # False when the link's copies, this one included, are within retention and the quota,
    # so recording it need not look for copies to drop (``snapshots_record``).
    may_prune: bool = True


def stored_bodies(link_ids: Iterable[int]) -> dict[int, LinkArchive]:
    """Per link, what it has archived (one query for a batch, outside its transactions).

    Every link asked for has an entry, an empty one when it has no copy yet: that is known,
    so its first copy is recorded without looking for copies to drop (``Capture.may_prune``).
    """
    link_ids = list(link_ids)
    found = {link_id: LinkArchive() for link_id in link_ids}
    rows = Snapshot.objects.filter(source_link_id__in=link_ids)
    for row in rows.order_by("captured_at", "pk").values_list(
        "source_link_id",
        "body_sha256",
        "pk",
        "url",
        "captured_at",
        "warc_record_id",
        "refers_to_id",
        "stored_bytes",
    ):
        link_id, digest, pk, url, captured_at, record_id, refers_to_id, stored_bytes = row
        archived = found[link_id]
        archived.copies[refers_to_id or pk] += 1
        archived.stored_bytes += stored_bytes
        if refers_to_id is None:
            archived.originals.setdefault(digest, Original(pk, url, captured_at, record_id))
    return found


def _may_prune(
    archived: LinkArchive | None, refers_to: Original | None, size: int, policy: ArchivePolicy
) -> bool:
    """Could retention or the quota drop a copy once this one (``size`` bytes) is added?

    Exact, not a guess: ``_prune_link`` drops nothing while every body has at most
    ``keep_unchanged`` captures and the link's files fit its quota. Unknown means yes.
    """
    if archived is None:
        return True
    copies = archived.copies.copy()
    if refers_to is not None:
        copies[refers_to.snapshot_id] += 1
    over_kept = any(n > policy.keep_unchanged for n in copies.values())
    return over_kept or archived.stored_bytes + size > policy.quota_per_link


def capture(
    link_id: int, result: FetchResult, stored: LinkArchive | None, policy: ArchivePolicy
) -> Capture | None:
    """Write the page ``result`` read to the snapshot storage; None when there is none to keep.

    Runs in the fetch's thread and touches no database. A storage that fails (disk full,
    permission denied, an object store down) fails only the archiving: the capture carries
    the error, the check is recorded as usual, and the next check tries again. ``stored``
    is what the link had archived when its batch began (None: not known).
    """
    exchange = result.exchange
    if not policy.enabled or exchange is None or result.outcome not in ARCHIVED:
        return None
    body = exchange.body[: policy.max_body_bytes]
    truncated = exchange.truncated or len(body) < len(exchange.body)
    # The fetch hashed the body it read; it is the body kept unless the archive's cap cut it.
    whole = len(body) == len(exchange.body) and result.body_sha256
    digest = result.body_sha256 if whole else hashlib.sha256(body).hexdigest()
    now = timezone.now()
    original = stored.originals.get(digest) if stored is not None else None
    data, record_id = _warc(exchange, body, truncated, digest, original, now)
    key = f"{link_id}/{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.warc.gz"
    try:
        key = snapshot_storage().save(key, ContentFile(data))
    # Every backend fails in its own way (OSError for files, its client's errors for object
    # storage); whatever it raises, only this step fails, and it says why.
    except Exception as exc:
        log.warning("Could not archive %s: %r", exchange.url, exc)
        return Capture(captured_at=now, error=MSG_STORAGE_FAILED.format(error=_reason(exc)))
    return Capture(
        captured_at=now,
        url=exchange.url[:2000],
        http_status=exchange.status,
        content_type=result.content_type,
        body_sha256=digest,
        size=len(body),
        truncated=truncated,
        storage_key=key,
        stored_bytes=len(data),
        warc_record_id=record_id,
        refers_to=original,
        may_prune=_may_prune(stored, original, len(data), policy),
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.__class__.__name__})"  # no server paths in the message
    return f"{exc.__class__.__name__}: {exc}"[:300]


def _warc_date(when: datetime) -> str:
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _payload_digest(digest: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(digest)).decode()


def _stored_headers(exchange: Exchange, body: bytes) -> list[tuple[str, str]]:
    """The answer's headers, fitted to the body as stored (de-chunked, maybe cut).

    The original values are kept under ``X-Archive-Orig-`` names, as replay tools expect.
    """
    headers: list[tuple[str, str]] = []
    length_fits = False
    for name, value in exchange.response_headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            headers.append(("X-Archive-Orig-" + name, value))
        elif lower == "content-length":
            if value.strip() == str(len(body)):
                length_fits = True
                headers.append((name, value))
            else:
                headers.append(("X-Archive-Orig-" + name, value))
        else:
            headers.append((name, value))
    if not length_fits:
        headers.append(("Content-Length", str(len(body))))
    return headers


GZIP_LEVEL = 6


class _GzipMembers:
    """Gzips what warcio writes, one gzip member per record, at ``GZIP_LEVEL``.

    warcio's own gzip uses level 9, which on HTML takes about twice the time of level 6
    (zlib's and gzip's default) for files a few per cent smaller. The level changes only
    the size: any gzip reader, every WARC tool among them, reads every level. warcio ends
    each record with ``flush()``, which ends its member here, so the file stays a series
    of members, one per record, as replay tools and ``snapshots_write_warc`` need.
    """

    def __init__(self, out: IO[bytes]):
        self.out = out
        self._member: zlib._Compress | None = None

    def write(self, data: bytes) -> None:
        if self._member is None:
            self._member = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out.write(self._member.compress(data))

    def flush(self) -> None:
        if self._member is not None:
            self.out.write(self._member.flush())
            self._member = None


def _warc(
    exchange: Exchange,
    body: bytes,
    truncated: bool,
    digest: str,
    original: Original | None,
    when: datetime,
) -> tuple[bytes, str]:
    """The WARC file of one capture (gzipped per record) and its response/revisit record id."""
    out = io.BytesIO()
    writer = WARCWriter(_GzipMembers(out), gzip=False, warc_version="1.1")
    date = _warc_date(when)
    http = StatusAndHeaders(
        f"{exchange.status} {exchange.reason}".strip(),
        _stored_headers(exchange, body),
        protocol=exchange.http_version,
    )
    warc_headers = {"WARC-Date": date}
    if truncated:
        warc_headers["WARC-Truncated"] = "length"
    if original is None:
        answer = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={**warc_headers, "WARC-Payload-Digest": _payload_digest(digest)},
        )
    else:
        answer = writer.create_revisit_record(
            exchange.url,
            _payload_digest(digest),
            original.url,
            _warc_date(original.captured_at),
            http_headers=http,
            warc_headers_dict={**warc_headers, "WARC-Refers-To": original.warc_record_id},
        )
    request = writer.create_warc_record(
        exchange.url,
        "request",
        http_headers=StatusAndHeaders(
            f"GET {exchange.request_target} {exchange.http_version}",
            exchange.request_headers,
            is_http_request=True,
        ),
    )
    writer.write_request_response_pair(request, answer)
    return out.getvalue(), str(answer.rec_headers.get_header("WARC-Record-ID"))


# --- Recording (in the check's transaction)


def snapshots_record(captured: list[tuple[LinkCheck, Capture]], policy: ArchivePolicy) -> None:
    """Write the rows of the copies stored, pin them to the citations waiting for one, then
    apply retention and the quota to each link that gained one and may now hold too much
    (``Capture.may_prune``; the others cost no query). A fixed number of queries per batch."""
    snapshots = Snapshot.objects.bulk_create(
        Snapshot(
            source_link_id=check.source_link_id,
            link_check=check,
            captured_at=item.captured_at,
            url=item.url,
            http_status=item.http_status,
            content_type=item.content_type,
            body_sha256=item.body_sha256,
            size=item.size,
            truncated=item.truncated,
            storage_key=item.storage_key,
            stored_bytes=item.stored_bytes,
            warc_record_id=item.warc_record_id,
            refers_to_id=item.refers_to.snapshot_id if item.refers_to else None,
        )
        for check, item in captured
    )
    _pin_waiting({s.source_link_id: s.pk for s in snapshots})
    may_prune = {check.pk for check, item in captured if item.may_prune}
    over_quota = _prune(
        {s.source_link_id: s for s in snapshots if s.link_check_id in may_prune}, policy
    )
    if over_quota:
        checks = [check for check, _ in captured if check.pk in over_quota]
        message = MSG_QUOTA_FULL.format(quota=policy.quota_per_link)
        LinkCheck.objects.filter(pk__in=[c.pk for c in checks]).update(archive_error=message)
        for check in checks:
            check.archive_error = message


def _pin_waiting(newest: dict[int, int]) -> None:
    """Pin each waiting citation of these links (link id: its new copy) to that copy.

    One parameterised UPDATE run once per link (``executemany``): a batch checks each link
    once, so each has one new copy. A single UPDATE with a CASE per link cost more to build
    than the rest of recording the copies.
    """
    if not newest:
        return
    evidence = Evidence._meta
    quote = connection.ops.quote_name
    pinned = quote(column_name(column_field(Evidence, "pinned_snapshot")))
    link = quote(column_name(column_field(Evidence, "source_link")))
    sql = (
        f"UPDATE {quote(evidence.db_table)} SET {pinned} = %s "
        f"WHERE {link} = %s AND {pinned} IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, link_id) for link_id, pk in newest.items()])


@dataclass
class _Row:
    pk: int
    link_id: int
    refers_to_id: int | None
    captured_at: datetime
    stored_bytes: int
    storage_key: str
    pinned: bool
    link_check_id: int | None


def _prune(new: dict[int, Snapshot], policy: ArchivePolicy) -> set[int]:
    """Drop what retention and the quota leave out, for the links that gained a copy.

    Returns the checks whose new copy was dropped because pinned copies fill the quota.
    """
    if not new:
        return set()
    pinned = Exists(Evidence.objects.filter(pinned_snapshot=OuterRef("pk")))
    rows = [
        _Row(*values)
        for values in Snapshot.objects.filter(source_link_id__in=list(new))
        .annotate(pinned=pinned)
        .order_by("captured_at", "pk")
        .values_list(
            "pk",
            "source_link_id",
            "refers_to_id",
            "captured_at",
            "stored_bytes",
            "storage_key",
            "pinned",
            "link_check_id",
        )
    ]
    by_link: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        by_link[row.link_id].append(row)
    doomed: list[_Row] = []
    over_quota: set[int] = set()
    for link_id, link_rows in by_link.items():
        gone, dropped_new = _prune_link(link_rows, new[link_id].pk, policy)
        doomed += gone
        if dropped_new is not None and dropped_new.link_check_id is not None:
            over_quota.add(dropped_new.link_check_id)
    if doomed:
        # Revisits first: an original is protected while a revisit refers to it.
        Snapshot.objects.filter(pk__in=[r.pk for r in doomed if r.refers_to_id]).delete()
        Snapshot.objects.filter(pk__in=[r.pk for r in doomed if not r.refers_to_id]).delete()
        keys = [r.storage_key for r in doomed]
        transaction.on_commit(lambda: _delete_files(keys))
    return over_quota


def _prune_link(
    rows: list[_Row], new_pk: int, policy: ArchivePolicy
) -> tuple[list[_Row], _Row | None]:
    """One link's copies (oldest first): which to delete, and the new one if the quota took it."""
    groups: dict[int, list[_Row]] = defaultdict(list)  # by the copy holding the body
    for row in rows:
        groups[row.refers_to_id or row.pk].append(row)
    doomed: list[_Row] = []
    # Retention: of one unchanged body keep the latest N captures; the original holds the
    # body, so only revisits go.
    for members in groups.values():
        for row in members[: -policy.keep_unchanged]:
            if row.refers_to_id and not row.pinned:
                doomed.append(row)
    gone = {r.pk for r in doomed}
    total = sum(r.stored_bytes for r in rows if r.pk not in gone)
    if total <= policy.quota_per_link:
        return doomed, None
    # Quota: whole bodies go, oldest first, unless a citation is pinned to one of their
    # captures or the new capture is one of them.
    new_group = next(key for key, members in groups.items() if any(r.pk == new_pk for r in members))
    for key, members in groups.items():  # in order of the original's capture
        if total <= policy.quota_per_link:
            break
        if key == new_group or any(r.pinned for r in members):
            continue
        for row in members:
            if row.pk not in gone:
                doomed.append(row)
                gone.add(row.pk)
                total -= row.stored_bytes
    if total <= policy.quota_per_link:
        return doomed, None
    newest = next(r for r in rows if r.pk == new_pk)
    if newest.pinned:
        return doomed, None  # what a citation saw is kept, quota or not
    doomed.append(newest)
    return doomed, newest


def captures_discard(captures: Iterable[Capture | None]) -> None:
    """Remove the files of captures whose rows were never written: the transaction that was
    to record them rolled back, or the batch failed before recording them. Else the file
    would stay on disk with no row to find it, prune it or count it against the quota."""
    _delete_files([c.storage_key for c in captures if c is not None and c.storage_key])


def _delete_files(keys: list[str]) -> None:
    storage = snapshot_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:  # a file left behind costs space, not correctness
            log.warning("Could not delete the archived copy %s: %r", key, exc)


def pin_at_citation(link: SourceLink) -> Snapshot | None:
    """The copy a new citation is pinned to now: the link's latest, if it is a copy of the
    link's latest check and that check is fresh (no new fetch will be made). Else None, and
    the next capture pins it."""
    if link.last_checked_at is None or link.outcome not in ARCHIVED:
        return None
    fresh_since = timezone.now() - timedelta(seconds=settings.LINKCHECK_FRESHNESS)
    if link.last_checked_at < fresh_since:
        return None
    return (
        Snapshot.objects.filter(source_link=link, link_check__checked_at=link.last_checked_at)
        .order_by("-captured_at", "-pk")
        .first()
    )


# --- Reading


def snapshot_archive_path(snapshot_id: int) -> str:
    """Where the desk shows an archived copy (the archive viewer); exports, the API and the
    W3C ``cached`` link all take it from here."""
    from django.urls import reverse

    return reverse("archive-view", kwargs={"pk": snapshot_id})


class SnapshotUnavailable(Exception):
    """The archived copy cannot be read (its file is gone or is not a WARC capture)."""


@dataclass(frozen=True)
class SnapshotContent:
    url: str
    captured_at: datetime
    http_status: int
    http_headers: list[tuple[str, str]]  # as stored (see ``_stored_headers``)
    body: bytes  # exactly as it came, up to the cap
    truncated: bool


def snapshot_read(snapshot: Snapshot) -> SnapshotContent:
    """The HTTP headers and body of an archived copy (a revisit's body from its original)."""
    headers, body = _answer_record(snapshot)
    if snapshot.refers_to_id is not None:
        original = snapshot.refers_to
        assert original is not None
        _, body = _answer_record(original)
    return SnapshotContent(
        url=snapshot.url,
        captured_at=snapshot.captured_at,
        http_status=snapshot.http_status,
        http_headers=headers,
        body=body,
        truncated=snapshot.truncated,
    )


def _answer_record(snapshot: Snapshot) -> tuple[list[tuple[str, str]], bytes]:
    try:
        with snapshot_storage().open(snapshot.storage_key, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    headers = list(record.http_headers.headers) if record.http_headers else []
                    body = record.content_stream().read() if record.rec_type == "response" else b""
                    return headers, body
    except OSError as exc:
        raise SnapshotUnavailable(f"the archived copy {snapshot.pk} cannot be read") from exc
    raise SnapshotUnavailable(f"the archived copy {snapshot.pk} holds no capture")


def warc_order(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    """These copies in the order a standalone WARC file holds them: a revisit's original
    first, each copy once (one query for the originals)."""
    wanted = list(snapshots)
    originals = {
        s.pk: s
        for s in Snapshot.objects.filter(pk__in={s.refers_to_id for s in wanted if s.refers_to_id})
    }
    ordered: dict[int, Snapshot] = {}
    for snapshot in wanted:
        original = originals.get(snapshot.refers_to_id or 0)
        if original is not None:
            ordered.setdefault(original.pk, original)
        ordered.setdefault(snapshot.pk, snapshot)
    return list(ordered.values())


def warcinfo_record(filename: str, info: dict[str, str]) -> bytes:
    """A gzipped ``warcinfo`` record saying what a download holds (so it is never empty)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(writer.create_warcinfo_record(filename, info))
    return buffer.getvalue()


def snapshots_warc_chunks(ordered: Iterable[Snapshot]) -> Iterator[bytes]:
    """The WARC files of copies already in ``warc_order``, byte for byte, in pieces (to
    stream a download without holding it)."""
    storage = snapshot_storage()
    for snapshot in ordered:
        with storage.open(snapshot.storage_key, "rb") as stream:
            while chunk := stream.read(64 * 1024):
                yield chunk


def snapshots_write_warc(snapshots: Iterable[Snapshot], out: IO[bytes]) -> int:
    """Write these copies into one WARC stream (``.warc.gz``) that replay tools open; a
    revisit's original goes first, once, so the file stands alone. Returns the copies written.

    Each stored file is a series of gzip members, one per record, so the files are copied
    byte for byte: concatenated, they are one valid WARC file.
    """
    ordered = warc_order(snapshots)
    for chunk in snapshots_warc_chunks(ordered):
        out.write(chunk)
    return len(ordered)
