"""Requesting, running and recording checks (tasks run eagerly here; see test_worker.py)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from annotations import services
from annotations.linkcheck import fetch as fetching
from annotations.linkcheck import record, service
from annotations.models import Evidence, LinkCheck, LinkOutcome, SourceLink
from annotations.tasks import check_source_link

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

ARTICLE = (
    "<html><head><title>Заява уряду</title><script>var n='{nonce}'</script></head>"
    "<body class='{nonce}'><p>Уряд оголосив про  нові\n виплати пенсіонерам.</p>{extra}"
    "</body></html>"
)


def page(nonce: str = "a", extra: str = "") -> tuple[int, dict, bytes]:
    return 200, {}, ARTICLE.format(nonce=nonce, extra=extra).encode()


def test_evidence_is_checked_after_commit(web, cite, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evidence = cite(f"{web.base}/ok", excerpt="заявило про нові санкції")
        assert web.log == []  # nothing is fetched before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.outcome == LinkOutcome.OK
    assert link.http_status == 200
    assert link.page_title == "Заява МЗС України"
    assert link.final_url == f"{web.base}/ok"
    assert link.last_checked_at is not None
    assert len(link.text_sha256) == 64 and len(link.body_sha256) == 64
    assert link.attempts == 1 and link.checking_until is None
    check = link.checks.get()
    assert (check.outcome, check.attempt, check.will_retry) == ("ok", 1, False)
    assert check.text_sha256 == link.text_sha256
    evidence.refresh_from_db()
    assert evidence.cited_text_sha256 == link.text_sha256
    assert evidence.excerpt_found is True
    assert evidence.source_changed_at is None


def test_one_check_per_url_and_freshness(
    web, claim, analyst, eager, django_capture_on_commit_callbacks
):
    url = f"{web.base}/ok"
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for _ in range(3):
            services.evidence_add(claim=claim, actor=analyst, url=url)
        services.evidence_add(claim=claim, actor=analyst, url=url.upper().replace("/OK", "/ok"))
    assert len(callbacks) == 1
    assert web.paths() == ["/ok"]
    link = SourceLink.objects.get()
    # Cited again later, within the freshness window: no new fetch, the baseline is known.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        late = services.evidence_add(claim=claim, actor=analyst, url=url)
    assert callbacks == []
    assert web.paths() == ["/ok"]
    late.refresh_from_db()
    assert late.cited_text_sha256 == link.text_sha256
    # Forced (the admin action, the command): checked again.
    with django_capture_on_commit_callbacks(execute=True):
        assert service.link_check_request(link=link, force=True)
    assert web.paths() == ["/ok", "/ok"]
    assert link.checks.count() == 2


def test_outside_the_freshness_window_it_is_fetched_again(
    web, cite, eager, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/ok")
    two_hours_ago = timezone.now() - timedelta(hours=2)
    SourceLink.objects.update(last_checked_at=two_hours_ago, check_requested_at=two_hours_ago)
    with django_capture_on_commit_callbacks(execute=True):
        cite(f"{web.base}/ok")
    assert web.paths() == ["/ok", "/ok"]
    assert evidence.source_link.checks.count() == 2


def test_url_change_checks_the_new_link(
    web, cite, analyst, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/ok")
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_update(evidence=evidence, actor=analyst, note="same link")
    assert web.paths() == ["/ok"]
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_update(evidence=evidence, actor=analyst, url=f"{web.base}/cp1251")
    assert web.paths() == ["/ok", "/cp1251"]
    evidence.refresh_from_db()
    assert evidence.source_link.page_title == "Новости дня: заявление министра"
    assert evidence.cited_text_sha256 == evidence.source_link.text_sha256


def test_transient_failure_is_retried_and_then_succeeds(
    web, cite, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/flaky")
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    checks = list(
        link.checks.order_by("id").values_list("outcome", "http_status", "attempt", "will_retry")
    )
    assert checks == [("broken", 500, 1, True), ("ok", 200, 2, False)]
    assert (link.outcome, link.attempts) == ("ok", 2)


def test_retries_stop_at_the_limit_and_the_final_state_is_recorded(
    web, cite, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/down")
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    checks = list(link.checks.order_by("id").values_list("attempt", "will_retry"))
    assert checks == [(1, True), (2, True), (3, True), (4, False)]  # LINKCHECK_MAX_RETRIES=3
    assert (link.outcome, link.http_status, link.error) == ("broken", 503, "HTTP 503")
    assert web.paths() == ["/down"] * 4


def test_state_stays_as_it_was_while_a_retry_is_pending(
    web, cite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/down")
    outcome = service.link_check_run(link_id=evidence.source_link_id)
    assert outcome.status == "retry" and outcome.outcome == "broken"
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.outcome == LinkOutcome.PENDING and link.last_checked_at is None
    assert link.checks.get().will_retry is True


def test_404_is_final_at_once(web, cite, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/missing", excerpt="anything")
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert (link.outcome, link.http_status, link.checks.count()) == ("broken", 404, 1)
    evidence.refresh_from_db()
    assert evidence.excerpt_found is None  # a 404 page says nothing about the excerpt


def test_timeout_retried_then_recorded(
    web, cite, eager, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_MAX_RETRIES = 1
    with django_capture_on_commit_callbacks(execute=True):
        evidence = cite(f"{web.base}/slow?s=1.5")
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert list(link.checks.values_list("outcome", flat=True)) == ["timeout", "timeout"]
    assert link.outcome == LinkOutcome.TIMEOUT
    assert "time limit" in link.error


def test_retry_after_is_honoured_and_capped_below_visibility(
    web, cite, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/busy?after=7")
    outcome = service.link_check_run(link_id=evidence.source_link_id)
    assert outcome.status == "retry" and outcome.delay >= 7
    # On Redis, no delay may reach the visibility timeout (the message would be delivered twice).
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60}
    settings.LINKCHECK_RETRY_BASE = 30
    assert service.retry_delay(1, retry_after=3600) <= 48
    assert max(service.retry_delay(10) for _ in range(50)) <= 48


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.LINKCHECK_RETRY_BASE = 10
    settings.LINKCHECK_RETRY_MAX = 10_000
    for attempt in (1, 2, 3, 4):
        delays = {round(service.retry_delay(attempt), 3) for _ in range(30)}
        assert min(delays) >= 10 * 2 ** (attempt - 1) * 0.5
        assert max(delays) <= 10 * 2 ** (attempt - 1) * 1.5
        assert len(delays) > 1  # jitter: retries of many links do not arrive together


def test_programming_error_is_not_retried(
    web, cite, eager, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/ok")

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(fetching, "fetch", bug)
    result = check_source_link.apply(args=[evidence.source_link_id])
    assert isinstance(result.result, ZeroDivisionError)
    assert result.state == "FAILURE"
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.checks.count() == 0 and link.checking_until is None
    assert link.outcome == LinkOutcome.PENDING


def test_duplicate_delivery_does_nothing(web, cite, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/ok")
    first = service.link_check_run(link_id=evidence.source_link_id)
    again = service.link_check_run(link_id=evidence.source_link_id)
    assert (first.status, again.status) == ("done", "skipped")
    assert web.paths() == ["/ok"]


def test_markup_churn_is_not_a_change_but_new_text_is(
    web, cite, django_capture_on_commit_callbacks
):
    web.pages["/article"] = page("n1")
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/article", excerpt="«нові виплати»")
    link_id = evidence.source_link_id
    evidence.excerpt = "нові виплати пенсіонерам"
    Evidence.objects.filter(pk=evidence.pk).update(excerpt=evidence.excerpt)

    def check():
        service.link_check_run(link_id=link_id, force=True)
        evidence.refresh_from_db()
        return SourceLink.objects.get(pk=link_id)

    first = check()
    baseline = first.text_sha256
    assert evidence.cited_text_sha256 == baseline and evidence.excerpt_found is True

    web.pages["/article"] = page("n2-different-nonce")
    second = check()
    assert second.body_sha256 != first.body_sha256
    assert second.text_sha256 == baseline
    assert second.text_changed_at is None and evidence.source_changed_at is None

    web.pages["/article"] = page("n3", extra="<p>Оновлено: уточнення.</p>")
    third = check()
    assert third.text_sha256 != baseline
    assert third.text_changed_at is not None
    assert evidence.source_changed_at == third.text_changed_at
    assert evidence.excerpt_found is True  # changed, but the cited words are still there
    changed_at = evidence.source_changed_at

    web.pages["/article"] = 200, {}, b"<title>x</title><p>Page rewritten.</p>"
    check()
    assert evidence.excerpt_found is False
    assert evidence.source_changed_at == changed_at  # "since when" keeps the first change


def test_excerpt_matching_is_forgiving_about_quotes_case_and_spacing():
    text = "Він сказав: \u201cМи не відступимо\u201d \u2014 і пішов."
    assert record.excerpt_found("«ми НЕ   відступимо» - і", text) is True
    assert record.excerpt_found("ми здаємося", text) is False
    assert record.excerpt_found("ми здаємося", text, truncated=True) is None
    assert record.excerpt_found("", text) is None


def test_blocked_and_invalid_are_recorded_with_the_reason(
    web, cite, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_ALLOWED_HOSTS = []
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/ok")
    service.link_check_run(link_id=evidence.source_link_id)
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.outcome == LinkOutcome.BLOCKED
    assert "loopback" in link.error
    assert web.log == []


def test_sweep_selects_never_checked_and_stale_links(
    web, cite, django_capture_on_commit_callbacks, django_assert_num_queries
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        links = {
            name: cite(f"{web.base}/{name}").source_link
            for name in ("never", "queued", "lost", "fresh", "stale")
        }
    SourceLink.objects.create(url="https://uncited.example/")  # nobody cites it: not checked
    updates = {
        "never": {"check_requested_at": None},  # e.g. the broker was down
        "queued": {"check_requested_at": now},  # its task is on the way
        "lost": {"check_requested_at": now - timedelta(hours=1)},  # queued, never ran
        "fresh": {"last_checked_at": now - timedelta(days=1), "check_requested_at": None},
        "stale": {"last_checked_at": now - timedelta(days=8), "check_requested_at": None},
    }
    for name, values in updates.items():
        SourceLink.objects.filter(pk=links[name].pk).update(**values)
    with django_assert_num_queries(1):
        due = service.links_due_for_check()
    assert due == [links["never"].pk, links["lost"].pk, links["stale"].pk]
    with django_assert_num_queries(1):
        assert service.links_due_for_check(limit=1) == [links["never"].pk]


def test_sweep_queues_due_links(web, cite, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"{web.base}/ok")
    SourceLink.objects.update(check_requested_at=None)  # as after a broker outage
    with django_capture_on_commit_callbacks(execute=True):
        assert service.links_sweep() == 1
    assert SourceLink.objects.get(pk=evidence.source_link_id).outcome == LinkOutcome.OK
    with django_capture_on_commit_callbacks(execute=True):
        assert service.links_sweep() == 0


def test_a_batch_checks_links_together_and_hands_back_the_rest(
    web, cite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        ok, down, fresh = (cite(f"{web.base}/{p}").source_link_id for p in ("ok", "down", "koi8"))
    service.link_check_run(link_id=fresh)
    outcomes = service.links_check_run(link_ids=[ok, down, fresh, 999_999])
    assert {pk: o.status for pk, o in outcomes.items()} == {
        ok: "done",
        down: "retry",
        fresh: "skipped",
        999_999: "gone",
    }
    states = dict(SourceLink.objects.values_list("pk", "outcome"))
    assert (states[ok], states[down], states[fresh]) == ("ok", "pending", "ok")
    assert list(
        LinkCheck.objects.filter(source_link_id=down).values_list("will_retry", flat=True)
    ) == [True]
    assert SourceLink.objects.filter(checking_until__isnull=False).count() == 0


def test_a_batch_respects_the_host_limit(
    web, claim, analyst, settings, django_capture_on_commit_callbacks
):
    settings.LINKCHECK_PER_HOST = 2
    with django_capture_on_commit_callbacks(execute=False):
        ids = [
            services.evidence_add(
                claim=claim, actor=analyst, url=f"{web.base}/hold/{i}?s=0.2"
            ).source_link_id
            for i in range(6)
        ]
    outcomes = service.links_check_run(link_ids=ids)
    assert {o.status for o in outcomes.values()} == {"done"}
    assert web.max_active["hold"] == 2
    assert len(web.log) == 6


@pytest.mark.parametrize("size", [2, 12])
def test_recording_a_batch_takes_a_fixed_number_of_queries(db, size, django_assert_num_queries):
    links = SourceLink.objects.bulk_create(
        SourceLink(url=f"https://s{i}.example/") for i in range(size)
    )
    result = fetching.FetchResult(
        url="x", outcome="ok", http_status=200, text_sha256="a" * 64, text="t"
    )
    attempts = [record.Attempt(link.pk, result) for link in links]
    # savepoint, lock the links, insert the history, update the links, read citations, release
    with django_assert_num_queries(6):
        record.links_check_record(attempts=attempts)
    assert LinkCheck.objects.count() == size


def test_a_new_excerpt_on_a_fresh_link_is_looked_for_once(
    web, claim, analyst, eager, django_capture_on_commit_callbacks
):
    url = f"{web.base}/ok"
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_add(claim=claim, actor=analyst, url=url)
    assert web.paths() == ["/ok"]
    # Cited again within the freshness window, now quoting words: the page is read again
    # (once, however many citations quote it in one go) to tell whether they are there.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        quoting = services.evidence_add(
            claim=claim, actor=analyst, url=url, excerpt="заявило про нові санкції"
        )
        services.evidence_add(claim=claim, actor=analyst, url=url, excerpt="нові санкції")
    assert web.paths() == ["/ok", "/ok"]
    quoting.refresh_from_db()
    assert quoting.excerpt_found is True
    # Editing the excerpt asks again; a citation without an excerpt does not.
    with django_capture_on_commit_callbacks(execute=True):
        edited = services.evidence_update(evidence=quoting, actor=analyst, excerpt="немає такого")
    assert web.paths() == ["/ok", "/ok", "/ok"]
    edited.refresh_from_db()
    assert edited.excerpt_found is False
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_add(claim=claim, actor=analyst, url=url)
    assert web.paths() == ["/ok", "/ok", "/ok"]
