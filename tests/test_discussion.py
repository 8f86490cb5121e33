"""Comments on a claim, @mentions, and the notifications the desk's acts send."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import Comment, Notification
from tests import support

QUOTE = "Венесуэла"
Kind = Notification.Kind


@pytest.fixture
def claim(ru_article, make_claim):
    return make_claim(ru_article, QUOTE, verdict="verified", rationale="Cited by WP.")


def codes(error: ValidationError) -> list[str]:
    return [each.code for each in error.error_dict["body"]]


def inbox_of(user) -> list[tuple[str, str | None]]:
    return [
        (n.kind, n.actor.username if n.actor else None)
        for n in Notification.objects.filter(recipient=user)
    ]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@pavlo look", ["pavlo"]),
        ("thanks @pavlo.", ["pavlo"]),
        ("@pavlo, @iryna: agree?", ["pavlo", "iryna"]),
        ("(@pavlo) and @pavlo again", ["pavlo"]),
        ("mail ops@example.org, not a mention", []),
        ("a lone @ sign", []),
        ("@dot.name!", ["dot.name"]),
        ("@dash-", ["dash-"]),
    ],
)
@pytest.mark.django_db
def test_mentions_are_parsed_from_the_text(body, names, other_analyst, reviewer):
    support.make_user("dot.name", "analyst")
    support.make_user("dash-", "analyst")
    assert [u.username for u in services.parse_mentions(body)] == names


@pytest.mark.django_db
def test_comment_mentions_notify_the_mentioned_not_the_author(claim, analyst, other_analyst):
    other_analyst.email = "pavlo@example.org"
    other_analyst.save()
    comment = services.comment_add(claim=claim, author=analyst, body="@pavlo see WP, and @olena")
    assert list(comment.mentions.order_by("username")) == [analyst, other_analyst]
    assert inbox_of(other_analyst) == [(Kind.MENTIONED, "olena")]
    assert inbox_of(analyst) == []
    n = Notification.objects.get(recipient=other_analyst)
    assert (n.claim, n.article, n.comment) == (claim, claim.article, comment)


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_emailed_after_the_commit(ru_article, make_claim, analyst, other_analyst):
    other_analyst.email = "pavlo@example.org"
    other_analyst.save()
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.comment_add(claim=claim, author=analyst, body="@pavlo please check")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["pavlo@example.org"]
    assert "olena mentioned you on claim" in sent.subject
    assert "please check" in sent.body
    assert f"/articles/{ru_article.pk}/#claim={claim.pk}" in sent.body


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_never_fails_the_write(
    ru_article, make_claim, analyst, other_analyst, settings
):
    other_analyst.email = "pavlo@example.org"
    other_analyst.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.comment_add(claim=claim, author=analyst, body="@pavlo please check")
    assert Comment.objects.filter(claim=claim).count() == 1
    assert inbox_of(other_analyst) == [(Kind.MENTIONED, "olena")]


@pytest.mark.django_db
def test_unknown_mentions_are_refused_with_a_code_and_nothing_written(claim, analyst):
    with pytest.raises(ValidationError) as caught:
        services.comment_add(claim=claim, author=analyst, body="@pavlo and @nobody.")
    assert codes(caught.value) == [services.ErrorCode.MENTION_UNKNOWN]
    assert "@pavlo, @nobody" in str(caught.value)
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "comment_empty"), ("   \n ", "comment_empty"), ("x" * 51, "comment_too_long")],
)
@pytest.mark.django_db
def test_empty_or_long_comments_are_refused(claim, analyst, settings, body, code):
    settings.COMMENT_MAX_LENGTH = 50
    with pytest.raises(ValidationError) as caught:
        services.comment_add(claim=claim, author=analyst, body=body)
    assert codes(caught.value) == [code]
    services.comment_add(claim=claim, author=analyst, body="x" * 50)


@pytest.mark.django_db
def test_without_a_role_nobody_comments(claim, outsider):
    with pytest.raises(PermissionDenied):
        services.comment_add(claim=claim, author=outsider, body="hi")


@pytest.mark.django_db
def test_blind_article_hides_the_thread_until_the_analyst_judged(
    ru_article, make_claim, analyst, other_analyst, reviewer
):
    ru_article.blind_review = True
    ru_article.save()
    claim = make_claim(ru_article, QUOTE, verdict="verified")
    services.comment_add(claim=claim, author=analyst, body="WP cites it. @pavlo")
    # pavlo holds no assessment: he cannot see the claim, so he is not told of the mention.
    assert inbox_of(other_analyst) == []
    assert list(services.comments_of(claim, other_analyst)) == []
    with pytest.raises(PermissionDenied):
        services.comment_add(claim=claim, author=other_analyst, body="hm")
    services.assessment_submit(claim=claim, analyst=other_analyst)  # pending: still blind
    assert list(services.comments_of(claim, other_analyst)) == []
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    assert [c.body for c in services.comments_of(claim, other_analyst)] == ["WP cites it. @pavlo"]
    assert len(services.comments_of(claim, reviewer)) == 1


@pytest.mark.django_db
def test_a_decision_notifies_the_assessors_and_carries_its_comment(
    claim, analyst, other_analyst, reviewer
):
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")
    services.claim_decide(
        claim=claim, reviewer=reviewer, verdict="verified", reason="WP", comment="Agree, @olena."
    )
    assert sorted(inbox_of(analyst)) == [(Kind.MENTIONED, "iryna"), (Kind.VERDICT_DECIDED, "iryna")]
    assert inbox_of(other_analyst) == [(Kind.VERDICT_DECIDED, "iryna")]
    assert inbox_of(reviewer) == []
    assert [c.body for c in Comment.objects.filter(claim=claim)] == ["Agree, @olena."]


@pytest.mark.django_db
def test_a_decision_with_a_bad_comment_is_not_made(claim, reviewer):
    version = claim.version
    with pytest.raises(ValidationError):
        services.claim_decide(claim=claim, reviewer=reviewer, verdict="disputed", comment="@nobody")
    claim.refresh_from_db()
    assert (claim.verdict, claim.version, claim.decided_by) == ("verified", version, None)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_sign_off_and_its_withdrawal_are_notified(claim, analyst, reviewer):
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert inbox_of(analyst) == [(Kind.SIGNED_OFF, "iryna")]
    services.claim_update(claim=claim, actor=analyst, verdict="disputed")
    assert inbox_of(reviewer) == [(Kind.SIGN_OFF_WITHDRAWN, "olena")]
    # A reviewer revoking their own sign-off is not a withdrawal by an edit.
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    services.claim_revoke_sign_off(claim=claim, reviewer=reviewer)
    assert len(inbox_of(reviewer)) == 1


@pytest.mark.django_db
def test_notify_writes_one_row_per_recipient_never_the_actor(claim, analyst, other_analyst):
    rows = services.notify(
        Kind.ASSIGNED,
        recipients=[other_analyst, other_analyst, analyst],
        actor=analyst,
        article=claim.article,
    )
    assert [row.recipient for row in rows] == [other_analyst]
    assert services.notification_message(rows[0]).startswith("olena assigned you «")


# --- The inbox page ---------------------------------------------------------------------------


def _inbox_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("inbox"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.text


def _mention(claim, author, n: int) -> None:
    for _ in range(n):
        services.comment_add(claim=claim, author=author, body="@pavlo look")


@pytest.mark.django_db
def test_inbox_page_runs_a_fixed_number_of_queries(client, claim, analyst, other_analyst):
    client.force_login(other_analyst)
    _mention(claim, analyst, 2)
    small, html = _inbox_queries(client)
    assert html.count('class="inbox-line unread"') == 2
    assert '<span class="inbox-count">2<' in html
    _mention(claim, analyst, 25)
    large, html = _inbox_queries(client)
    assert html.count('class="inbox-line unread"') == 27
    assert small == large


@pytest.mark.django_db
def test_header_count_is_one_query_and_opening_a_line_reads_it(
    client, claim, analyst, other_analyst
):
    client.force_login(other_analyst)
    _mention(claim, analyst, 1)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("article-list")).text
    counts = [q["sql"] for q in ctx.captured_queries if "annotations_notification" in q["sql"]]
    assert len(counts) == 1 and '<span class="inbox-count">1<' in html
    n = Notification.objects.get()
    response = client.get(reverse("inbox-open", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{claim.article_id}/#claim={claim.pk}"
    n.refresh_from_db()
    assert n.read_at is not None
    assert 'class="inbox-count"' not in client.get(reverse("article-list")).text


@pytest.mark.django_db
def test_mark_read_and_all_read_touch_only_ones_own(client, claim, analyst, other_analyst):
    _mention(claim, analyst, 3)
    services.comment_add(claim=claim, author=other_analyst, body="@olena ok")
    mine = list(Notification.objects.filter(recipient=other_analyst))
    theirs = Notification.objects.get(recipient=analyst)
    client.force_login(other_analyst)
    assert client.post(reverse("inbox-read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inbox-open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("inbox-read", args=[mine[0].pk])).status_code == 302
    assert Notification.objects.filter(recipient=other_analyst, read_at=None).count() == 2
    client.post(reverse("inbox-read-all"))
    assert Notification.objects.filter(recipient=other_analyst, read_at=None).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# --- The admin claim page ---------------------------------------------------------------------


def _admin_post(client, claim, comment: str):
    start, end = claim.start, claim.end
    return client.post(
        reverse("admin:annotations_claim_change", args=[claim.pk]),
        {
            "article": claim.article_id,
            "start": start,
            "end": end,
            "verdict": claim.verdict,
            "rationale": claim.rationale,
            "version": claim.version,
            "new_comment": comment,
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )


@pytest.mark.django_db
def test_admin_claim_page_shows_the_thread_and_adds_a_comment(
    client, claim, reviewer, analyst, other_analyst
):
    client.force_login(reviewer)
    services.comment_add(claim=claim, author=analyst, body="Is <b>this</b> sourced? @iryna")
    page = client.get(reverse("admin:annotations_claim_change", args=[claim.pk])).text
    assert "Is &lt;b&gt;this&lt;/b&gt; sourced? @iryna" in page
    assert "mentions @iryna" in page

    refused = _admin_post(client, claim, "@nobody look")
    assert refused.status_code == 200
    assert "Nobody on the desk is called @nobody" in refused.text
    assert Comment.objects.count() == 1

    assert _admin_post(client, claim, "Yes, @pavlo checked it.").status_code == 302
    latest = Comment.objects.latest("id")
    assert (latest.author, latest.body) == (reviewer, "Yes, @pavlo checked it.")
    assert inbox_of(other_analyst) == [(Kind.MENTIONED, "iryna")]
