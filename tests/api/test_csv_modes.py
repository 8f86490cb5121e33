"""CSV: the lossless default (``csv=raw``), the spreadsheet mode (``csv=excel``) and the
citation details column."""

import csv
import io
import json

import pytest

from annotations import services
from annotations.exports.records import CSV_COLUMNS
from tests.api.test_exports import fetch

HOSTILE = ["-", "@", "=", "+", "-1", "@user сказал", "=HYPERLINK(1)", "+380", "\tтаб", '"-"']


def rows_of(content: bytes) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == CSV_COLUMNS
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def hostile_claims(ru_article, make_claim, analyst):
    claims = []
    for word, rationale in zip(ru_article.body.split()[: len(HOSTILE)], HOSTILE, strict=True):
        claim = make_claim(ru_article, word, rationale=rationale)
        services.evidence_add(
            claim=claim,
            actor=analyst,
            url="https://example.org/a",
            title=rationale,
            excerpt="=" + rationale,
            stance="refutes",
        )
        claims.append(claim)
    return claims


def test_raw_mode_round_trips_hostile_values(reviewer_api, hostile_claims):
    for query in ("format=csv", "format=csv&csv=raw"):
        _, content = fetch(reviewer_api, query)
        assert not content.startswith(b"\xef\xbb\xbf")
        rows = rows_of(content)
        by_id = {int(row["id"]): row for row in rows}
        for claim, value in zip(hostile_claims, HOSTILE, strict=True):
            row = by_id[claim.pk]
            assert row["rationale"] == value
            details = json.loads(row["evidence_details"])
            assert details == [
                {
                    "url": "https://example.org/a",
                    "title": value,
                    "excerpt": "=" + value,
                    "stance": "refutes",
                    "link_outcome": "pending",
                    "link_http_status": None,
                }
            ]


def test_excel_mode_escapes_formulas_and_adds_a_bom(reviewer_api, hostile_claims):
    _, content = fetch(reviewer_api, "format=csv&csv=excel")
    assert content.startswith(b"\xef\xbb\xbf")
    by_id = {int(row["id"]): row for row in rows_of(content)}
    for claim, value in zip(hostile_claims, HOSTILE, strict=True):
        expected = value if value.startswith('"') else "'" + value
        assert by_id[claim.pk]["rationale"] == expected
        assert by_id[claim.pk]["evidence_details"].startswith("[")  # not a formula


def test_unknown_csv_mode_is_a_400(reviewer_api, seeds):
    response = reviewer_api.get("/api/v1/export/claims?format=csv&csv=libreoffice")
    assert response.status_code == 400
    assert "csv" in response.json()
