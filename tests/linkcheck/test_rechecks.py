"""Forced re-checks coalesced within LINKCHECK_FORCE_COALESCE (issue 9, item 4).

The issue: 50 re-checks queued 50 checks, 20 produced 19 fetches, and the API said
``queued: true`` every time.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from annotations.linkcheck import service
from annotations.models import SourceLink

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

WINDOW = 60


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The per-user re-check throttle counts in the cache: start each test with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def coalesce(settings):
    settings.LINKCHECK_FORCE_COALESCE = WINDOW
    return settings


@pytest.fixture
def api(analyst) -> APIClient:
    client = APIClient()
    client.force_authenticate(analyst)
    return client


@pytest.fixture
def link(web, cite, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        link = cite(f"{web.base}/ok").source_link
    SourceLink.objects.filter(pk=link.pk).update(check_requested_at=None)
    return link


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_fifty_forced_rechecks_queue_one_check(link, coalesce, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = [service.link_check_request(link=link, force=True) for _ in range(50)]
    assert queued == [True] + [False] * 49
    assert len(callbacks) == 1


# Seconds before now (a negative one is in the future), turned into times when the test runs.
@pytest.mark.parametrize(
    ("state", "queued"),
    [
        ({"last_checked_at": 10}, False),  # checked a moment ago
        ({"check_requested_at": 10}, False),  # queued a moment ago, not yet checked
        ({"checking_until": -30}, False),  # being checked
        ({"last_checked_at": WINDOW + 5}, True),
        ({"check_requested_at": WINDOW + 5}, True),  # a request that got lost
        ({"check_requested_at": 10, "last_checked_at": 5}, False),
        ({"check_requested_at": WINDOW + 10, "last_checked_at": WINDOW + 5}, True),
    ],
)
def test_a_forced_recheck_is_coalesced_within_the_window(
    link, coalesce, state, queued, django_capture_on_commit_callbacks
):
    SourceLink.objects.filter(pk=link.pk).update(**{k: ago(v) for k, v in state.items()})
    with django_capture_on_commit_callbacks(execute=False):
        assert service.link_check_request(link=link, force=True) is queued


def test_the_api_says_when_a_recheck_is_coalesced(
    link, api, coalesce, django_capture_on_commit_callbacks
):
    checked_at = ago(WINDOW + 30)
    SourceLink.objects.filter(pk=link.pk).update(outcome="ok", last_checked_at=checked_at)
    url = f"/api/v1/source-links/{link.pk}/recheck/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = api.post(url)
        second = api.post(url)
    assert len(callbacks) == 1
    assert first.status_code == second.status_code == 202
    first, second = first.json(), second.json()
    assert first["queued"] is True and second["queued"] is False
    requested_at = SourceLink.objects.get(pk=link.pk).check_requested_at
    assert first["check_requested_at"] == second["check_requested_at"]
    assert first["check_requested_at"] == requested_at.isoformat().replace("+00:00", "Z")
    assert second["last_checked_at"] == checked_at.isoformat().replace("+00:00", "Z")
    assert second["link"]["outcome"] == "ok"


def test_twenty_rechecks_through_the_api_make_one_fetch(
    web, link, api, other_analyst, coalesce, eager, django_capture_on_commit_callbacks
):
    """Two analysts, ten each (within the per-user rate limit): one fetch between them."""
    other = APIClient()
    other.force_authenticate(other_analyst)
    url = f"/api/v1/source-links/{link.pk}/recheck/"
    answers = []
    for client in [api, other] * 10:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        assert response.status_code == 202
        answers.append(response.json()["queued"])
    assert answers == [True] + [False] * 19
    assert web.paths() == ["/ok"]


def test_the_schema_describes_the_recheck_answer(link, api, coalesce):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/source-links/{id}/recheck/"]["post"]
    ref = operation["responses"]["202"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    answer = api.post(f"/api/v1/source-links/{link.pk}/recheck/").json()
    assert set(component["properties"]) == set(answer)
    assert set(component["required"]) == set(answer)
    for name in ("last_checked_at", "check_requested_at"):
        assert component["properties"][name]["nullable"] is True
    assert answer["last_checked_at"] is None and answer["check_requested_at"] is not None
