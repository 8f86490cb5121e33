"""Every bad input gets a 4xx with a field-level message, and nothing is written."""

import json

import pytest
from django.core.exceptions import ValidationError

from annotations import services
from annotations.models import Claim, Evidence
from annotations.services import ErrorCode
from tests.conftest import span_of

QUOTE = "Венесуэла"


@pytest.fixture
def payload(ru_article):
    start, end = span_of(ru_article, QUOTE)
    return {"article": ru_article.pk, "start": start, "end": end, "quote": QUOTE}


def post(client, data):
    return client.post("/api/v1/claims/", data, format="json")


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"end": 10**6}, "end", "past the end"),
        ({"start": -1}, "start", ""),
        ({"start": 5, "end": 5}, "end", "smaller"),
        ({"quote": "не то"}, "quote", "does not match"),
        ({"verdict": "maybe"}, "verdict", "Unknown verdict «maybe»"),
        ({"start": "abc"}, "start", ""),
        ({"start": 1.5}, "start", ""),
        ({"start": True}, "start", ""),
        ({"quote": 42}, "quote", ""),
        ({"article": 999999}, "article", ""),
        ({"article": "x"}, "article", ""),
        ({"rationale": ["list"]}, "rationale", ""),
        ({"colour": "red"}, "colour", "Unknown field"),
        ({"id": 5}, "id", "set by the server"),
        ({"quote": "a\x00b"}, "quote", ""),
    ],
)
def test_bad_claim_input(analyst_api, payload, change, field, fragment):
    response = post(analyst_api, {**payload, **change})
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert not Claim.objects.exists()


def test_missing_fields(analyst_api, seeds):
    errors = post(analyst_api, {}).json()
    assert {"article", "start", "end", "quote"} <= set(errors)


def test_duplicate_span_is_400(analyst_api, payload):
    assert post(analyst_api, payload).status_code == 201
    again = post(analyst_api, payload)
    assert again.status_code == 400 and "already has a claim" in again.json()["start"][0]
    assert Claim.objects.count() == 1


def test_not_an_object(analyst_api, seeds):
    response = analyst_api.post("/api/v1/claims/", [1, 2], format="json")
    assert response.status_code == 400


