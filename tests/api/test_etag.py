"""No lost updates: the claim's version is its ETag, and a stale change is refused."""

import threading

import pytest
from django.db import connection

from annotations.models import Claim, HistoryEntry
from tests.api.conftest import client_for

QUOTE = "Венесуэла"


def patch(client, claim_id, data, **headers):
    return client.patch(f"/api/v1/claims/{claim_id}/", data, format="json", **headers)


def test_two_editors_second_gets_412_with_current_state(
    reviewer_api, analyst_api, ru_article, make_claim
):
    claim = make_claim(ru_article, QUOTE)
    # Both open the claim and see version 1.
    seen_by_analyst = analyst_api.get(f"/api/v1/claims/{claim.pk}/")
    seen_by_reviewer = reviewer_api.get(f"/api/v1/claims/{claim.pk}/")
    assert seen_by_analyst["ETag"] == seen_by_reviewer["ETag"] == '"1"'

    first = patch(
        analyst_api,
        claim.pk,
        {"verdict": "verified", "rationale": "Есть документ"},
        HTTP_IF_MATCH=seen_by_analyst["ETag"],
    )
    assert first.status_code == 200 and first["ETag"] == '"2"'

    second = patch(
        reviewer_api,
        claim.pk,
        {"verdict": "disputed", "rationale": "Нет документа"},
        HTTP_IF_MATCH=seen_by_reviewer["ETag"],
    )
    assert second.status_code == 412
    body = second.json()
    assert set(body) == {"detail", "current"}
    assert "version 2" in body["detail"]
    assert body["current"]["version"] == 2
    assert body["current"]["verdict"] == "verified"
    assert body["current"]["rationale"] == "Есть документ"
    assert second["ETag"] == '"2"'

    claim.refresh_from_db()
    assert (claim.verdict, claim.rationale, claim.version) == ("verified", "Есть документ", 2)
    assert HistoryEntry.objects.filter(claim_ref=claim.pk, action="updated").count() == 1

    # The reviewer reloads and applies the change again against the new version.
    retry = patch(reviewer_api, claim.pk, {"verdict": "disputed"}, HTTP_IF_MATCH=second["ETag"])
    assert retry.status_code == 200 and retry.json()["version"] == 3


def test_version_in_body_instead_of_header(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    ok = patch(analyst_api, claim.pk, {"verdict": "verified", "version": 1})
    assert ok.status_code == 200
    stale = patch(analyst_api, claim.pk, {"verdict": "disputed", "version": 1})
    assert stale.status_code == 412
    assert Claim.objects.get().verdict == "verified"


def test_missing_precondition_is_428_and_writes_nothing(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = patch(analyst_api, claim.pk, {"verdict": "verified"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert Claim.objects.get().version == 1


@pytest.mark.parametrize("header", ['W/"1"', "1", ' "1" '])
def test_if_match_forms(analyst_api, ru_article, make_claim, header):
    claim = make_claim(ru_article, QUOTE)
    assert (
        patch(analyst_api, claim.pk, {"verdict": "verified"}, HTTP_IF_MATCH=header).status_code
        == 200
    )


@pytest.mark.parametrize("header", ["*", '"abc"', '"1", "2"', ""])
def test_bad_if_match_is_400(analyst_api, ru_article, make_claim, header):
    claim = make_claim(ru_article, QUOTE)
    response = patch(analyst_api, claim.pk, {"verdict": "verified"}, HTTP_IF_MATCH=header)
    assert response.status_code == 400
    assert "If-Match" in response.json()
    assert Claim.objects.get().version == 1


def test_header_and_body_disagree(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    response = patch(
        analyst_api, claim.pk, {"verdict": "verified", "version": 2}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400 and "version" in response.json()


def test_stale_delete_keeps_the_claim(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE)
    patch(analyst_api, claim.pk, {"verdict": "verified"}, HTTP_IF_MATCH='"1"')
    response = analyst_api.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["current"]["verdict"] == "verified"
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_sign_off_with_stale_version(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    response = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/sign-off/", {"version": 7}, format="json"
    )
    assert response.status_code == 412
    assert not Claim.objects.get().is_signed_off


@pytest.mark.django_db(transaction=True)
def test_simultaneous_editors_one_wins(ru_article, analyst, reviewer, make_claim):
    """Two requests against version 1 at the same moment: one applies, the other gets 412."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks across connections (PostgreSQL)")
    claim = make_claim(ru_article, QUOTE)
    barrier = threading.Barrier(2)
    statuses = []

    def edit(user, verdict):
        client = client_for(user)
        barrier.wait()
        response = patch(client, claim.pk, {"verdict": verdict}, HTTP_IF_MATCH='"1"')
        statuses.append(response.status_code)
        connection.close()

    threads = [
        threading.Thread(target=edit, args=(analyst, "verified")),
        threading.Thread(target=edit, args=(reviewer, "disputed")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    claim.refresh_from_db()
    assert claim.version == 2
