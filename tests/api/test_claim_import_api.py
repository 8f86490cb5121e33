"""``POST /api/v1/import/claims``: reviewers only, raw or multipart, dry run, 4xx on bad files."""

import io
import json

import pytest

from annotations.models import Claim
from tests.test_claim_import import desk, empty_desk, export  # noqa: F401 (the fixture)

IMPORT = "/api/v1/import/claims"


@pytest.fixture
def exported(desk, reviewer):  # noqa: F811
    data = {fmt: export(reviewer, fmt) for fmt in ("json", "jsonl", "w3c")}
    empty_desk()
    return data


@pytest.mark.parametrize("fmt", ["json", "jsonl", "w3c"])
def test_a_reviewer_imports_an_export_as_the_raw_body(reviewer_api, exported, fmt):
    content_type = {"jsonl": "application/x-ndjson", "w3c": "application/ld+json"}
    response = reviewer_api.post(
        f"{IMPORT}?format={fmt}",
        exported[fmt],
        content_type=content_type.get(fmt, "application/json"),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["written"] and body["counts"]["created"] == 2
    assert Claim.objects.count() == 2
    assert {r["outcome"] for r in body["records"]} == {"created"}


def test_multipart_dry_run_guesses_the_format_and_writes_nothing(reviewer_api, exported):
    upload = io.BytesIO(exported["jsonl"])
    upload.name = "claims.jsonl"
    response = reviewer_api.post(IMPORT, {"file": upload, "dry_run": "true"}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["format"], body["dry_run"], body["written"]) == ("jsonl", True, False)
    assert body["counts"]["created"] == 2 and not Claim.objects.exists()


def test_analysts_may_not_import(analyst_api, exported):
    response = analyst_api.post(
        f"{IMPORT}?format=json", exported["json"], content_type="application/json"
    )
    assert response.status_code == 403 and not Claim.objects.exists()
    assert "Only reviewers" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "query", "status", "needle"),
    [
        (b"not json at all", "format=json", 400, "not a JSON array"),
        (b'{"type": "Thing"}', "format=w3c", 400, "not a W3C"),
        (b"[]", "format=nope", 400, "nope"),
        (b"[]", "format=json&label_map=X=maybe", 400, "maybe"),
        (b"", "format=json", 400, "claims file"),
    ],
)
def test_bad_files_and_parameters_are_4xx_and_write_nothing(
    reviewer_api, exported, body, query, status, needle
):
    response = reviewer_api.post(f"{IMPORT}?{query}", body, content_type="application/json")
    assert response.status_code == status, response.content
    assert needle in response.content.decode()
    assert not Claim.objects.exists()


def test_one_refused_record_is_a_400_naming_it_with_its_code(reviewer_api, exported):
    lines = exported["jsonl"].splitlines()
    record = json.loads(lines[0])
    record["created_by"] = {"username": "никто"}
    body = lines[1] + b"\n" + json.dumps(record).encode()
    response = reviewer_api.post(
        f"{IMPORT}?format=jsonl", body, content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    assert response.json() == {
        "file": ["line 2: There is no desk member called «никто»: create the account first."],
        "codes": {"file": ["import_user_unknown"]},
    }
    assert not Claim.objects.exists()
    dry = reviewer_api.post(
        f"{IMPORT}?format=jsonl&dry_run=1", body, content_type="application/x-ndjson"
    )
    assert dry.status_code == 200
    assert [r["outcome"] for r in dry.json()["records"]] == ["created", "refused"]


def test_label_studio_through_the_api_with_a_label_map(reviewer_api, ru_article):
    from tests.test_claim_import import label_studio_task

    data = json.dumps([label_studio_task(ru_article, "Россию", "Правда")]).encode()
    response = reviewer_api.post(
        f"{IMPORT}?format=label_studio&label_map=Правда=verified",
        data,
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Claim.objects.get().verdict == "verified"
