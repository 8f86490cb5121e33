"""Stored export records (``exports.stored``): json and jsonl read them, and no change to a
row a record shows, however it is written, leaves a stale one behind."""

import dataclasses
import json
import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.db.models import OuterRef, Subquery
from django.http import QueryDict
from django.utils import timezone

from annotations import selectors, services
from annotations.api.exports import prepare_export
from annotations.exports import chunks, csv_table, stored
from annotations.exports.fields import Urls
from annotations.exports.records import JSON_RECORD
from annotations.models import (
    Article,
    Assessment,
    Claim,
    Comment,
    Evidence,
    ExportRecord,
    Snapshot,
    SourceLink,
)
from tests import support
from tests.api.test_evidence_archives import archived, check, page, serve  # noqa: F401
from tests.linkcheck.conftest import linkcheck_settings, web  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

EXPORT = "/api/v1/export/claims"
URLS = Urls("http://testserver/api/v1/")


def exported(client) -> dict[int, dict]:
    response = client.get(f"{EXPORT}?format=jsonl")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


def built_now() -> dict[int, dict]:
    """The records as the Python path builds them from the rows, bypassing the store."""
    make = JSON_RECORD.builder(URLS)
    return {
        row["id"]: json.loads(json.dumps(make(row)))
        for chunk in chunks.claim_rows(
            Claim.objects.all(), keyset=selectors.ID_ORDERING, chunk_size=100, record=JSON_RECORD
        )
        for row in chunk
    }


def csv_now(client, user, mode: str) -> tuple[bytes, bytes]:
    """(the CSV export, the CSV the Python writer makes of the rows as they are now)."""
    query = f"format=csv&csv={mode}"
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    _, export = prepare_export(user, QueryDict(query), api_root=URLS.root, address="")
    head = next(csv_table.write_csv(export))
    rows = "".join(csv_table.python_rows(export, excel=mode == csv_table.EXCEL))
    return body, head + rows.encode()


def w3c_now(client) -> tuple[bytes, bytes]:
    """(the W3C collection as exported, the same with every stored annotation emptied)."""
    body = b"".join(client.get(f"{EXPORT}?format=w3c").streaming_content)
    ExportRecord.objects.update(w3c="")
    rebuilt = b"".join(client.get(f"{EXPORT}?format=w3c").streaming_content)
    return body, rebuilt


def stored_count() -> int:
    return ExportRecord.objects.exclude(json="").count()


@pytest.fixture
def cited(archived, reviewer, analyst, other_analyst):  # noqa: F811
    """Claims with archived evidence, an assessment and a comment with a mention, exported
    once, so that every record is stored."""
    claim = archived["claim"]
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="verified")
    services.comment_add(claim=claim, author=reviewer, body=f"@{analyst.username} смотри")
    return claim


def _user_rename(claim, analyst):
    get_user_model().objects.filter(pk=analyst.pk).update(username="переименован")


def _mention(claim, analyst):
    Comment.objects.get(claim=claim).mentions.add(support.make_user("новый", "analyst"))


def _unmention(claim, analyst):
    Comment.objects.get(claim=claim).mentions.clear()


def _new_evidence(claim, analyst):
    services.evidence_add(claim=claim, actor=analyst, url="https://example.org/добавлено")


CHANGES: dict[str, Callable] = {
    "claim": lambda claim, analyst: Claim.objects.filter(pk=claim.pk).update(rationale="Иначе"),
    "article": lambda claim, analyst: Article.objects.update(title="Новый заголовок"),
    "evidence added": _new_evidence,
    "evidence changed": lambda claim, analyst: Evidence.objects.update(stance="refutes"),
    "evidence removed": lambda claim, analyst: Evidence.objects.filter(claim=claim).delete(),
    "source link": lambda claim, analyst: SourceLink.objects.update(
        outcome="broken", page_title="Нет", last_checked_at=timezone.now()
    ),
    "snapshot": lambda claim, analyst: Snapshot.objects.update(http_status=203),
    "assessment": lambda claim, analyst: Assessment.objects.update(rationale="Потому что"),
    "assessment removed": lambda claim, analyst: Assessment.objects.all().delete(),
    "comment": lambda claim, analyst: Comment.objects.update(body="Другое"),
    "comment removed": lambda claim, analyst: Comment.objects.all().delete(),
    "mention added": _mention,
    "mentions removed": _unmention,
    "user renamed": _user_rename,
    "claim added": lambda claim, analyst: services.claim_create(
        article=claim.article, start=0, end=5, author=analyst
    ),
    "claim removed": lambda claim, analyst: Claim.objects.filter(pk=claim.pk).delete(),
}


# The CSV is the claim and its citations: no discussion, assessments or archived copies.
NOT_IN_CSV = {
    "mention added",
    "mentions removed",
    "comment",
    "comment removed",
    "assessment",
    "assessment removed",
    "snapshot",
}


