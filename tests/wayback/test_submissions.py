"""Newly cited links go to the (fake) Save Page Now 2 API; every documented answer is handled."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from annotations import services
from annotations.models import SourceLink, WaybackCapture
from annotations.wayback import service as wayback_service
from tests.wayback import fake_spn2

pytestmark = pytest.mark.django_db

# Loopback URLs: the link check refuses them at once (blocked), and the fake never fetches.
STORY = "http://127.0.0.1:9/news/{}"


def capture_of(evidence) -> WaybackCapture:
    return WaybackCapture.objects.get(source_link=evidence.source_link_id)


def test_nothing_is_submitted_without_keys(spn2, cite, eager, settings):
    settings.WAYBACK_API_URL = spn2.base  # keys left empty
    evidence = cite(STORY.format("ok"))
    assert not WaybackCapture.objects.exists()
    assert SourceLink.objects.get(pk=evidence.source_link_id).wayback_status == ""
    assert spn2.requests == []


def test_pending_then_success_records_the_memento(wayback, cite, eager):
    url = STORY.format("ok")
    evidence = cite(url)
    capture = capture_of(evidence)
    assert capture.status == "success"
    assert capture.memento_url == f"{wayback.base}/web/{fake_spn2.NOW}/{url}"
    assert capture.archived_at == datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
    assert (capture.attempts, capture.error, capture.status_ext) == (1, "", "")
    assert capture.job_id.startswith("spn2-")
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert (link.wayback_status, link.wayback_url) == ("success", capture.memento_url)
    assert link.wayback_archived_at == capture.archived_at
    [save] = wayback.saves()
    assert save["path"] == "/save"
    assert save["form"] == {"url": url, "if_not_archived_within": "1h", "skip_first_archive": "1"}
    assert save["headers"]["Authorization"] == "LOW desk-access:desk-secret"
    assert save["headers"]["Accept"] == "application/json"
    assert [r["path"] for r in wayback.polls()] == [f"/save/status/{capture.job_id}"] * 3


def test_already_archived_recently_keeps_the_earlier_copy(wayback, cite, eager):
    url = STORY.format("recent")
    capture = capture_of(cite(url))
    assert capture.status == "success"
    assert capture.memento_url == f"{wayback.base}/web/{fake_spn2.EARLIER}/{url}"
    assert len(wayback.saves()) == 1 and len(wayback.polls()) == 1


def test_an_error_about_the_page_is_final(wayback, cite, eager):
    evidence = cite(STORY.format("not-found"))
    capture = capture_of(evidence)
    assert (capture.status, capture.status_ext) == ("error", "error:not-found")
    assert capture.error == "The server cannot find the requested resource."
    assert capture.attempts == 1 and capture.finished_at is not None
    assert len(wayback.saves()) == 1
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert (link.wayback_status, link.wayback_url) == ("error", "")


@pytest.mark.parametrize(
    "scenario",
    [
        "busy",  # HTTP 429 Too Many Requests, with Retry-After
        "sessions",  # "You have already reached the limit of active sessions."
        "daily",  # status_ext error:too-many-daily-captures
        "flaky",  # the job failed on SPN2's side (error:browsing-timeout)
    ],
)
def test_too_many_captures_and_service_failures_are_submitted_again(wayback, cite, eager, scenario):
    capture = capture_of(cite(STORY.format(scenario)))
    assert capture.status == "success"
    assert capture.attempts == 2
    assert len(wayback.saves()) == 2


def test_it_gives_up_after_the_retries(wayback, cite, eager, settings):
    capture = capture_of(cite(STORY.format("always-busy")))
    assert capture.status == "error"
    assert capture.attempts == settings.WAYBACK_MAX_RETRIES + 1
    assert capture.error == "Too Many Requests (gave up after 4 submissions)"
    assert len(wayback.saves()) == 4


def test_refused_keys_are_final(wayback, cite, eager, settings):
    settings.WAYBACK_SECRET_KEY = "wrong"
    capture = capture_of(cite(STORY.format("ok")))
    assert capture.status == "error"
    assert capture.error == "Unauthorized: check your S3 keys."
    assert len(wayback.saves()) == 1


def test_a_link_is_submitted_once_however_often_it_is_cited(wayback, cite, eager):
    first = cite(STORY.format("ok"))
    second = cite(STORY.format("ok") + "#again")  # the same source link
    assert first.source_link_id == second.source_link_id
    assert WaybackCapture.objects.count() == 1
    assert len(wayback.saves()) == 1


def test_a_failed_capture_is_tried_again_by_a_new_citation(wayback, cite, eager):
    cite(STORY.format("not-found"))
    cite(STORY.format("not-found") + "#again")  # another citation of the same page
    statuses = list(WaybackCapture.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["error", "error"]
    assert len(wayback.saves()) == 2


def test_changing_a_citation_to_a_new_url_submits_that_link(
    wayback, cite, eager, analyst, django_capture_on_commit_callbacks
):
    evidence = cite(STORY.format("ok"))
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_update(evidence=evidence, actor=analyst, url=STORY.format("recent"))
    assert WaybackCapture.objects.filter(status="success").count() == 2


def test_broker_down_the_evidence_is_saved_and_the_sweep_submits_later(
    wayback, claim, analyst, django_capture_on_commit_callbacks, monkeypatch
):
    from workbench.celery import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    before = app.conf.broker_url
    dead = f"redis://127.0.0.1:{closed}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", dead)  # Celery reads this before its own setting
    app.conf.broker_url = dead
    app._pool = None  # connections are pooled per broker URL: start one for the dead broker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            evidence = services.evidence_add(claim=claim, actor=analyst, url=STORY.format("ok"))
    finally:
        monkeypatch.undo()
        app.conf.broker_url = before
        app._pool = None
    capture = capture_of(evidence)
    assert capture.status == "pending" and capture.attempts == 0
    assert capture.next_step_at < timezone.now() - timedelta(seconds=60)  # due for the sweep
    assert wayback.requests == []
    app.conf.task_always_eager = True
    try:
        assert wayback_service.captures_sweep() == 1
    finally:
        app.conf.task_always_eager = False
    assert capture_of(evidence).status == "success"


def test_a_stale_or_repeated_message_does_nothing(wayback, claim, analyst):
    evidence = services.evidence_add(claim=claim, actor=analyst, url=STORY.format("ok"))
    capture = capture_of(evidence)  # no commit here: nothing was queued
    outcome, step = wayback_service.capture_advance(capture_id=capture.pk, step=capture.step)
    assert (outcome.status, step) == ("submitted", 1)
    outcome, _ = wayback_service.capture_advance(capture_id=capture.pk, step=0)  # delivered twice
    assert outcome.status == "stale" and outcome.delay is None
    assert len(wayback.saves()) == 1


# --- The shared rate limit


def pending_capture(url: str) -> WaybackCapture:
    link = services.source_link_for(url)
    return WaybackCapture.objects.create(source_link=link)


def test_at_most_the_published_captures_per_minute(settings):
    settings.WAYBACK_CAPTURES_PER_MINUTE = 12
    settings.WAYBACK_MAX_ACTIVE = 100
    now = timezone.now()
    captures = [pending_capture(STORY.format(f"p{i}")) for i in range(13)]
    taken = [wayback_service.submission_slot_take(capture=c, now=now) for c in captures]
    assert taken == [True] * 12 + [False]
    last = WaybackCapture.objects.get(pk=captures[-1].pk)
    assert (last.submitted_at, last.attempts) == (None, 0)  # the refusal wrote nothing
    # A minute later the window has moved on.
    assert wayback_service.submission_slot_take(capture=last, now=now + timedelta(seconds=61))


def test_at_most_max_active_jobs_running(settings):
    settings.WAYBACK_CAPTURES_PER_MINUTE = 100
    settings.WAYBACK_MAX_ACTIVE = 2
    now = timezone.now()
    captures = [pending_capture(STORY.format(f"a{i}")) for i in range(3)]
    for capture in captures[:2]:
        assert wayback_service.submission_slot_take(capture=capture, now=now)
        WaybackCapture.objects.filter(pk=capture.pk).update(job_id=f"spn2-{capture.pk}")
    assert not wayback_service.submission_slot_take(capture=captures[2], now=now)
    WaybackCapture.objects.filter(pk=captures[0].pk).update(status="success")  # one finished
    assert wayback_service.submission_slot_take(capture=captures[2], now=now)


def test_a_capture_without_a_slot_waits_without_calling_the_archive(
    wayback, claim, analyst, settings
):
    settings.WAYBACK_CAPTURES_PER_MINUTE = 0
    evidence = services.evidence_add(claim=claim, actor=analyst, url=STORY.format("ok"))
    capture = capture_of(evidence)
    outcome, _ = wayback_service.capture_advance(capture_id=capture.pk, step=capture.step)
    assert outcome.status == "busy" and outcome.delay > 0
    assert wayback.requests == []
    assert capture_of(evidence).attempts == 0


# --- Where the desk sees it


def test_the_api_shows_the_memento_read_only(wayback, cite, eager, client, analyst):
    evidence = cite(STORY.format("ok"))
    client.force_login(analyst)
    body = client.get(f"/api/v1/source-links/{evidence.source_link_id}/").json()
    capture = capture_of(evidence)
    assert body["wayback"] == {
        "status": "success",
        "memento_url": capture.memento_url,
        "archived_at": "2026-12-02T10:15:00Z",
    }
    evidence_body = client.get(f"/api/v1/evidence/{evidence.pk}/").json()
    assert evidence_body["link"]["wayback"]["memento_url"] == capture.memento_url


def test_the_source_link_admin_page_links_the_memento(wayback, cite, eager, client, reviewer):
    evidence = cite(STORY.format("ok"))
    client.force_login(reviewer)
    page = client.get(f"/admin/annotations/sourcelink/{evidence.source_link_id}/change/")
    assert page.status_code == 200
    memento = capture_of(evidence).memento_url
    assert f'<a href="{memento}" rel="noopener noreferrer">' in page.content.decode()
    assert 'name="wayback_url"' not in page.content.decode()  # shown, never edited
