"""The other ways to ask for checks: admin actions, the management command, the limits."""

import threading
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from annotations.linkcheck import fetch as fetching
from annotations.linkcheck import limits
from annotations.linkcheck import service as linkcheck_service
from annotations.models import LinkOutcome, SourceLink
from tests.conftest import require_service
from tests.linkcheck.test_worker import redis_url

pytestmark = pytest.mark.usefixtures("linkcheck_settings")


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def checked(web, cite, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/ok", excerpt="нові санкції")
    assert web.paths() == ["/ok"]
    return evidence


def test_admin_recheck_selected_links(
    reviewer_client, checked, web, django_capture_on_commit_callbacks
):
    url = reverse("admin:annotations_sourcelink_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            url,
            {"action": "recheck_links", "_selected_action": [checked.source_link_id]},
            follow=True,
        )
    assert "1 link check(s) queued." in response.content.decode()
    assert web.paths() == ["/ok", "/ok"]  # forced: the freshness window does not apply
    page = reviewer_client.get(
        reverse("admin:annotations_sourcelink_change", args=[checked.source_link_id])
    ).content.decode()
    assert "Заява МЗС України" in page


def test_admin_recheck_from_the_claim_list(
    reviewer_client, checked, web, cite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cite(f"{web.base}/koi8")
    url = reverse("admin:annotations_claim_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            url, {"action": "recheck_links", "_selected_action": [checked.claim_id]}, follow=True
        )
    assert "2 link check(s) queued." in response.content.decode()
    assert sorted(web.paths()) == ["/koi8", "/koi8", "/ok", "/ok"]
    page = reviewer_client.get(
        reverse("admin:annotations_claim_change", args=[checked.claim_id])
    ).content.decode()
    assert "excerpt found" in page


def test_command_url_now(checked, web):
    out = StringIO()
    call_command("check_links", "--url", f"{web.base}/ok", "--now", stdout=out)
    assert out.getvalue() == f"{web.base}/ok: ok\n"
    assert SourceLink.objects.get(pk=checked.source_link_id).checks.count() == 2


def test_command_refuses_unknown_and_bad_urls(db):
    with pytest.raises(CommandError, match=r"No evidence cites https://nowhere\.example/"):
        call_command("check_links", "--url", "https://NOWHERE.example")
    with pytest.raises(CommandError, match="Only http and https"):
        call_command("check_links", "--url", "ftp://x.example/")


def test_command_stale_and_all_queue(checked, web, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_links", "--stale", stdout=out)
    assert out.getvalue() == "0 link check(s) queued of 0 selected.\n"
    month_ago = timezone.now() - timedelta(days=30)
    SourceLink.objects.update(last_checked_at=month_ago, check_requested_at=month_ago)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_links", "--stale", stdout=out)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_links", "--all", stdout=out)
    assert out.getvalue().splitlines()[1:] == [
        "1 link check(s) queued of 1 selected.",
        "1 link check(s) queued of 1 selected.",
    ]
    assert web.paths() == ["/ok"] * 3


def test_command_now_records_transient_failures_as_final(
    web, cite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/down")
    SourceLink.objects.update(check_requested_at=None)  # never queued (broker was down)
    out = StringIO()
    call_command("check_links", "--stale", "--now", stdout=out)
    assert out.getvalue() == f"{web.base}/down: broken\n"
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.outcome == LinkOutcome.BROKEN
    assert list(link.checks.values_list("will_retry", flat=True)) == [False]


def test_database_slots_hold_per_host(db):
    links = [SourceLink.objects.create(url=f"https://a.example/{i}") for i in range(3)]
    other = SourceLink.objects.create(url="https://b.example/")
    slots = limits.DatabaseHostSlots(limit=2)
    assert slots.acquire("a.example", links[0].pk, 30)
    assert slots.acquire("a.example", links[1].pk, 30)
    assert slots.acquire("a.example", links[2].pk, 30) is None  # host full
    assert slots.acquire("b.example", other.pk, 30)  # other hosts are not held up
    assert slots.acquire("a.example", links[0].pk, 30) is None  # already being checked
    SourceLink.objects.filter(pk=links[0].pk).update(checking_until=None)
    assert slots.acquire("a.example", links[2].pk, 30)
    # A lease left by a dead worker runs out.
    SourceLink.objects.filter(pk=links[1].pk).update(
        checking_until=timezone.now() - timedelta(seconds=1)
    )
    assert slots.acquire("a.example", links[0].pk, 30)


def test_redis_slots_hold_across_threads(web):
    """Eight threads fetch from one host through the Redis limiter: never more than 2 at once."""
    url = redis_url()
    require_service("Redis", url, 6379)
    slots = limits.RedisHostSlots(url, limit=2, prefix=f"lc-test-{uuid.uuid4().hex[:8]}")
    other = limits.RedisHostSlots(url, limit=2, prefix=slots.prefix)
    policy = fetching.FetchPolicy(allowed_hosts=("127.0.0.1",), read_timeout=5)
    failures = []

    def check(i: int, limiter: limits.RedisHostSlots, host: str) -> None:
        token = limits.wait_for_slot(limiter, host, i, lease=30, wait=20)
        if token is None:
            failures.append(i)
            return
        try:
            path = "hold" if host == "news.example" else "holdb"
            fetching.fetch(f"{web.base}/{path}/{i}?s=0.3", policy)
        finally:
            limiter.release(host, token)

    threads = [
        threading.Thread(target=check, args=(i, slots if i % 2 else other, "news.example"))
        for i in range(8)
    ] + [threading.Thread(target=check, args=(i, other, "blog.example")) for i in (8, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert web.max_active["hold"] == 2
    assert web.max_active["holdb"] == 2
    assert web.max_total_active >= 3
    assert slots.client.zcard(f"{slots.prefix}:host:news.example") == 0  # all released


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_database_slots_hold_across_threads_on_postgresql(web, settings):
    settings.LINKCHECK_REDIS_URL = ""
    from annotations.linkcheck import service

    links = [SourceLink.objects.create(url=f"{web.base}/hold/{i}?s=0.3") for i in range(6)]

    def check(pk: int) -> None:
        try:
            service.link_check_run(link_id=pk)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=check, args=(link.pk,)) for link in links]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert web.max_active["hold"] == 2
    assert set(SourceLink.objects.values_list("outcome", flat=True)) == {"ok"}


@pytest.mark.parametrize("count", [3, 30])
def test_queuing_many_links_takes_a_fixed_number_of_queries(
    db, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    ids = [
        link.pk
        for link in SourceLink.objects.bulk_create(
            SourceLink(url=f"https://site{i}.example/") for i in range(count)
        )
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        # Savepoint, select the due ones (locked), mark them requested, release.
        with django_assert_num_queries(4):
            assert linkcheck_service.links_request_checks(links=ids) == count
        with django_assert_num_queries(3):  # all were just requested: nothing to mark
            assert linkcheck_service.links_request_checks(links=ids) == 0
    assert len(callbacks) == 1  # one trip to the broker for all of them


def test_beat_sweeps_with_a_registered_task(settings):
    from workbench.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery

    entry = settings.CELERY_BEAT_SCHEDULE["linkcheck-sweep"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == settings.LINKCHECK_SWEEP_INTERVAL
    task = app.tasks["annotations.tasks.check_source_links"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.soft_time_limit < task.time_limit
