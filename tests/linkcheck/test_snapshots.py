"""Archived copies of checked pages (issue 12, item 1): WARC files written through the
snapshot storage, read back with warcio; deduplication, caps, retention, quota, pinning,
and the faults (blocked links, a storage that fails, pages that are not HTML)."""

import base64
import errno
import hashlib
import io
import os
import re
import subprocess
import zlib
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError
from django.test import TestCase
from django.utils import timezone
from warcio.archiveiterator import ArchiveIterator

from annotations.linkcheck import archive, fetch, limits, record, service
from annotations.models import Evidence, LinkCheck, LinkOutcome, Snapshot, SourceLink

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n\x00\x01\x02binary\xff\n%%EOF\n"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)
# Says UTF-8 in the header, is windows-1251, and its markup never closes.
LYING = "<html><head><title>Заявление<body><p>Министр заявил <b>что".encode("cp1251")


def article(version: str = "one", padding: int = 20_000) -> bytes:
    filler = " ".join(f"word{i % 977}" for i in range(padding // 8))
    return (
        f"<html><head><title>Article {version}</title></head><body><p>{version}</p>"
        f"<p>{filler}</p></body></html>"
    ).encode()


def serve(web, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
    web.pages[path] = (200, {"Content-Type": content_type}, body)
    return f"{web.base}{path}"


def check(url: str) -> SourceLink:
    """Check now (a transient failure is final); pruned files go once the check commits."""
    link, _ = SourceLink.objects.get_or_create(url=url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        service.link_check_run(link_id=link.pk, force=True, final=True)
    link.refresh_from_db()
    return link


def records(snapshot: Snapshot) -> list:
    """The WARC records of a snapshot's file, digests verified, payloads read."""
    found = []
    with archive.snapshot_storage().open(snapshot.storage_key, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            found.append((record, record.content_stream().read()))
    return found


# --- Writing and reading back


def test_a_page_read_by_a_check_is_kept_as_request_and_response_records(db, web):
    url = serve(web, "/news", article())
    link = check(url)
    snapshot = Snapshot.objects.get()
    check_row = LinkCheck.objects.get()
    assert (snapshot.source_link, snapshot.link_check) == (link, check_row)
    assert (snapshot.url, snapshot.http_status) == (url, 200)
    assert snapshot.content_type == "text/html; charset=utf-8"
    assert snapshot.body_sha256 == hashlib.sha256(article()).hexdigest() == link.body_sha256
    assert snapshot.size == len(article()) and not snapshot.truncated
    assert not snapshot.is_revisit and check_row.archive_error == ""
    assert snapshot.stored_bytes == archive.snapshot_storage().size(snapshot.storage_key)
    (response, body), (request, _) = records(snapshot)
    assert response.rec_type == "response" and request.rec_type == "request"
    assert response.rec_headers.get_header("WARC-Target-URI") == url
    assert response.rec_headers.get_header("WARC-Record-ID") == snapshot.warc_record_id
    assert request.rec_headers.get_header("WARC-Concurrent-To") == snapshot.warc_record_id
    digest = base64.b32encode(hashlib.sha256(article()).digest()).decode()
    assert response.rec_headers.get_header("WARC-Payload-Digest") == f"sha256:{digest}"
    assert response.http_headers.get_statuscode() == "200"
    assert body == article()
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("Host") == f"127.0.0.1:{web.port}"
    assert request.http_headers.get_header("User-Agent").startswith("FactcheckWorkbench")
    content = archive.snapshot_read(snapshot)
    assert content.body == article() and content.http_status == 200
    assert ("Content-Type", "text/html; charset=utf-8") in content.http_headers


def test_a_redirected_link_keeps_the_page_it_landed_on(db, web):
    link = check(f"{web.base}/r301")
    assert link.outcome == LinkOutcome.REDIRECTED
    snapshot = Snapshot.objects.get()
    assert snapshot.url == f"{web.base}/ok" and snapshot.http_status == 200
    [(response, _), _] = records(snapshot)
    assert response.rec_headers.get_header("WARC-Target-URI") == f"{web.base}/ok"


def test_an_identical_body_is_stored_once_and_revisited(db, web):
    url = serve(web, "/same", article())
    check(url)
    check(url)
    original, revisit = Snapshot.objects.order_by("captured_at")
    assert revisit.refers_to == original and revisit.is_revisit
    assert revisit.body_sha256 == original.body_sha256 and revisit.size == original.size
    assert revisit.stored_bytes < original.stored_bytes / 3  # headers only, no body
    [(record, payload), (request, _)] = records(revisit)
    assert record.rec_type == "revisit" and payload == b"" and request.rec_type == "request"
    headers = record.rec_headers
    assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert headers.get_header("WARC-Refers-To-Target-URI") == url
    assert headers.get_header("WARC-Refers-To") == original.warc_record_id
    [(first, _), _] = records(original)
    assert headers.get_header("WARC-Refers-To-Date") == first.rec_headers.get_header("WARC-Date")
    assert headers.get_header("WARC-Payload-Digest") == first.rec_headers.get_header(
        "WARC-Payload-Digest"
    )
    assert archive.snapshot_read(revisit).body == article()
    # A changed page is stored whole; changed back, it revisits the first copy again.
    serve(web, "/same", article("two"))
    check(url)
    serve(web, "/same", article())
    check(url)
    third, fourth = Snapshot.objects.order_by("captured_at")[2:]
    assert third.refers_to is None and archive.snapshot_read(third).body == article("two")
    assert fourth.refers_to == original


def test_identical_bodies_of_different_links_are_kept_apart(db, web):
    """Deduplication is per link, so one link's copies never depend on another's."""
    check(serve(web, "/a", article()))
    check(serve(web, "/b", article()))
    assert [s.refers_to_id for s in Snapshot.objects.all()] == [None, None]


def test_several_copies_go_into_one_warc_stream(db, web):
    url = serve(web, "/same", article())
    check(url)
    check(url)
    check(serve(web, "/pdf", PDF, "application/pdf"))
    revisit = Snapshot.objects.get(refers_to__isnull=False)
    pdf = Snapshot.objects.get(content_type="application/pdf")
    out = io.BytesIO()
    assert archive.snapshots_write_warc([revisit, pdf], out) == 3
    out.seek(0)
    found = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(out, check_digests="raise")
    ]
    assert [(kind, uri) for kind, uri, _ in found] == [
        ("response", url),  # the revisit's original comes first, so the file stands alone
        ("request", url),
        ("revisit", url),
        ("request", url),
        ("response", f"{web.base}/pdf"),
        ("request", f"{web.base}/pdf"),
    ]
    assert found[0][2] == article() and found[4][2] == PDF


# --- Caps, retention, quota


def test_a_body_over_the_archive_cap_is_stored_cut_and_marked(db, web, settings):
    settings.ARCHIVE_MAX_BODY_BYTES = 1000
    check(serve(web, "/big", article()))
    snapshot = Snapshot.objects.get()
    assert snapshot.truncated and snapshot.size == 1000
    assert snapshot.body_sha256 == hashlib.sha256(article()[:1000]).hexdigest()
    [(response, body), _] = records(snapshot)
    assert response.rec_headers.get_header("WARC-Truncated") == "length"
    assert body == article()[:1000]
    # The answer's own length stays on record; the stored one fits the body.
    assert response.http_headers.get_header("Content-Length") == "1000"
    assert response.http_headers.get_header("X-Archive-Orig-Content-Length") == str(len(article()))
    assert archive.snapshot_read(snapshot).truncated


def test_a_body_cut_by_the_fetch_is_stored_cut_and_marked(db, web, settings):
    settings.LINKCHECK_MAX_BODY_BYTES = 50_000
    link = check(f"{web.base}/endless")
    assert link.body_truncated
    snapshot = Snapshot.objects.get()
    assert snapshot.truncated and snapshot.size == 50_000
    [(response, body), _] = records(snapshot)
    assert response.rec_headers.get_header("WARC-Truncated") == "length"
    assert body.startswith(b"<html><head><title>Endless</title>") and len(body) == 50_000


def test_retention_keeps_the_latest_captures_of_an_unchanged_page(db, web, settings):
    settings.ARCHIVE_KEEP_UNCHANGED = 2
    url = serve(web, "/same", article())
    for _ in range(5):
        check(url)
    kept = list(Snapshot.objects.order_by("captured_at"))
    original = kept[0]
    assert [s.refers_to_id for s in kept] == [None, original.pk, original.pk]
    assert LinkCheck.objects.count() == 5  # the history keeps every check
    stored = sorted(p.name for p in Path(archive.snapshot_storage().location).rglob("*.warc.gz"))
    assert stored == sorted(Path(s.storage_key).name for s in kept)  # pruned files are gone
    assert archive.snapshot_read(kept[-1]).body == article()


def test_retention_never_prunes_a_pinned_copy(db, web, settings, cite):
    settings.ARCHIVE_KEEP_UNCHANGED = 1
    url = serve(web, "/same", article())
    check(url)
    check(url)
    evidence = cite(url)  # the link's latest copy is fresh: the citation is pinned to it
    pinned = Snapshot.objects.latest()
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot == pinned and pinned.is_revisit
    for _ in range(3):
        check(url)
    kept = Snapshot.objects.order_by("captured_at")
    assert pinned in kept and kept.count() == 3  # the original, the pinned one, the latest
    assert archive.snapshot_read(pinned).body == article()


def test_the_quota_drops_the_oldest_unpinned_copies_first(db, web, settings, cite):
    url = serve(web, "/changing", article("v0"))
    check(url)
    one = Snapshot.objects.get().stored_bytes
    settings.ARCHIVE_QUOTA_PER_LINK = int(one * 3.5)
    cite(url)  # pinned to v0
    for n in range(1, 6):
        serve(web, "/changing", article(f"v{n}"))
        check(url)
    bodies = [archive.snapshot_read(s).body for s in Snapshot.objects.order_by("captured_at")]
    # v1, v2 and v3 went in turn to make room; the pinned v0 stayed.
    assert bodies == [article("v0"), article("v4"), article("v5")]
    assert sum(Snapshot.objects.values_list("stored_bytes", flat=True)) <= one * 3.5
    assert not LinkCheck.objects.exclude(archive_error="").exists()


def test_a_quota_full_of_pinned_copies_keeps_the_check_and_says_why(db, web, settings, cite):
    url = serve(web, "/changing", article("v0"))
    check(url)
    cite(url)
    settings.ARCHIVE_QUOTA_PER_LINK = Snapshot.objects.get().stored_bytes + 100
    serve(web, "/changing", article("v1"))
    link = check(url)
    assert link.outcome == LinkOutcome.OK
    assert Snapshot.objects.count() == 1
    latest = LinkCheck.objects.latest()
    assert "quota" in latest.archive_error and "pinned" in latest.archive_error
    assert len(list(Path(archive.snapshot_storage().location).rglob("*.warc.gz"))) == 1


# --- Pinning


def test_a_new_citation_is_pinned_to_the_copy_its_check_takes(
    db, web, cite, eager, django_capture_on_commit_callbacks
):
    url = serve(web, "/news", article())
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(url)
    evidence.refresh_from_db()
    first = Snapshot.objects.get()
    assert evidence.pinned_snapshot == first
    check(url)  # later copies do not move the pin
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot == first and Snapshot.objects.count() == 2


def test_a_citation_of_a_stale_link_waits_for_the_next_copy(
    db, web, cite, settings, django_capture_on_commit_callbacks
):
    url = serve(web, "/news", article())
    check(url)
    settings.LINKCHECK_FRESHNESS = 0
    evidence = cite(url)
    assert evidence.pinned_snapshot is None  # what it saw is not what was archived back then
    check(url)
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot == Snapshot.objects.latest()


def test_a_citation_moved_to_another_url_is_pinned_afresh(db, web, cite, analyst):
    from annotations import services

    check(serve(web, "/a", article("a")))
    check(serve(web, "/b", article("b")))
    evidence = cite(f"{web.base}/a")
    assert archive.snapshot_read(evidence.pinned_snapshot).body == article("a")
    updated = services.evidence_update(
        evidence=Evidence.objects.get(pk=evidence.pk), actor=analyst, url=f"{web.base}/b"
    )
    updated.refresh_from_db()
    assert archive.snapshot_read(updated.pinned_snapshot).body == article("b")


# --- Faults


@pytest.mark.parametrize(
    "path",
    ["/missing", "/down", "/loop-a"],
)
def test_a_page_that_did_not_answer_is_not_archived(db, web, path):
    link = check(f"{web.base}{path}")
    assert link.outcome == LinkOutcome.BROKEN
    assert not Snapshot.objects.exists()


def test_blocked_and_invalid_links_never_produce_a_copy(db, web, settings):
    settings.LINKCHECK_ALLOWED_HOSTS = []
    assert check(f"{web.base}/ok").outcome == LinkOutcome.BLOCKED
    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    redirect = check(f"{web.base}/to?url=http://169.254.169.254/latest/meta-data")
    assert redirect.outcome == LinkOutcome.BLOCKED
    assert check("ftp://example.org/file").outcome == LinkOutcome.INVALID
    assert not Snapshot.objects.exists()
    assert not list(Path(archive.snapshot_storage().location).rglob("*"))
    assert "/ok" not in web.paths()


def test_with_archiving_off_nothing_is_kept(db, web, settings):
    settings.ARCHIVE_ENABLED = False
    assert check(serve(web, "/news", article())).outcome == LinkOutcome.OK
    assert not Snapshot.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/paper.pdf", PDF, "application/pdf"),
        ("/pixel.png", PNG, "image/png"),
        ("/lying", LYING, "text/html; charset=utf-8"),
        ("/empty", b"", "text/html"),
    ],
)
def test_pages_are_stored_exactly_as_they_came(db, web, path, body, content_type):
    check(serve(web, path, body, content_type))
    snapshot = Snapshot.objects.get()
    assert snapshot.content_type == content_type and snapshot.size == len(body)
    [(response, payload), _] = records(snapshot)
    assert payload == body
    assert response.http_headers.get_header("Content-Type") == content_type
    assert archive.snapshot_read(snapshot).body == body


class FullDisk(FileSystemStorage):
    def _save(self, name, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)


def snapshot_storage_at(settings, backend: str, location: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "snapshots": {"BACKEND": backend, "OPTIONS": {"location": location}},
    }


def read_only(folder: Path, request) -> None:
    """A folder nobody may write to: mode 555, or for root (who ignores modes) immutable."""
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        request.addfinalizer(lambda: folder.chmod(0o755))
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("root writes to read-only folders, and chattr +i is not available here")
    request.addfinalizer(lambda: subprocess.run(["chattr", "-i", str(folder)], check=True))


def writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def broken_storage(settings, tmp_path, kind: str, request) -> Path:
    good = tmp_path / "snapshots"
    if kind == "read-only":
        read_only(good, request)
        location = good
    elif kind == "not-a-folder":
        (tmp_path / "file").write_text("x")
        location = tmp_path / "file" / "snapshots"
    else:
        location = good
    backend = (
        f"{__name__}.FullDisk"
        if kind == "disk-full"
        else ("django.core.files.storage.FileSystemStorage")
    )
    snapshot_storage_at(settings, backend, str(location))
    return good


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("read-only", "Permission denied" if os.geteuid() else "Operation not permitted"),
        ("not-a-folder", "Not a directory"),
        ("disk-full", "No space left on device"),
    ],
)
def test_a_failing_storage_fails_only_the_archiving(
    db, web, settings, tmp_path, cite, kind, reason, request
):
    url = serve(web, "/news", article())
    good = broken_storage(settings, tmp_path, kind, request)
    link = check(url)
    assert link.outcome == LinkOutcome.OK and link.last_checked_at is not None
    failed = LinkCheck.objects.get()
    assert failed.outcome == LinkOutcome.OK
    assert failed.archive_error.startswith("the archived copy could not be stored: ")
    assert reason in failed.archive_error
    assert str(tmp_path) not in failed.archive_error  # no server paths on the desk
    assert not Snapshot.objects.exists()
    evidence = cite(url)
    assert evidence.pinned_snapshot is None
    # Storage back: the next check archives the page and pins the waiting citation.
    if kind == "read-only":
        writable(good)
    snapshot_storage_at(settings, "django.core.files.storage.FileSystemStorage", str(good))
    check(url)
    snapshot = Snapshot.objects.get()
    assert LinkCheck.objects.latest().archive_error == ""
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot == snapshot
    assert archive.snapshot_read(snapshot).body == article()