# A W3C annotation has no discussion, assessments, link state, article title or snapshot
# status either.
NOT_IN_W3C = NOT_IN_CSV | {"source link", "article"}


@pytest.mark.parametrize("change", list(CHANGES))
def test_no_change_leaves_a_stale_record(reviewer_api, reviewer, cited, analyst, change):
    before = exported(reviewer_api)
    assert before == built_now()
    assert stored_count() == len(before) == Claim.objects.count()
    csv_before = {mode: csv_now(reviewer_api, reviewer, mode) for mode in ("raw", "excel")}
    for body, expected in csv_before.values():
        assert body == expected
    assert ExportRecord.objects.exclude(csv="").exclude(csv_excel="").count() == len(before)
    w3c_before, rebuilt = w3c_now(reviewer_api)
    assert w3c_before == rebuilt
    assert not ExportRecord.objects.filter(claim__is_orphaned=False, w3c="").exists()
    CHANGES[change](cited, analyst)
    after = exported(reviewer_api)
    assert after == built_now()
    assert after != before, "the change must show in the export"
    assert stored_count() == len(after)
    for mode in ("raw", "excel"):
        body, expected = csv_now(reviewer_api, reviewer, mode)
        assert body == expected
        if change not in NOT_IN_CSV:
            assert body != csv_before[mode][0], "the change must show in the CSV"
    w3c_after, rebuilt = w3c_now(reviewer_api)
    assert w3c_after == rebuilt
    if change not in NOT_IN_W3C:
        assert w3c_after != w3c_before, "the change must show in the W3C export"


def test_unshown_changes_keep_the_records(reviewer_api, cited, analyst):
    """A login, or a check bookkeeping column, shows in no record: nothing is rebuilt."""
    exported(reviewer_api)
    stored_before = stored_count()
    get_user_model().objects.update(last_login=timezone.now())
    assert stored_count() == stored_before


