"""Public pages can be served by a CDN: conditional GET, Cache-Control, and a takedown that
is not served from a cache for longer than a short while."""

import pytest

from annotations import selectors_public, services
from tests.public_support import build_group, build_public_desk
from tests.test_settings import run_python


@pytest.fixture
def desk(ru_article, uk_article, analyst, reviewer, settings):
    settings.PUBLIC_PAGE_MAX_AGE = 300
    settings.PUBLIC_GONE_MAX_AGE = 30
    return build_public_desk(ru_article, uk_article, analyst, reviewer)


@pytest.fixture
def group(desk, ru_article, uk_article, analyst, reviewer):
    return build_group(ru_article, uk_article, analyst, reviewer)


def pages(desk, group) -> list[str]:
    return [
        selectors_public.public_path(desk.published),
        selectors_public.group_path(group),
        "/fact-checks/",
        "/fact-checks/feed/",
        "/sitemap.xml",
    ]


def test_every_public_page_may_be_kept_by_a_cdn_and_answers_304(desk, group, client):
    for path in pages(desk, group):
        first = client.get(path)
        assert first.status_code == 200, path
        assert first["Cache-Control"] == "public, max-age=300", path
        assert "Vary" not in first or "Cookie" not in first["Vary"], path
        again = client.get(path, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304, path
        assert again.content == b"" and again["ETag"] == first["ETag"]
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_pages_answer_304_by_date_and_lists_do_not_send_one(desk, group, client):
    for path in pages(desk, group)[:2]:
        first = client.get(path)
        assert first["Last-Modified"]
        since = client.get(path, headers={"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304, path
    for path in pages(desk, group)[2:]:
        # A takedown can move a list's latest date back: only its ETag says it is the same.
        assert "Last-Modified" not in client.get(path), path


def test_the_max_age_is_a_setting(desk, client, settings):
    settings.PUBLIC_PAGE_MAX_AGE = 60
    response = client.get(selectors_public.public_path(desk.published))
    assert response["Cache-Control"] == "public, max-age=60"


def test_the_max_age_is_read_from_the_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.PUBLIC_PAGE_MAX_AGE, settings.PUBLIC_GONE_MAX_AGE)"
    )
    assert run_python(code, tmp_path, PUBLIC_PAGE_MAX_AGE="900").split() == ["900", "30"]
    assert run_python(code, tmp_path, PUBLIC_PAGE_MAX_AGE="10").split() == ["10", "10"]


def test_unpublishing_changes_what_is_served_and_a_410_is_kept_briefly(
    desk, group, client, reviewer
):
    claim_page = selectors_public.public_path(desk.published)
    group_page = selectors_public.group_path(group)
    before = {path: client.get(path) for path in (claim_page, group_page, "/fact-checks/")}
    services.claim_unpublish(claim=desk.published, reviewer=reviewer)
    services.claim_group_unpublish(group=group, reviewer=reviewer)
    for path in (claim_page, group_page):
        stale = before[path]
        gone = client.get(
            path,
            headers={
                "If-None-Match": stale["ETag"],
                "If-Modified-Since": stale["Last-Modified"],
            },
        )
        assert gone.status_code == 410, path
        assert gone["Cache-Control"] == "public, max-age=30"
        assert desk.published.quote.encode() not in gone.content
    index = client.get("/fact-checks/", headers={"If-None-Match": before["/fact-checks/"]["ETag"]})
    assert index.status_code == 200
    assert index["ETag"] != before["/fact-checks/"]["ETag"]
    assert "No fact-checks are published yet." in index.content.decode()


def test_an_edit_of_a_published_citation_changes_the_etag(desk, client, analyst):
    path = selectors_public.public_path(desk.published)
    first = client.get(path)
    evidence = desk.published.evidence.order_by("id").first()
    services.evidence_update(evidence=evidence, actor=analyst, title="Новое название")
    second = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200 and "Новое название" in second.content.decode()


def test_not_found_is_kept_briefly(desk, client):
    response = client.get("/fact-checks/999999-claim/")
    assert response.status_code == 404
    assert response["Cache-Control"] == "public, max-age=30"