def test_a_failed_archiving_is_retried_before_the_regular_recheck(
    db, web, settings, tmp_path, cite, eager, request
):
    settings.ARCHIVE_RETRY_DELAY = 600
    settings.LINKCHECK_RECHECK_AGE = 7 * 24 * 3600
    url = serve(web, "/news", article())
    evidence = cite(url)
    good = broken_storage(settings, tmp_path, "disk-full", request)
    link = check(url)
    assert link.archive_retry_at is not None and link.last_checked_at is not None
    assert (link.archive_retry_at - link.last_checked_at).total_seconds() == 600
    assert link.pk not in service.links_due_for_check()  # not due yet: just checked
    # The retry is due (ten minutes on): the sweep queues the link though it is fresh, the
    # check reads and archives the page, and nothing is due any more.
    SourceLink.objects.filter(pk=link.pk).update(archive_retry_at=timezone.now())
    assert link.pk in service.links_due_for_check()
    snapshot_storage_at(settings, "django.core.files.storage.FileSystemStorage", str(good))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert service.links_sweep() == 1
    link.refresh_from_db()
    assert link.archive_retry_at is None
    assert LinkCheck.objects.count() == 2 and LinkCheck.objects.latest().archive_error == ""
    evidence.refresh_from_db()
    assert evidence.pinned_snapshot == Snapshot.objects.get()
    assert link.pk not in service.links_due_for_check()


