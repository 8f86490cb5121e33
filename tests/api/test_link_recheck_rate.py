""" "Check again" is rate-limited per user, with a message that says when to try again."""

import pytest
from django.core.cache import cache

from annotations import services
from annotations.api.throttles import MSG_RECHECK_THROTTLED

QUOTE = "WP пишет, что президент Венесуэлы написал письмо для Владимира Путина."

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_url(make_claim, ru_article, analyst, settings):
    settings.LINKCHECK_USER_RECHECK_RATE = "2/min"
    cache.clear()
    claim = make_claim(ru_article, QUOTE)
    link = services.evidence_add(
        claim=claim, actor=analyst, url="https://example.org/x"
    ).source_link
    yield f"/api/v1/source-links/{link.pk}/recheck/"
    cache.clear()


def test_a_user_past_the_rate_is_told_when_to_try_again(analyst_api, link_url):
    assert [analyst_api.post(link_url).status_code for _ in range(2)] == [202, 202]
    response = analyst_api.post(link_url)
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    assert response.json()["detail"] == MSG_RECHECK_THROTTLED.format(wait=wait)


def test_the_rate_is_per_user(analyst_api, other_api, link_url):
    for _ in range(2):
        analyst_api.post(link_url)
    assert analyst_api.post(link_url).status_code == 429
    assert other_api.post(link_url).status_code == 202


def test_other_writes_are_not_counted(analyst_api, link_url, ru_article):
    for _ in range(3):
        assert analyst_api.get("/api/v1/source-links/").status_code == 200
    assert analyst_api.post(link_url).status_code == 202
