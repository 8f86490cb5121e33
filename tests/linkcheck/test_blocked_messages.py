"""Blocked-link messages name the policy, not the resolved address (issue 9, item 7).

What an internal name resolves to maps our own network, so the desk sees only the policy;
reviewers may see the address (``error_detail``) in the API and the admin.
"""

import importlib

import pytest
from rest_framework.test import APIClient

from annotations.linkcheck import fetch as fetching
from annotations.linkcheck import safety, service
from annotations.models import LinkCheck, LinkOutcome, SourceLink

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

INTERNAL = "10.20.30.40"


def resolver(host: str, port: int) -> list[str]:
    return [INTERNAL] if host == "wiki.intranet.test" else ["::ffff:127.0.0.1"]


def test_the_message_names_the_policy_and_the_detail_the_address():
    with pytest.raises(safety.Blocked) as raised:
        safety.check_destination("wiki.intranet.test", 80, resolver=resolver)
    assert str(raised.value) == (
        "wiki.intranet.test resolves to a private address; the link checker does not connect there."
    )
    assert INTERNAL in raised.value.detail
    with pytest.raises(safety.Blocked) as embedded:
        safety.check_destination("mapped.test", 80, resolver=resolver)
    assert "127.0.0.1" not in str(embedded.value) and "loopback" in str(embedded.value)
    assert "::ffff:7f00:1" in embedded.value.detail


def test_an_address_typed_in_the_url_is_no_secret():
    with pytest.raises(safety.Blocked) as raised:
        safety.check_destination("10.1.2.3", 80)
    assert str(raised.value).startswith("10.1.2.3 is a private address")


def test_a_redirect_to_an_internal_name_hides_its_address(web):
    policy = fetching.FetchPolicy(allowed_hosts=("127.0.0.1",))
    url = f"{web.base}/to?url=http://wiki.intranet.test/"
    result = fetching.fetch(
        url, policy, resolver=lambda h, p: ["127.0.0.1"] if h == "127.0.0.1" else [INTERNAL]
    )
    assert result.outcome == fetching.BLOCKED
    assert INTERNAL not in result.error and "private address" in result.error
    assert INTERNAL in result.error_detail and result.error_detail.startswith("redirect to")


@pytest.fixture
def blocked_link(web, cite, settings, django_capture_on_commit_callbacks):
    """``localhost`` is a name: what it resolves to is not shown to the desk."""
    settings.LINKCHECK_ALLOWED_HOSTS = []
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(f"http://localhost:{web.port}/ok")
    service.link_check_run(link_id=evidence.source_link_id)
    return SourceLink.objects.get(pk=evidence.source_link_id)


def no_address(text: str) -> bool:
    return "127.0.0.1" not in text and "::1" not in text


def test_the_recorded_error_names_the_policy(blocked_link):
    assert blocked_link.outcome == LinkOutcome.BLOCKED
    assert "loopback" in blocked_link.error and no_address(blocked_link.error)
    assert not no_address(blocked_link.error_detail)
    [check] = LinkCheck.objects.filter(source_link=blocked_link)
    assert no_address(check.error) and check.error_detail == blocked_link.error_detail


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_shows_the_address_to_reviewers_only(blocked_link, analyst, reviewer):
    for path in (f"/api/v1/source-links/{blocked_link.pk}/", "/api/v1/source-links/"):
        as_analyst = api_for(analyst).get(path)
        as_reviewer = api_for(reviewer).get(path)
        assert as_analyst.status_code == as_reviewer.status_code == 200
        assert no_address(as_analyst.content.decode())
        assert not no_address(as_reviewer.content.decode())
    answer = api_for(analyst).get(f"/api/v1/source-links/{blocked_link.pk}/").json()
    assert answer["error_detail"] == "" and "loopback" in answer["error"]
    evidence = api_for(analyst).get(
        f"/api/v1/evidence/?claim={blocked_link.evidence.get().claim_id}"
    )
    assert evidence.status_code == 200 and no_address(evidence.content.decode())


def test_the_admin_shows_the_address_to_reviewers(blocked_link, client, reviewer, analyst):
    analyst.is_staff = True  # even an analyst let into the admin does not see it
    analyst.save()
    path = f"/admin/annotations/sourcelink/{blocked_link.pk}/change/"
    client.force_login(reviewer)
    assert not no_address(client.get(path).content.decode())
    client.force_login(analyst)
    page = client.get(path)
    if page.status_code == 200:
        assert no_address(page.content.decode())


def test_old_messages_are_reworded_by_the_migration():
    migration = importlib.import_module("annotations.migrations.0005_link_error_detail")
    old = "wiki.test (10.0.0.5) is a private address; the link checker does not connect there."
    assert migration.policy_wording(old) == (
        "wiki.test resolves to a private address; the link checker does not connect there."
    )
    redirected = (
        "redirect to http://x.test/: x.test (::ffff:127.0.0.1) is a loopback address (embedded in "
        "::ffff:127.0.0.1); the link checker does not connect there."
    )
    assert migration.policy_wording(redirected) == (
        "redirect to http://x.test/: x.test resolves to a loopback address; the link checker does "
        "not connect there."
    )
    assert migration.policy_wording("10.0.0.5 is a private address; the link ...") is None
