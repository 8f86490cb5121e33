"""CSV on PostgreSQL comes from ``COPY ... TO STDOUT``: byte for byte what the Python path
writes for the same data, on hostile values, in both modes, over several chunks.

The Python path is the same code on every database and reads the same values, so equal
bytes on PostgreSQL mean the same data gives the same file on SQLite and PostgreSQL.
"""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.http import QueryDict

from annotations import services
from annotations.api.exports import prepare_export
from annotations.exports import csv_table
from annotations.exports.records import CSV_COLUMNS
from annotations.models import Claim, ClaimGroup, Evidence, SourceLink
from tests import support
from tests.api.test_exports import fetch

API_ROOT = "http://testserver/api/v1/"
NASTY = [
    "Привет, мир",
    "эмодзи 🧪🇺🇦 «ёлка»",
    'he said "no", twice',
    "line\nbreak",
    "cr\ronly",
    "crlf\r\nend",
    "\n",
    "",
    "=SUM(A1)",
    "-1",
    "@user сказал",
    "+380",
    "\tтаб",
    "\rstart",
    "'already",
    "\\.",
    "\\N",
    " lead",
    "trail ",
    '"',
    ",",
    "null",
    "ctl\x01\x08\x0c\x1f\x7f",
    "back\\slash / «»",
]
CLAIMS = 9
MOMENTS = [
    datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2025, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
    datetime(2025, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
]


def nasty(index: int) -> str:
    return NASTY[index % len(NASTY)]


@pytest.fixture
def nasty_desk(ru_article, make_claim, analyst, reviewer):
    """Claims whose every text cell is hostile, with 0 to 3 citations each."""
    odd_users = [support.make_user("@дмитро", "analyst"), support.make_user("=eve", "analyst")]
    group = ClaimGroup.objects.create(created_by=analyst)
    claims = []
    for index, word in enumerate(ru_article.body.split()[:CLAIMS]):
        claim = make_claim(ru_article, word)
        for number in range(index % 4):
            services.evidence_add(
                claim=claim,
                actor=analyst,
                url=f"https://example.org/{index}/{number}?q=a,b",
                title="t",
                excerpt="e",
                stance=("supports", "refutes", "context")[number % 3],
            )
        signed = index % 3 != 0
        Claim.objects.filter(pk=claim.pk).update(
            quote=nasty(index),
            prefix=nasty(index + 1),
            suffix=nasty(index + 2),
            rationale=nasty(index + 3),
            is_orphaned=index % 2 == 0,
            group=group if index % 4 == 1 else None,
            created_by=odd_users[index % 2],
            created_at=MOMENTS[index % 3],
            signed_off_by=reviewer if signed else None,
            signed_off_at=MOMENTS[(index + 1) % 3] if signed else None,
        )
        for number, item in enumerate(claim.evidence.order_by("id")):
            Evidence.objects.filter(pk=item.pk).update(
                title=nasty(index + number + 4),
                excerpt=nasty(index + number + 5),
                # Two citations of the same moment: the id decides their order.
                created_at=MOMENTS[0] if number < 2 else MOMENTS[2],
            )
        claims.append(claim)
    SourceLink.objects.filter(url__startswith="https://example.org/2/").update(
        outcome="broken", http_status=404
    )
    return claims


def python_file(user, query: str) -> bytes:
    """The whole CSV as the Python path writes it, whatever the database."""
    _, export = prepare_export(user, QueryDict(query), api_root=API_ROOT, address="")
    excel = export.params.get("csv") == csv_table.EXCEL
    head = next(csv_table.write_csv(export))
    return head + "".join(csv_table.python_rows(export, excel=excel)).encode()


@pytest.mark.parametrize("mode", ["raw", "excel"])
@pytest.mark.parametrize("ordering", ["id", "position", "-updated_at"])
def test_copy_writes_the_python_bytes(reviewer_api, reviewer, nasty_desk, settings, mode, ordering):
    if connection.vendor != "postgresql":
        pytest.skip("COPY exists on PostgreSQL only")
    settings.EXPORT_CHUNK_SIZE = 2  # five chunks, the last one short
    query = f"format=csv&csv={mode}&ordering={ordering}"
    _, copied = fetch(reviewer_api, query)
    expected = python_file(reviewer, query)
    assert copied.decode().splitlines(keepends=True) == expected.decode().splitlines(True)
    assert copied == expected
    assert len(list(csv.reader(io.StringIO(copied.decode("utf-8-sig"))))) == CLAIMS + 1


def test_copy_bytes_with_the_bom_in_one_chunk(reviewer_api, reviewer, nasty_desk):
    if connection.vendor != "postgresql":
        pytest.skip("COPY exists on PostgreSQL only")
    _, copied = fetch(reviewer_api, "format=csv&bom=1")
    assert copied.startswith(b"\xef\xbb\xbfid,url,")
    assert copied == python_file(reviewer, "format=csv&bom=1")


def test_rows_end_in_lf_and_hostile_values_round_trip(reviewer_api, reviewer, nasty_desk):
    """On both databases: LF ends each line (CR and LF survive inside quoted cells), and a
    raw file reads back as stored ('' and null both empty, as CSV has no null)."""
    _, content = fetch(reviewer_api, "format=csv")
    text = content.decode()
    assert text.startswith(",".join(CSV_COLUMNS) + "\n")
    assert text.endswith("\n") and not text.endswith("\r\n")
    assert '"cr\ronly"' in text and '"crlf\r\nend"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS
    by_id = {int(row[0]): dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert len(by_id) == CLAIMS
    group = ClaimGroup.objects.get()
    for index, claim in enumerate(nasty_desk):
        row = by_id[claim.pk]
        assert (row["quote"], row["prefix"], row["rationale"]) == (
            nasty(index),
            nasty(index + 1),
            nasty(index + 3),
        )
        assert row["is_orphaned"] == ("true" if index % 2 == 0 else "false")
        assert row["created_by"] == ("@дмитро", "=eve")[index % 2]
        assert row["signed_off_by"] == ("" if index % 3 == 0 else reviewer.username)
        assert row["group"] == (str(group.pk) if index % 4 == 1 else "")
        assert row["created_at"] == MOMENTS[index % 3].isoformat().replace("+00:00", "Z")
        details = json.loads(row["evidence_details"])
        assert int(row["evidence_count"]) == len(details) == index % 4
        assert [d["title"] for d in details] == [nasty(index + n + 4) for n in range(index % 4)]
        assert [d["excerpt"] for d in details] == [nasty(index + n + 5) for n in range(index % 4)]
        assert row["evidence_urls"] == " ".join(d["url"] for d in details)
        assert all(d["link_http_status"] == (404 if index == 2 else None) for d in details)
    empty_details = next(r for r in by_id.values() if r["evidence_count"] == "0")
    assert empty_details["evidence_details"] == "[]" and empty_details["evidence_urls"] == ""


def test_evidence_details_is_compact_json(reviewer_api, nasty_desk):
    """The JSON cell is written as json.dumps(ensure_ascii=False, separators=(",", ":"))
    writes it, key order included, on both databases."""
    _, content = fetch(reviewer_api, "format=csv")
    for row in csv.DictReader(io.StringIO(content.decode())):
        details = json.loads(row["evidence_details"])
        compact = json.dumps(details, ensure_ascii=False, separators=(",", ":"))
        assert row["evidence_details"] == compact
        if details:
            assert list(details[0]) == [
                "url",
                "title",
                "excerpt",
                "stance",
                "link_outcome",
                "link_http_status",
            ]


def test_excel_mode_escapes_hostile_usernames(reviewer_api, nasty_desk):
    _, content = fetch(reviewer_api, "format=csv&csv=excel")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert {row["created_by"] for row in rows} == {"'@дмитро", "'=eve"}
    assert all(not row["created_at"].startswith("'") for row in rows)


def test_the_header_comes_before_any_query(reviewer, nasty_desk, django_assert_num_queries):
    _, export = prepare_export(reviewer, QueryDict("format=csv"), api_root=API_ROOT, address="")
    body = csv_table.write_csv(export)
    with django_assert_num_queries(0):
        assert next(body) == (",".join(CSV_COLUMNS) + "\n").encode()
    assert len(b"".join(body).splitlines()) >= CLAIMS
