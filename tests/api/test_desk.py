"""The review desk through the API: own assessments, decisions, blind review, ETags."""

import pytest

from annotations import services
from annotations.models import Assessment, Claim, Comment, Notification
from tests.api.conftest import bulk_claims, client_for
from tests.conftest import span_of

QUOTE = "Венесуэла"


@pytest.fixture
def blind(ru_article):
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])
    return ru_article


def put_assessment(client, claim_id, data, **headers):
    return client.put(f"/api/v1/claims/{claim_id}/assessment/", data, format="json", **headers)


def join(article, who, verdict="pending", rationale=""):
    start, end = span_of(article, QUOTE)
    return services.claim_create(
        article=article,
        start=start,
        end=end,
        quote=QUOTE,
        author=who,
        verdict=verdict,
        rationale=rationale,
    )


def test_put_assessment_creates_then_updates_with_the_assessments_etag(
    analyst_api, other_api, ru_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="WP cites it.")
    assert other_api.get(f"/api/v1/claims/{claim.pk}/assessment/").status_code == 404

    made = put_assessment(other_api, claim.pk, {"verdict": "disputed", "rationale": "Denied."})
    assert made.status_code == 201, made.json()
    assert made["ETag"] == '"1"'
    assert made.json()["verdict"] == "disputed"
    claim.refresh_from_db()
    assert (claim.verdict, claim.in_disagreement) == ("pending", True)

    again = put_assessment(other_api, claim.pk, {"rationale": "Denied twice."}, HTTP_IF_MATCH='"1"')
    assert again.status_code == 200 and again["ETag"] == '"2"'
    stale = put_assessment(other_api, claim.pk, {"verdict": "verified"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current"]["version"] == 2
    assert stale.json()["current"]["rationale"] == "Denied twice."
    assert stale["ETag"] == '"2"'
    own = Assessment.objects.get(claim=claim, analyst=other_analyst)
    assert (own.verdict, own.version) == ("disputed", 2)

    got = other_api.get(f"/api/v1/claims/{claim.pk}/assessment/")
    assert got.status_code == 200 and got.json()["rationale"] == "Denied twice."

    body = analyst_api.get(f"/api/v1/claims/{claim.pk}/").json()
    assert body["in_disagreement"] is True and body["judgments_visible"] is True
    assert body["my_assessment"]["verdict"] == "verified"
    assert [a["analyst"] for a in body["assessments"]] == ["olena", "pavlo"]


def test_put_assessment_refuses_an_unknown_verdict_and_outsiders(
    other_api, outsider_api, ru_article, make_claim
):
    claim = make_claim(ru_article, QUOTE)
    bad = put_assessment(other_api, claim.pk, {"verdict": "maybe"})
    assert bad.status_code == 400 and bad.json()["codes"]["verdict"] == ["invalid_choice"]
    assert put_assessment(outsider_api, claim.pk, {"verdict": "verified"}).status_code == 403
    assert Assessment.objects.filter(claim=claim).count() == 1


def test_decide_reviewers_only_with_if_match_and_412(
    analyst_api, reviewer_api, reviewer, ru_article, make_claim, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="WP cites it.")
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    version = Claim.objects.get(pk=claim.pk).version
    url = f"/api/v1/claims/{claim.pk}/decide/"
    decision = {"verdict": "unsourced", "reason": "Neither holds."}

    assert (
        analyst_api.post(url, decision, format="json", HTTP_IF_MATCH=f'"{version}"').status_code
        == 403
    )
    assert reviewer_api.post(url, decision, format="json").status_code == 428
    unknown = reviewer_api.post(
        url, {"verdict": "maybe", "reason": ""}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert unknown.status_code == 400 and unknown.json()["codes"]["verdict"] == ["invalid_choice"]

    done = reviewer_api.post(url, decision, format="json", HTTP_IF_MATCH=f'"{version}"')
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["verdict"], body["rationale"], body["in_disagreement"]) == (
        "unsourced",
        "Neither holds.",
        False,
    )
    assert body["decided_by"] == reviewer.username and body["decided_at"]
    assert done["ETag"] == f'"{version + 1}"'
    # A second reviewer deciding from the old version loses with the current claim.
    late = client_for(reviewer).post(
        url, {"verdict": "verified", "reason": "x"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert late.status_code == 412
    assert late.json()["current"]["verdict"] == "unsourced"
    rationales = sorted(Assessment.objects.filter(claim=claim).values_list("rationale", flat=True))
    assert rationales == ["", "WP cites it."]


def test_blind_review_is_a_reviewers_switch(analyst_api, reviewer_api, ru_article):
    url = f"/api/v1/articles/{ru_article.pk}/"
    assert analyst_api.patch(url, {"blind_review": True}, format="json").status_code == 403
    on = reviewer_api.patch(url, {"blind_review": True}, format="json")
    assert on.status_code == 200 and on.json()["blind"] is True
    assert reviewer_api.patch(url, {"title": "x"}, format="json").status_code == 400
    off = reviewer_api.patch(url, {"blind_review": None}, format="json")
    assert off.json()["blind_review"] is None and off.json()["blind"] is False
    ru_article.refresh_from_db()
    assert ru_article.blind_review is None


def test_joining_a_blind_claim_answers_it_masked(
    analyst_api, other_api, blind, make_claim, analyst
):
    claim = make_claim(blind, QUOTE, verdict="verified", rationale="SECRET reasoning")
    start, end = span_of(blind, QUOTE)
    joined = other_api.post(
        "/api/v1/claims/",
        {"article": blind.pk, "start": start, "end": end, "quote": QUOTE},
        format="json",
    )
    assert joined.status_code == 201, joined.json()
    body = joined.json()
    assert body["id"] == claim.pk
    assert body["judgments_visible"] is False
    assert (body["verdict"], body["rationale"], body["created_by"]) == (None, None, None)
    assert [a["analyst"] for a in body["assessments"]] == ["pavlo"]
    assert "SECRET" not in joined.content.decode()

    submitted = put_assessment(other_api, claim.pk, {"verdict": "disputed"})
    assert submitted.status_code == 200
    seen = other_api.get(f"/api/v1/claims/{claim.pk}/").json()
    assert seen["judgments_visible"] is True and seen["in_disagreement"] is True
    assert seen["assessments"][0]["rationale"] == "SECRET reasoning"


def test_blind_claim_counts_are_the_readers_own(analyst_api, other_api, blind, make_claim):
    make_claim(blind, QUOTE, verdict="verified")
    counts = other_api.get(f"/api/v1/articles/{blind.pk}/").json()["claim_counts"]
    assert counts["verified"] == 0
    assert analyst_api.get(f"/api/v1/articles/{blind.pk}/").json()["claim_counts"]["verified"] == 1


@pytest.mark.parametrize("path", ["/api/v1/claims/", "/api/v1/claims/?article={article}"])
def test_claim_list_queries_do_not_grow_with_assessments(
    analyst_api, ru_article, analyst, other_analyst, path, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert analyst_api.get(path.format(article=ru_article.pk)).status_code == 200
        return len(ctx)

    def assess_all() -> None:
        for claim in Claim.objects.all():
            for who in (analyst, other_analyst):
                Assessment.objects.get_or_create(claim=claim, analyst=who)

    bulk_claims(ru_article, 3, analyst)
    assess_all()
    small = queries()
    Claim.with_deleted.all().delete()
    bulk_claims(ru_article, 40, analyst)
    assess_all()
    assert queries() == small


def test_a_decision_with_a_comment_tells_both_analysts(
    reviewer_api, ru_article, make_claim, analyst, other_analyst
):
    claim = make_claim(ru_article, QUOTE, verdict="verified", rationale="WP cites it.")
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    version = Claim.objects.get(pk=claim.pk).version
    done = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/decide/",
        {
            "verdict": "verified",
            "reason": "WP saw it.",
            "comment": f"@{other_analyst.username} see WP",
        },
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert done.status_code == 200, done.json()
    assert Comment.objects.get(claim=claim).body.endswith("see WP")
    told = set(Notification.objects.values_list("recipient__username", "kind"))
    assert {
        (analyst.username, "verdict_decided"),
        (other_analyst.username, "verdict_decided"),
    } <= told
    assert (other_analyst.username, "mentioned") in told


@pytest.mark.parametrize(
    ("comment", "code"),
    [("@nobody-here look", "mention_unknown"), ("x" * 20_001, "comment_too_long")],
)
def test_a_decision_with_a_bad_comment_decides_nothing(
    reviewer_api, ru_article, make_claim, other_analyst, settings, comment, code
):
    settings.COMMENT_MAX_LENGTH = 20_000
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    version = Claim.objects.get(pk=claim.pk).version
    refused = reviewer_api.post(
        f"/api/v1/claims/{claim.pk}/decide/",
        {"verdict": "verified", "reason": "", "comment": comment},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert refused.status_code == 400
    assert refused.json()["codes"] == {"comment": [code]}  # the field the reviewer filled
    assert Claim.objects.get(pk=claim.pk).in_disagreement
    assert not Comment.objects.filter(claim=claim).exists()


def test_assigning_an_article_notifies_each_new_analyst_once(
    ru_article, reviewer, analyst, other_analyst
):
    services.article_assign(
        article=ru_article, analysts=[analyst, other_analyst], reviewer=reviewer
    )
    services.article_assign(article=ru_article, analysts=[analyst], reviewer=reviewer)  # no news
    assigned = Notification.objects.filter(kind="assigned")
    assert sorted(assigned.values_list("recipient__username", flat=True)) == sorted(
        [analyst.username, other_analyst.username]
    )
    assert {n.article_id for n in assigned} == {ru_article.pk}


def test_an_analyst_who_joined_a_claim_cites_once_their_verdict_is_in(
    analyst_api, other_api, blind, make_claim, other_analyst
):
    """Evidence is the claim's: the second analyst may cite, not only the first highlighter."""
    claim = make_claim(blind, QUOTE, verdict="verified", rationale="WP cites it.")
    join(blind, other_analyst)
    cite = {"claim": claim.pk, "url": "https://example.org/pavlo", "stance": "refutes"}

    early = other_api.post("/api/v1/evidence/", cite, format="json")
    assert early.status_code == 403  # blind: the claim's evidence is hidden from him yet
    assert other_api.get(f"/api/v1/claims/{claim.pk}/").json()["permissions"]["cite"] is False

    assert put_assessment(other_api, claim.pk, {"verdict": "disputed"}).status_code == 200
    assert other_api.get(f"/api/v1/claims/{claim.pk}/").json()["permissions"]["cite"] is True
    added = other_api.post("/api/v1/evidence/", cite, format="json")
    assert added.status_code == 201, added.json()
    evidence_id = added.json()["id"]
    assert (
        other_api.patch(
            f"/api/v1/evidence/{evidence_id}/", {"note": "the letter"}, format="json"
        ).status_code
        == 200
    )

    first = analyst_api.post(
        "/api/v1/evidence/", {"claim": claim.pk, "url": "https://example.org/olena"}, format="json"
    ).json()["id"]
    # His own citation is his to change; the first analyst's is not.
    assert other_api.delete(f"/api/v1/evidence/{first}/").status_code == 403
    assert other_api.delete(f"/api/v1/evidence/{evidence_id}/").status_code == 204


def test_an_analyst_with_no_assessment_on_a_claim_still_cannot_cite(
    other_api, ru_article, make_claim
):
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    refused = other_api.post(
        "/api/v1/evidence/", {"claim": claim.pk, "url": "https://example.org/x"}, format="json"
    )
    assert refused.status_code == 403