def test_the_archiving_retry_backs_off_up_to_the_regular_recheck(
    db, web, settings, tmp_path, request
):
    settings.ARCHIVE_RETRY_DELAY = 600
    settings.LINKCHECK_RECHECK_AGE = 2000
    url = serve(web, "/news", article())
    broken_storage(settings, tmp_path, "disk-full", request)
    waits = []
    for _ in range(3):
        link = check(url)
        waits.append((link.archive_retry_at - link.last_checked_at).total_seconds())
    assert waits == [600, 1200, 2000]


def test_a_page_archived_or_gone_clears_the_archiving_retry(db, web, settings, tmp_path, request):
    url = serve(web, "/news", article())
    good = broken_storage(settings, tmp_path, "disk-full", request)
    assert check(url).archive_retry_at is not None
    snapshot_storage_at(settings, "django.core.files.storage.FileSystemStorage", str(good))
    web.pages["/news"] = (404, {"Content-Type": "text/html"}, b"gone")
    link = check(url)
    assert link.outcome == LinkOutcome.BROKEN and link.archive_retry_at is None


def test_a_copy_whose_rows_roll_back_leaves_no_file_behind(db, web):
    """The file is written in the fetch's thread, the rows later in the check's transaction:
    when that rolls back (here the link was deleted while its page was being fetched), the
    file goes too."""
    url = serve(web, "/news", article())
    link = SourceLink.objects.create(url=url)
    result = fetch.fetch(url, fetch.FetchPolicy.from_settings(), read=False)
    captured = archive.capture(
        link.pk, result, archive.LinkArchive(), archive.ArchivePolicy.from_settings()
    )
    assert captured is not None and archive.snapshot_storage().exists(captured.storage_key)
    SourceLink.objects.filter(pk=link.pk).delete()
    with pytest.raises((KeyError, IntegrityError)):
        record.links_check_record(attempts=[record.Attempt(link.pk, result, capture=captured)])
    assert not archive.snapshot_storage().exists(captured.storage_key)
    assert not Snapshot.objects.exists() and not LinkCheck.objects.exists()


