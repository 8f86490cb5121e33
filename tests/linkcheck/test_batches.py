"""No batch lost to one link (issue 9, item 2): each result is written as soon as it is known,
and a batch cut by its soft time limit keeps what is done and records the rest as ``timeout``.
"""

import signal

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.linkcheck import service
from annotations.models import LinkCheck, LinkOutcome, SourceLink

pytestmark = pytest.mark.usefixtures("linkcheck_settings")


def soft_time_limit_in(seconds: float) -> None:
    """What Celery's prefork pool does at the soft time limit: a signal raises in the task."""

    def strike(signum, frame):
        raise SoftTimeLimitExceeded()

    signal.signal(signal.SIGALRM, strike)
    signal.setitimer(signal.ITIMER_REAL, seconds)


@pytest.fixture
def alarm():
    previous = signal.getsignal(signal.SIGALRM)
    yield soft_time_limit_in
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def make_links(urls: list[str]) -> list[int]:
    return [SourceLink.objects.create(url=url).pk for url in urls]


def test_a_batch_cut_by_its_soft_time_limit_keeps_the_healthy_links(db, web, settings, alarm):
    settings.LINKCHECK_TOTAL_TIMEOUT = 30  # only the soft time limit ends the trickle here
    settings.LINKCHECK_READ_TIMEOUT = 5
    healthy = make_links([f"{web.base}/hold/{i}?s=0.1" for i in range(5)])
    [slow] = make_links([f"{web.base}/drip/body?every=0.2"])
    alarm(1.5)
    outcomes = service.links_check_run(link_ids=[*healthy, slow])
    for pk in healthy:
        assert outcomes[pk].status == service.RunStatus.DONE
        assert SourceLink.objects.get(pk=pk).outcome == LinkOutcome.OK
    # The slow one: a history row saying timeout, the link left for its own retry.
    assert outcomes[slow].status == service.RunStatus.RETRY
    assert list(
        LinkCheck.objects.filter(source_link_id=slow).values_list("outcome", "will_retry")
    ) == [("timeout", True)]
    link = SourceLink.objects.get(pk=slow)
    assert (link.outcome, link.checking_until) == (LinkOutcome.PENDING, None)


def test_the_slow_links_last_attempt_is_recorded_as_timeout(db, web, settings, alarm):
    settings.LINKCHECK_TOTAL_TIMEOUT = 30
    [slow] = make_links([f"{web.base}/drip/status?every=0.2"])
    alarm(1.0)
    outcomes = service.links_check_run(link_ids=[slow], attempt=4)  # LINKCHECK_MAX_RETRIES=3
    assert outcomes[slow].status == service.RunStatus.DONE
    link = SourceLink.objects.get(pk=slow)
    assert link.outcome == LinkOutcome.TIMEOUT and link.last_checked_at is not None
    assert "time limit" in link.error


def test_healthy_links_are_recorded_before_the_slow_one_ends(db, web, settings, monkeypatch):
    """The healthy links' rows are written while the trickling fetch is still running."""
    settings.LINKCHECK_TOTAL_TIMEOUT = 1
    healthy = make_links([f"{web.base}/ok", f"{web.base}/cp1251"])
    [slow] = make_links([f"{web.base}/drip/headers?every=0.2"])
    seen_while_slow = []
    original = service.links_check_record

    def record(*, attempts):
        checks = original(attempts=attempts)
        seen_while_slow.append(
            (attempts[0].link_id, LinkCheck.objects.filter(source_link_id__in=healthy).count())
        )
        return checks

    monkeypatch.setattr(service, "links_check_record", record)
    service.links_check_run(link_ids=[*healthy, slow], final=True)
    assert [pk for pk, _ in seen_while_slow][-1] == slow  # the slow one is written last...
    assert seen_while_slow[-2][1] == 2  # ...when both healthy ones were already there
    assert SourceLink.objects.get(pk=slow).outcome == LinkOutcome.TIMEOUT


def queries_for_batch(web, size: int, monkeypatch) -> tuple[int, int]:
    """The queries a batch of ``size`` links took, and how many recording groups it made."""
    ids = make_links([f"{web.base}/hold/{size}-{i}?s=0" for i in range(size)])
    groups = []
    original = service.links_check_record

    def record(*, attempts):
        groups.append(len(attempts))
        return original(attempts=attempts)

    monkeypatch.setattr(service, "links_check_record", record)
    with CaptureQueriesContext(connection) as captured:
        outcomes = service.links_check_run(link_ids=ids)
    monkeypatch.undo()
    assert {o.status for o in outcomes.values()} == {service.RunStatus.DONE}
    assert sum(groups) == size
    return len(captured), len(groups)


def test_a_batch_takes_a_fixed_number_of_queries_per_link(db, web, settings, monkeypatch):
    """Read the batch and what the archive holds for it once; per link: take its host slot (a
    database lease: savepoint, update, release, and PostgreSQL's advisory lock) and free it;
    per group of results that ended together: record them (savepoint, lock, insert the
    history, update the links, read citations, release) with their archived copies (insert
    them, pin them to citations). A link's first copy can drop nothing, and the batch knows
    it has none: no read of the links' copies to prune."""
    settings.LINKCHECK_PER_HOST = 10
    per_link = 3 + (connection.vendor == "postgresql") + 1
    per_group = 6 + 2
    for size in (2, 6):
        queries, groups = queries_for_batch(web, size, monkeypatch)
        assert 1 <= groups <= size
        assert queries == 2 + size * per_link + groups * per_group
    settings.ARCHIVE_ENABLED = False
    queries, groups = queries_for_batch(web, 5, monkeypatch)
    assert queries == 1 + 5 * per_link + groups * (per_group - 2)