@pytest.mark.parametrize("kept", [stored.JSON, stored.CSV, stored.W3C], ids=lambda k: k.column)
def test_a_change_made_while_building_wins(reviewer_api, cited, kept):
    """A text built from rows read before a change committed is not stored: the generation
    read before building is checked when storing (PostgreSQL's json records: the test
    below)."""
    if connection.vendor == "postgresql" and kept is stored.JSON:
        pytest.skip("PostgreSQL builds and stores json records in one statement")
    on_postgresql = connection.vendor == "postgresql"
    builder = kept.build_in_postgresql if on_postgresql else kept.build_in_python

    def build_then_change(ids: list[int], urls: Urls) -> dict[int, str]:
        texts = builder(ids, urls)  # from the rows as they were
        Claim.objects.filter(pk=cited.pk).update(rationale="Изменено во время сборки")
        return texts

    racing = dataclasses.replace(
        kept, **{"build_in_postgresql" if on_postgresql else "build_in_python": build_then_change}
    )
    texts = stored.build([cited.pk], URLS, racing)
    assert "Изменено" not in texts[cited.pk]  # built before the change
    assert getattr(ExportRecord.objects.get(pk=cited.pk), kept.column) == ""  # and not kept
    texts = stored.build([cited.pk], URLS, kept)
    assert "Изменено во время сборки" in texts[cited.pk]
    assert getattr(ExportRecord.objects.get(pk=cited.pk), kept.column) == texts[cited.pk]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_postgresql_builds_wins(seeds, analyst):
    """A writer holds the claim's record row while PostgreSQL builds: the build waits for
    it, finds the generation moved on, and does not store the text it built from the rows
    as they were before the change."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement build is PostgreSQL's")
    claim = services.claim_create(article=seeds["ru"], start=0, end=5, author=analyst)
    changed, building = threading.Event(), threading.Event()
    built: dict[int, str] = {}

    def writer() -> None:
        with transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(rationale="Пока строилось")
            changed.set()
            building.wait(5)
            time.sleep(1.5)  # the build is waiting on the row by now
        connections.close_all()

    def builder() -> None:
        changed.wait(5)
        building.set()
        built.update(stored.build([claim.pk], URLS))
        connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=builder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert json.loads(built[claim.pk])["rationale"] == ""  # the rows as the build saw them
    assert ExportRecord.objects.get(pk=claim.pk).json == ""  # and not kept
    assert json.loads(stored.build([claim.pk], URLS)[claim.pk])["rationale"] == ("Пока строилось")
    assert ExportRecord.objects.get(pk=claim.pk).json != ""


def test_another_address_rebuilds(reviewer_api, cited, settings):
    """Records hold absolute links: an export from another address does not reuse them."""
    settings.ALLOWED_HOSTS = ["testserver", "desk.example.org"]
    exported(reviewer_api)
    response = reviewer_api.get(f"{EXPORT}?format=jsonl", HTTP_HOST="desk.example.org")
    records = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert all(r["url"].startswith("http://desk.example.org/") for r in records)
    assert set(ExportRecord.objects.values_list("root", flat=True)) == {
        "http://desk.example.org/api/v1/"
    }


def test_refresh_builds_what_is_missing(reviewer_api, cited):
    assert stored_count() == 0
    assert stored.refresh(URLS, chunk_size=1) == Claim.objects.count()
    assert stored.refresh(URLS, chunk_size=1) == 0
    assert stored_count() == Claim.objects.count()
    assert exported(reviewer_api) == built_now()


def test_the_migration_gave_every_claim_a_row(db):
    """The triggers exist on this database (the migration ran them), so a claim written
    without the ORM still gets its row."""
    with connection.cursor() as cursor:
        names = stored._every_trigger()
        cursor.execute(
            "SELECT tgname FROM pg_trigger"
            if connection.vendor == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
        present = {row[0] for row in cursor.fetchall()}
    assert {stored._name(table, event) for table, event in names} <= present


def test_beat_builds_them_for_the_desk_address(cited, settings):
    from annotations import tasks

    assert tasks.refresh_export_records() == Claim.objects.count()
    assert set(ExportRecord.objects.values_list("root", flat=True)) == {
        f"{settings.DESK_URL}api/v1/"
    }
    assert tasks.refresh_export_records() == 0


def test_csv_rows_end_only_outside_quotes():
    text = 'a,"b\n""c""\n",d\n1,2,3\n"x\r\n"\n,\n'
    assert list(stored._csv_rows(text)) == ['a,"b\n""c""\n",d\n', "1,2,3\n", '"x\r\n"\n', ",\n"]
    with pytest.raises(AssertionError):
        list(stored._csv_rows('"open\n'))


def test_stored_texts_are_read_as_the_utf8_bytes_stored(reviewer_api, cited):
    exported(reviewer_api)  # builds and stores them
    rows = (
        Claim.objects.annotate(
            text=Subquery(ExportRecord.objects.filter(claim_id=OuterRef("id")).values("json"))
        )
        .order_by("updated_at", "id")
        .values("id", "updated_at", "verdict", "quote", "text")
    )
    read = chunks.rows_with_bytes(rows, "text")
    assert read and [row["text"] for row in read] == [row["text"].encode() for row in rows]
    first = json.loads(read[0]["text"])
    assert first["quote"] == rows[0]["quote"] and not first["quote"].isascii()  # Cyrillic
    as_values = [{**row, "text": None} for row in rows]
    keys = [{**row, "text": None} for row in read]
    # The other columns as values() gives them: ints, aware datetimes, and str (on PostgreSQL
    # a varchar stays str; a text column such as the quote comes as bytes too).
    if connection.vendor == "postgresql":
        keys = [{**row, "quote": row["quote"].decode()} for row in keys]
    assert keys == as_values
    assert chunks.rows_with_bytes(rows.filter(pk__in=[]), "text") == []


def test_postgresql_stores_the_texts_with_lz4(reviewer_api, cited):
    if connection.vendor != "postgresql":
        pytest.skip("column compression is PostgreSQL's")
    exported(reviewer_api)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(json) FROM annotations_exportrecord"
            " WHERE claim_id = %s AND octet_length(json) > 2000",  # long enough to compress
            [cited.pk],
        )
        assert cursor.fetchall() == [("lz4",)]


@pytest.mark.parametrize("ordering", ["id", "-id", "position", "-updated_at", "verdict"])
def test_stored_chunks_follow_every_ordering(reviewer_api, cited, analyst, settings, ordering):
    """Chunks of two, read built (cold) and then stored (warm: on PostgreSQL one joined row
    per chunk, its position taken from that row): the same records, in the ordering's order,
    none skipped or repeated."""
    settings.EXPORT_CHUNK_SIZE = 2
    article = cited.article
    for start in range(0, 70, 10):
        services.claim_create(article=article, start=start, end=start + 5, author=analyst)
    Claim.objects.filter(pk__in=Claim.objects.order_by("id").values("id")[:3]).update(
        verdict="disputed"
    )
    query = f"{EXPORT}?format=jsonl&ordering={ordering}"
    cold = b"".join(reviewer_api.get(query).streaming_content)
    warm = b"".join(reviewer_api.get(query).streaming_content)
    assert warm == cold
    keys = [field.order() for field in selectors.CLAIM_ORDERINGS[ordering]]
    expected = list(Claim.objects.order_by(*keys).values_list("id", flat=True))
    assert [json.loads(line)["id"] for line in warm.splitlines()] == expected
    assert len(expected) > 4 and len(expected) % 2 == 1  # chunks of two, the last one short
