"""GET/POST /api/v1/claims/{id}/comments/ and the notifications endpoints."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import Comment, Notification

QUOTE = "Венесуэла"


@pytest.fixture
def claim(ru_article, make_claim):
    return make_claim(ru_article, QUOTE, verdict="verified")


def comments_url(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/comments/"


@pytest.mark.django_db
def test_post_and_read_a_comment(claim, analyst_api, other_api, other_analyst):
    response = analyst_api.post(comments_url(claim), {"body": "Ask @pavlo."}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["author"], body["body"], body["mentions"]) == ("olena", "Ask @pavlo.", ["pavlo"])
    listed = other_api.get(comments_url(claim)).json()
    assert [c["id"] for c in listed] == [body["id"]]
    inbox = other_api.get("/api/v1/notifications/?unread=1").json()
    (line,) = inbox["results"]
    assert (line["kind"], line["actor"], line["claim"], line["comment"]) == (
        "mentioned",
        "olena",
        claim.pk,
        body["id"],
    )
    assert line["message"].startswith("olena mentioned you on claim")
    assert line["url"] == f"/articles/{claim.article_id}/#claim={claim.pk}"


@pytest.mark.parametrize(
    ("body", "code"),
    [("@nobody hi", "mention_unknown"), ("", "comment_empty"), ("x" * 5001, "comment_too_long")],
)
@pytest.mark.django_db
def test_bad_comments_are_400_with_the_code(claim, analyst_api, body, code):
    response = analyst_api.post(comments_url(claim), {"body": body}, format="json")
    assert response.status_code == 400
    assert response.json()["codes"] == {"body": [code]}
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_who_may_comment(claim, outsider_api, anon_api):
    assert outsider_api.post(comments_url(claim), {"body": "hi"}, format="json").status_code == 403
    assert anon_api.get(comments_url(claim)).status_code in (401, 403)
    assert outsider_api.get(comments_url(claim)).status_code == 200
    assert outsider_api.get("/api/v1/claims/999999/comments/").status_code == 404


@pytest.mark.django_db
def test_blind_rule_holds_for_comments(ru_article, make_claim, analyst, other_api, other_analyst):
    ru_article.blind_review = True
    ru_article.save()
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.comment_add(claim=claim, author=analyst, body="WP says so")
    # pavlo holds no assessment on it: the claim itself is hidden from him.
    assert other_api.get(comments_url(claim)).status_code == 404
    services.assessment_submit(claim=claim, analyst=other_analyst)
    assert other_api.get(comments_url(claim)).json() == []
    refused = other_api.post(comments_url(claim), {"body": "hm"}, format="json")
    assert refused.status_code == 403
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    assert [c["body"] for c in other_api.get(comments_url(claim)).json()] == ["WP says so"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_lists_run_a_fixed_number_of_queries(claim, analyst, reviewer, other_api):
    def add(n):
        for _ in range(n):
            services.comment_add(claim=claim, author=analyst, body="@pavlo @iryna look")

    add(2)
    small = (
        _queries(other_api, comments_url(claim)),
        _queries(other_api, "/api/v1/notifications/"),
    )
    add(20)
    large = (
        _queries(other_api, comments_url(claim)),
        _queries(other_api, "/api/v1/notifications/"),
    )
    assert small == large


@pytest.mark.django_db
def test_mark_read_and_read_all(claim, analyst, analyst_api, other_api, other_analyst):
    for _ in range(3):
        services.comment_add(claim=claim, author=analyst, body="@pavlo look")
    services.comment_add(claim=claim, author=other_analyst, body="@olena ok")
    first = Notification.objects.filter(recipient=other_analyst).first()
    theirs = Notification.objects.get(recipient=analyst)
    assert other_api.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    read = other_api.post(f"/api/v1/notifications/{first.pk}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert len(other_api.get("/api/v1/notifications/?unread=1").json()["results"]) == 2
    assert other_api.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert other_api.get("/api/v1/notifications/?unread=1").json()["results"] == []
    assert len(analyst_api.get("/api/v1/notifications/?unread=1").json()["results"]) == 1


@pytest.mark.django_db
def test_a_bad_unread_flag_is_a_400(other_api):
    response = other_api.get("/api/v1/notifications/?unread=maybe")
    assert response.status_code == 400
    assert "unread" in response.json()
