"""The claim shape tells reviewers what blocks a sign-off; signing off stays their call."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Verdict
from tests.api.conftest import bulk_claims

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


def claim_url(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/"


def test_reviewers_read_the_blockers(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    data = reviewer_api.get(claim_url(claim)).json()
    assert data["sign_off_blockers"] == [
        {"code": "no_rationale", "message": "No rationale.", "hard": False},
        {"code": "no_evidence", "message": "No evidence.", "hard": False},
    ]


def test_a_pending_claim_is_blocked_hard(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, rationale="Why.")
    [blocker, _] = reviewer_api.get(claim_url(claim)).json()["sign_off_blockers"]
    assert blocker == {"code": "pending", "message": "The verdict is pending.", "hard": True}


def test_analysts_read_null(analyst_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    assert analyst_api.get(claim_url(claim)).json()["sign_off_blockers"] is None


def test_a_reviewer_may_still_sign_off_a_blocked_claim(reviewer_api, ru_article, make_claim):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    response = reviewer_api.post(f"{claim_url(claim)}sign-off/")
    assert response.status_code == 200
    assert response.json()["signed_off_at"]


def test_the_list_reads_the_blockers_without_more_queries(
    reviewer_api, reviewer, ru_article, uk_article
):
    def queries_for_list(expected: int) -> int:
        reviewer_api.get("/api/v1/claims/?page_size=1000")  # warm the token and the roles
        with CaptureQueriesContext(connection) as queries:
            rows = reviewer_api.get("/api/v1/claims/?page_size=1000").json()["results"]
        assert len(rows) == expected
        assert all(row["sign_off_blockers"] for row in rows)  # no rationale, each of them
        return len(queries)

    bulk_claims(ru_article, 5, reviewer, verdict=Verdict.VERIFIED)
    few = queries_for_list(5)
    bulk_claims(uk_article, 40, reviewer, verdict=Verdict.VERIFIED)
    assert queries_for_list(45) == few
