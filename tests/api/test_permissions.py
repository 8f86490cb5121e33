"""Who may do what through the API: anonymous, outsider, analyst (own, others'), reviewer."""

import pytest
from django.test import Client

from annotations.models import Claim, Evidence, Verdict
from tests.api.conftest import client_for
from tests.conftest import span_of

QUOTE = "Венесуэла"
READ_PATHS = [
    "/api/v1/me/",
    "/api/v1/articles/",
    "/api/v1/claims/",
    "/api/v1/evidence/",
    "/api/v1/source-links/",
    "/api/v1/export/claims?format=json",
    "/api/v1/export/claims?format=csv",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_anonymous_gets_401_and_nothing(anon_api, seeds, path):
    response = anon_api.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_anonymous_cannot_write(anon_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    start, end = span_of(ru_article, "Россию")
    payload = {"article": ru_article.pk, "start": start, "end": end, "quote": "Россию"}
    assert anon_api.post("/api/v1/claims/", payload, format="json").status_code == 401
    assert anon_api.patch(f"/api/v1/claims/{claim.pk}/", {}, format="json").status_code == 401
    assert anon_api.delete(f"/api/v1/claims/{claim.pk}/").status_code == 401
    assert Claim.objects.count() == 1


def test_bad_token_is_401(seeds):
    client = Client(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/claims/").status_code == 401


def test_outsider_reads_but_cannot_write(outsider_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    assert outsider_api.get(f"/api/v1/claims/{claim.pk}/").status_code == 200
    start, end = span_of(ru_article, "Россию")
    payload = {"article": ru_article.pk, "start": start, "end": end, "quote": "Россию"}
    response = outsider_api.post("/api/v1/claims/", payload, format="json")
    assert response.status_code == 403
    assert "no desk role" in response.json()["detail"]
    signed = outsider_api.post(f"/api/v1/claims/{claim.pk}/sign-off/")
    assert signed.status_code == 403
    patch = outsider_api.patch(
        f"/api/v1/claims/{claim.pk}/", {"verdict": "verified"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patch.status_code == 403
    evidence = outsider_api.post(
        "/api/v1/evidence/", {"claim": claim.pk, "url": "https://example.org/"}, format="json"
    )
    assert evidence.status_code == 403
    assert Claim.objects.get().verdict == Verdict.PENDING and not Evidence.objects.exists()


def test_analyst_edits_own_not_others(
    analyst_api, other_api, ru_article, make_claim, other_analyst
):
    own = make_claim(ru_article, QUOTE)
    theirs = make_claim(ru_article, "Россию", author=other_analyst)
    ok = analyst_api.patch(
        f"/api/v1/claims/{own.pk}/", {"verdict": "verified"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert ok.status_code == 200
    refused = analyst_api.patch(
        f"/api/v1/claims/{theirs.pk}/", {"verdict": "verified"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 403
    assert "own" in refused.json()["detail"]
    assert (
        analyst_api.delete(f"/api/v1/claims/{theirs.pk}/", HTTP_IF_MATCH='"1"').status_code == 403
    )
    evidence = analyst_api.post(
        "/api/v1/evidence/", {"claim": theirs.pk, "url": "https://example.org/"}, format="json"
    )
    assert evidence.status_code == 403
    theirs.refresh_from_db()
    assert theirs.verdict == Verdict.PENDING and theirs.version == 1


def test_analyst_cannot_touch_others_evidence(analyst_api, ru_article, make_claim, other_analyst):
    from annotations import services

    theirs = make_claim(ru_article, "Россию", author=other_analyst)
    ev = services.evidence_add(claim=theirs, actor=other_analyst, url="https://example.org/")
    assert (
        analyst_api.patch(f"/api/v1/evidence/{ev.pk}/", {"note": "x"}, format="json").status_code
        == 403
    )
    assert analyst_api.delete(f"/api/v1/evidence/{ev.pk}/").status_code == 403
    assert Evidence.objects.get().note == ""


def test_analyst_cannot_sign_off(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    response = analyst_api.post(f"/api/v1/claims/{claim.pk}/sign-off/")
    assert response.status_code == 403
    assert analyst_api.delete(f"/api/v1/claims/{claim.pk}/sign-off/").status_code == 403
    claim.refresh_from_db()
    assert not claim.is_signed_off


def test_reviewer_edits_any_and_deletes(reviewer_api, ru_article, make_claim, other_analyst):
    from annotations import services

    theirs = make_claim(ru_article, "Россию", author=other_analyst)
    ev = services.evidence_add(claim=theirs, actor=other_analyst, url="https://example.org/")
    response = reviewer_api.patch(
        f"/api/v1/claims/{theirs.pk}/", {"verdict": "disputed"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200 and response.json()["verdict"] == "disputed"
    note = reviewer_api.patch(f"/api/v1/evidence/{ev.pk}/", {"note": "ok"}, format="json")
    assert note.status_code == 200
    assert (
        reviewer_api.delete(f"/api/v1/claims/{theirs.pk}/", HTTP_IF_MATCH='"2"').status_code == 204
    )


def test_session_auth_enforces_csrf(analyst, ru_article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    assert client.get("/api/v1/me/").status_code == 200
    start, end = span_of(ru_article, QUOTE)
    payload = {"article": ru_article.pk, "start": start, "end": end, "quote": QUOTE}
    response = client.post("/api/v1/claims/", payload, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/admin/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/claims/", payload, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_token_for_inactive_user_is_refused(analyst, seeds):
    client = client_for(analyst)
    analyst.is_active = False
    analyst.save()
    assert client.get("/api/v1/claims/").status_code == 401