def test_malformed_json(analyst_api, seeds):
    response = analyst_api.post(
        "/api/v1/claims/", b'{"article": 1,', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_wrong_content_type_is_415(analyst_api, seeds):
    response = analyst_api.post("/api/v1/claims/", b"article=1", content_type="text/plain")
    assert response.status_code == 415


def test_body_over_limit_is_413(analyst_api, payload, settings):
    settings.API_MAX_BODY_BYTES = 1000
    big = json.dumps({**payload, "rationale": "я" * 1000}).encode()
    response = analyst_api.post("/api/v1/claims/", big, content_type="application/json")
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    assert not Claim.objects.exists()


def test_patch_bad_span_writes_nothing(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = analyst_api.patch(
        f"/api/v1/claims/{claim.pk}/",
        {"start": 0, "end": 3, "quote": "xyz", "verdict": "verified"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400 and "quote" in response.json()
    claim.refresh_from_db()
    assert claim.version == 1 and claim.verdict == "pending"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"url": "ftp://example.org/"}, "url", "http and https"),
        ({"url": "javascript:alert(1)"}, "url", "http and https"),
        ({"url": "not a url"}, "url", ""),
        ({"url": "https://" + "a" * 2100}, "url", ""),
        ({"stance": "neutral"}, "stance", "Unknown stance «neutral»"),
        ({"title": 12}, "title", ""),
        ({"claim": 999999}, "claim", ""),
        ({"added_by": 1}, "added_by", "set by the server"),
        ({"foo": 1}, "foo", "Unknown field"),
    ],
)
def test_bad_evidence_input(analyst_api, ru_article, make_claim, change, field, fragment):
    claim = make_claim(ru_article, QUOTE)
    data = {"claim": claim.pk, "url": "https://example.org/", **change}
    response = analyst_api.post("/api/v1/evidence/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert fragment in " ".join(response.json()[field])
    assert not Evidence.objects.exists()


def test_bad_evidence_update(analyst_api, analyst, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    ev = services.evidence_add(claim=claim, actor=analyst, url="https://example.org/")
    response = analyst_api.patch(
        f"/api/v1/evidence/{ev.pk}/", {"url": "file:///etc/passwd"}, format="json"
    )
    assert response.status_code == 400 and "url" in response.json()
    assert (
        analyst_api.patch(f"/api/v1/evidence/{ev.pk}/", {"claim": 5}, format="json").status_code
        == 400
    )
    ev.refresh_from_db()
    assert ev.url == "https://example.org/"


@pytest.mark.parametrize(
    "query",
    [
        "verdict=maybe",
        "signed_off=perhaps",
        "created_after=yesterday",
        "updated_after=0184-06-23T01%3A32%3A31%2B21%3A15",
        "updated_before=0001-01-01T00%3A00%3A00%2B05%3A00",
        "created_after=9999-12-31T23%3A59%3A59-05%3A00",
        "article=abc",
        "ordering=colour",
        "link_outcome=lost",
        "has_evidence=2",
        "page_size=0",
        "page_size=x",
    ],
)
def test_bad_filters_are_400(analyst_api, seeds, query):
    response = analyst_api.get(f"/api/v1/claims/?{query}")
    assert response.status_code == 400, response.content
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize("value", ["0", "-1", "99999999999999999999999"])
def test_impossible_ids_match_nothing(analyst_api, ru_article, make_claim, value):
    make_claim(ru_article, QUOTE)
    response = analyst_api.get(f"/api/v1/claims/?article={value}")
    assert response.status_code == 200 and response.json()["results"] == []


def test_unrouted_api_address_is_json_404(analyst_api, settings, seeds):
    settings.DEBUG = False
    response = analyst_api.get("/api/v1/claims/1.2/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_body_over_django_limit_is_413_too(analyst_api, payload, settings):
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE Django itself refuses to read the body: still a 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    settings.API_MAX_BODY_BYTES = 10_000
    big = json.dumps({**payload, "rationale": "я" * 2000}).encode()
    response = analyst_api.post("/api/v1/claims/", big, content_type="application/json")
    assert response.status_code == 413
    assert not Claim.objects.exists()


# --- Codes: a client branches on an error's code, which stays put when a message is reworded


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"end": 10**6}, "end", ErrorCode.END_PAST_BODY),
        ({"start": 5, "end": 5}, "end", ErrorCode.START_NOT_BEFORE_END),
        ({"quote": "не то"}, "quote", ErrorCode.QUOTE_MISMATCH),
    ],
)
def test_a_broken_rule_carries_its_code_beside_its_message(
    analyst_api, payload, change, field, code
):
    body = post(analyst_api, {**payload, **change}).json()
    assert body["codes"] == {field: [code.value]}
    assert len(body[field]) == 1  # the message the code belongs to, unchanged


def test_a_client_can_tell_a_duplicate_span_from_other_errors(analyst_api, payload):
    assert post(analyst_api, payload).status_code == 201
    again = post(analyst_api, payload)
    assert again.status_code == 400
    assert "duplicate_span" in again.json()["codes"]["start"]


def test_evidence_errors_carry_codes(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = analyst_api.post(
        "/api/v1/evidence/", {"claim": claim.pk, "url": "ftp://example.org/file"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["codes"] == {"url": ["url_scheme"]}


def test_sign_off_refusals_carry_codes(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/sign-off/", HTTP_IF_MATCH=f'"{claim.version}"'
    )
    assert response.status_code == 400, response.content
    assert response.json()["codes"] == {"verdict": ["sign_off_pending"]}


def test_the_api_s_own_input_checks_carry_drf_codes(analyst_api, seeds):
    """Checks the serializers make before the desk's rules carry DRF's own codes."""
    body = post(analyst_api, {}).json()
    assert body["codes"]["article"] == ["required"]
    assert set(body["codes"]) == set(body) - {"codes"}
    body = post(analyst_api, {"start": 0, "verdict": "maybe"}).json()
    assert body["codes"]["verdict"] == ["invalid_choice"]
    assert post(analyst_api, {"colour": "red"}).json()["codes"] == {"colour": ["invalid"]}


@pytest.mark.django_db
def test_every_service_validation_error_keeps_its_code(ru_article, analyst):
    """A dict passed straight to ValidationError drops ``code=``; the services must not."""
    with pytest.raises(ValidationError) as caught:
        services.claim_create(article=ru_article, start=0, end=10**6, author=analyst)
    assert [e.code for e in caught.value.error_dict["end"]] == ["end_past_body"]
    with pytest.raises(ValidationError) as caught:
        services.normalise_url("mailto:someone@example.org")
    assert [e.code for e in caught.value.error_dict["url"]] == ["url_scheme"]