def test_a_recorded_copy_keeps_its_file(db, web):
    """The counterpart: the same steps with the link still there keep the file and its row."""
    url = serve(web, "/news", article())
    link = SourceLink.objects.create(url=url)
    result = fetch.fetch(url, fetch.FetchPolicy.from_settings(), read=False)
    captured = archive.capture(
        link.pk, result, archive.LinkArchive(), archive.ArchivePolicy.from_settings()
    )
    assert captured is not None
    record.links_check_record(attempts=[record.Attempt(link.pk, result, capture=captured)])
    assert archive.snapshot_storage().exists(captured.storage_key)
    assert Snapshot.objects.get().storage_key == captured.storage_key


def test_a_copy_whose_file_is_gone_says_so(db, web):
    check(serve(web, "/news", article()))
    snapshot = Snapshot.objects.get()
    archive.snapshot_storage().delete(snapshot.storage_key)
    with pytest.raises(archive.SnapshotUnavailable):
        archive.snapshot_read(snapshot)


# --- The review desk


def test_the_link_page_lists_its_archived_copies_read_only(db, web, client, reviewer, cite):
    from django.urls import reverse

    client.force_login(reviewer)
    url = serve(web, "/same", article())
    check(url)
    cite(url)
    check(url)
    link = SourceLink.objects.get()
    original, revisit = Snapshot.objects.order_by("captured_at")
    page = client.get(reverse("admin:annotations_sourcelink_change", args=[link.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Archived copies" in html
    view = reverse("archive-view", args=[original.pk])
    assert f'<a href="{view}">#{original.pk}</a>: full copy, {original.stored_bytes} B' in html
    assert f"#{revisit.pk}</a>: revisit of #{original.pk}" in html
    assert original.body_sha256 in html
    assert 'name="snapshots-0-captured_at"' not in html  # nothing to edit


# --- What archiving costs the checks


def test_a_page_is_archived_after_its_host_slot_is_freed(db, web, monkeypatch):
    """Writing the copy needs no slot: the host's next link must not wait for it."""

    class Slots:
        leases_rows = False

        def __init__(self) -> None:
            self.held: set[int] = set()

        def acquire(self, host: str, link_id: int, lease: float) -> str:
            self.held.add(link_id)
            return str(link_id)

        def release(self, host: str, token: str) -> None:
            self.held.discard(int(token))

    slots = Slots()
    monkeypatch.setattr(limits, "host_slots", lambda: slots)
    held_while_archiving = []
    real_capture = archive.capture

    def capture(link_id, *args, **kwargs):
        held_while_archiving.append(link_id in slots.held)
        return real_capture(link_id, *args, **kwargs)

    monkeypatch.setattr(archive, "capture", capture)
    links = [
        SourceLink.objects.create(url=serve(web, f"/news/{i}", article(str(i)))) for i in (1, 2)
    ]
    service.links_check_run(link_ids=[link.pk for link in links], force=True)
    assert held_while_archiving == [False, False]
    assert Snapshot.objects.count() == 2


def fetched_capture(url: str, link: SourceLink) -> tuple[fetch.FetchResult, archive.Capture]:
    result = fetch.fetch(url, fetch.FetchPolicy.from_settings(), read=False)
    captured = archive.capture(
        link.pk,
        result,
        archive.stored_bodies([link.pk])[link.pk],
        archive.ArchivePolicy.from_settings(),
    )
    assert captured is not None and not captured.error
    return result, captured


def test_a_copy_that_drops_nothing_is_recorded_without_reading_the_links_copies(
    db, web, django_assert_num_queries
):
    url = serve(web, "/news", article())
    link = SourceLink.objects.create(url=url)
    result, captured = fetched_capture(url, link)
    assert not captured.may_prune
    # savepoint, lock the link, insert its check and its copy, pin citations, update the
    # link, release: no look at the link's other copies
    with django_assert_num_queries(7):
        record.links_check_record(attempts=[record.Attempt(link.pk, result, capture=captured)])
    assert Snapshot.objects.get().storage_key == captured.storage_key


def test_a_batch_knows_a_links_first_copy_drops_nothing(db, web, monkeypatch):
    """What the batch read of the archive covers every link it checks, those with no copy
    yet too: their first copy is recorded without reading the link's copies to prune."""
    url = serve(web, "/news", article())
    link = SourceLink.objects.create(url=url)
    made = []
    original = archive.capture

    def capture(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(archive, "capture", capture)
    service.links_check_run(link_ids=[link.pk])
    assert [copy.may_prune for copy in made] == [False]
    assert Snapshot.objects.filter(source_link=link).count() == 1


def test_a_copy_past_retention_or_the_quota_is_pruned_when_recorded(db, web, settings):
    """What the batch read before fetching says exactly when a copy can make one go."""
    settings.ARCHIVE_KEEP_UNCHANGED = 2
    url = serve(web, "/news", article())
    link = SourceLink.objects.create(url=url)
    # From the third capture of one body on, one may go (the first, the original holding
    # the body, stays: a revisit goes).
    for expected in (False, False, True, True):
        result, captured = fetched_capture(url, link)
        assert captured.may_prune is expected
        record.links_check_record(attempts=[record.Attempt(link.pk, result, capture=captured)])
    assert Snapshot.objects.count() == 3
    settings.ARCHIVE_QUOTA_PER_LINK = sum(Snapshot.objects.values_list("stored_bytes", flat=True))
    web.pages["/news"] = (200, {"Content-Type": "text/html"}, article("two"))
    _, captured = fetched_capture(url, link)  # a new body: within retention, over the quota
    assert captured.may_prune
    assert archive.capture(link.pk, result, None, archive.ArchivePolicy.from_settings()).may_prune


def test_each_record_of_a_copy_is_its_own_gzip_member(db, web):
    """Replay tools and the WARC downloads (files concatenated) need one member per record."""
    check(serve(web, "/news", article()))
    with archive.snapshot_storage().open(Snapshot.objects.get().storage_key, "rb") as stream:
        data = stream.read()
    members = []
    while data:
        member = zlib.decompressobj(zlib.MAX_WBITS + 16)
        members.append(member.decompress(data))
        data = member.unused_data
    types = [re.search(rb"\r\nWARC-Type: (\w+)\r\n", m).group(1) for m in members]
    assert types == [b"response", b"request"]
