"""The pieces a link check is made of: the one URL parser, the slots, the one state mapping."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError

from annotations import services, weburl
from annotations.linkcheck import fetch as fetching
from annotations.linkcheck import limits, record
from annotations.models import CheckState, LinkCheck, LinkOutcome, SourceLink


@pytest.mark.parametrize(
    ("url", "reason", "desk_says", "checker_says"),
    [
        ("ftp://example.org/", weburl.Reason.SCHEME, services.MSG_URL_SCHEME, "not ftp"),
        ("example.org/page", weburl.Reason.SCHEME, services.MSG_URL_SCHEME, "not no scheme"),
        ("https:///page", weburl.Reason.NO_HOST, services.MSG_URL_INVALID, "has no host"),
        ("https://exa mple.org/", weburl.Reason.SPACES, services.MSG_URL_INVALID, "spaces"),
        ("http://[::1/", weburl.Reason.UNPARSABLE, services.MSG_URL_INVALID, "Invalid IPv6"),
        ("https://a.example:99999/", weburl.Reason.UNPARSABLE, services.MSG_URL_INVALID, "Port"),
    ],
)
def test_the_desk_and_the_checker_refuse_a_url_for_one_reason(url, reason, desk_says, checker_says):
    with pytest.raises(weburl.BadURL) as parsed:
        weburl.parse(url)
    assert parsed.value.reason == reason
    with pytest.raises(ValidationError) as desk:
        services.normalise_url(url)
    assert desk.value.message_dict == {"url": [desk_says]}
    result = fetching.fetch(url, fetching.FetchPolicy())
    assert result.outcome == LinkOutcome.INVALID
    assert checker_says in result.error


def test_the_checker_requests_what_the_desk_stored():
    stored = services.normalise_url("  HTTPS://Example.ORG:443/a/b?q=1#part ")
    assert stored == "https://example.org/a/b?q=1"
    parsed = weburl.parse(stored)
    assert (parsed.scheme, parsed.host, parsed.effective_port, parsed.target) == (
        "https",
        "example.org",
        443,
        "/a/b?q=1",
    )
    assert weburl.parse("http://example.org").target == "/"


def test_control_characters_never_reach_the_request_line():
    result = fetching.fetch("https://example.org/a\x01b", fetching.FetchPolicy())
    assert result.outcome == LinkOutcome.INVALID
    assert result.error == "the URL contains spaces or control characters"


def test_one_mapping_fills_every_shared_check_field():
    result = fetching.FetchResult(
        url="https://example.org/",
        outcome=LinkOutcome.REDIRECTED,
        http_status=200,
        final_url="https://example.org/" + "a" * 3000,
        page_title="t" * 600,
        text_sha256="b" * 64,
    )
    state = record.check_state(result)
    assert set(state) == {field.name for field in CheckState._meta.fields}
    assert (len(state["final_url"]), len(state["page_title"])) == (2000, 500)
    for model in (SourceLink, LinkCheck):
        assert {field.name for field in CheckState._meta.fields} <= {
            field.name for field in model._meta.fields
        }


def test_a_retried_attempt_leaves_the_link_as_it_was(db):
    link = SourceLink.objects.create(url="https://example.org/")
    failed = fetching.FetchResult(url=link.url, outcome=LinkOutcome.TIMEOUT, transient=True)
    record.links_check_record(attempts=[record.Attempt(link.pk, failed, 1, will_retry=True)])
    link.refresh_from_db()
    assert (link.outcome, link.attempts, link.last_checked_at) == (LinkOutcome.PENDING, 1, None)
    assert link.checks.get().outcome == LinkOutcome.TIMEOUT


class Busy:
    """A work that notes how many run at once."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __call__(self, link_id: int) -> int:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
        return link_id * 10


def test_runs_under_slots_at_most_the_limit_per_host_at_once(db):
    links = SourceLink.objects.bulk_create(
        SourceLink(url=f"https://a.example/{i}") for i in range(5)
    )
    other = SourceLink.objects.create(url="https://b.example/")
    hosts = {link.pk: "a.example" for link in links} | {other.pk: "b.example"}
    work = Busy(0.2)
    results = limits.run_under_slots(
        limits.DatabaseHostSlots(limit=2), hosts, work, lease=30, wait=10
    )
    assert results == {pk: pk * 10 for pk in hosts}
    assert work.most == 3  # two on a.example, one on b.example


def test_a_link_without_a_slot_in_time_is_left_out(db):
    links = SourceLink.objects.bulk_create(
        SourceLink(url=f"https://a.example/{i}") for i in range(3)
    )
    results = limits.run_under_slots(
        limits.DatabaseHostSlots(limit=2),
        {link.pk: "a.example" for link in links},
        Busy(0.3),
        lease=30,
        wait=0.1,
    )
    assert sorted(results) == [links[0].pk, links[1].pk]


def test_an_error_in_a_work_is_raised_after_the_others_end(db):
    links = SourceLink.objects.bulk_create(
        SourceLink(url=f"https://a.example/{i}") for i in range(2)
    )
    finished = []

    def work(link_id: int) -> None:
        if link_id == links[0].pk:
            raise ZeroDivisionError("a bug")
        time.sleep(0.2)
        finished.append(link_id)

    with pytest.raises(ZeroDivisionError):
        limits.run_under_slots(
            limits.DatabaseHostSlots(limit=2),
            {link.pk: "a.example" for link in links},
            work,
            lease=30,
            wait=1,
        )
    assert finished == [links[1].pk]


@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_text_is_read_after_the_host_slot_is_freed(db, store):
    """With one slot per host, the second link's fetch starts while the first's text is still
    being read: reading (``then``) does not hold the host."""
    from tests import support
    from tests.linkcheck.test_worker import redis_url

    if store == "redis":
        if not support.service_reachable(redis_url(), 6379):
            pytest.skip("needs Redis")
        slots: limits.HostSlots = limits.RedisHostSlots(
            redis_url(), limit=1, prefix=f"lc-test-{time.monotonic_ns()}"
        )
    else:
        slots = limits.DatabaseHostSlots(limit=1)
    links = SourceLink.objects.bulk_create(
        SourceLink(url=f"https://a.example/{i}") for i in range(2)
    )
    second_started = threading.Event()

    def work(link_id: int) -> int:
        if link_id == links[1].pk:
            second_started.set()
        return link_id

    def then(result: int) -> int:
        if result == links[0].pk:
            assert second_started.wait(5), "the next link waited for the text to be read"
        return result * 10

    results = limits.run_under_slots(
        slots, {link.pk: "a.example" for link in links}, work, lease=30, wait=10, then=then
    )
    assert results == {link.pk: link.pk * 10 for link in links}
