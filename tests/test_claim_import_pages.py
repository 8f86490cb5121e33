"""A W3C collection longer than one page: each page is a file of its own, and the report of
one that has a ``next`` says where the rest is, so a partial import never looks complete."""

import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotations.models import Claim
from tests.test_claim_import import desk, empty_desk, export, run  # noqa: F401 (the fixture)


def page_at(user, url: str) -> bytes:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def one_a_page(settings):
    settings.W3C_PAGE_SIZE = 1


def test_a_first_page_imports_with_a_notice_naming_the_next_page_and_the_total(
    desk,  # noqa: F811
    reviewer,
    one_a_page,
):
    collection = export(reviewer, "w3c")
    next_url = json.loads(collection)["first"]["next"]
    second = page_at(reviewer, next_url)
    empty_desk()

    first_report = run(collection, "w3c", reviewer)

    assert first_report.written and first_report.counts["created"] == 1
    (notice,) = first_report.notices
    assert notice.code == "more_pages"
    assert next_url in notice.message and "of 2 annotations" in notice.message
    assert first_report.as_dict()["notices"] == [{"message": notice.message, "code": "more_pages"}]

    last_report = run(second, "w3c", reviewer)

    assert last_report.counts["created"] == 1 and last_report.notices == []
    assert Claim.objects.count() == 2
    assert run(collection, "w3c", reviewer).counts["created"] == 0  # again: updates, no doubles


def test_a_middle_page_names_the_page_after_it(desk, make_claim, ru_article, reviewer, one_a_page):  # noqa: F811
    make_claim(ru_article, "Россию")
    collection = json.loads(export(reviewer, "w3c"))
    middle = page_at(reviewer, collection["first"]["next"])
    after_middle = json.loads(middle)["next"]
    empty_desk()

    report = run(middle, "w3c", reviewer)

    assert [n.code for n in report.notices] == ["more_pages"]
    assert after_middle in report.notices[0].message
    assert "annotations" not in report.notices[0].message.split(":")[0]  # no total to tell
    # Another tool's page that names its collection's total: the notice gives it.
    page = json.loads(middle)
    page["partOf"]["total"] = 3
    (notice,) = run(json.dumps(page).encode(), "w3c", reviewer, dry_run=True).notices
    assert "of 3 annotations" in notice.message


def test_the_whole_collection_in_one_page_has_no_notice(desk, reviewer):  # noqa: F811
    data = export(reviewer, "w3c")
    empty_desk()
    assert run(data, "w3c", reviewer).notices == []


def test_the_command_and_the_api_say_where_the_rest_is(desk, reviewer, one_a_page, tmp_path):  # noqa: F811
    collection = export(reviewer, "w3c")
    next_url = json.loads(collection)["first"]["next"]
    empty_desk()
    path = tmp_path / "page.jsonld"
    path.write_bytes(collection)
    out = io.StringIO()

    call_command("import_claims", str(path), "--dry-run", "--user", reviewer.username, stdout=out)

    assert next_url in out.getvalue()
    client = APIClient()
    client.force_authenticate(reviewer)
    response = client.post(
        "/api/v1/import/claims?format=w3c&dry_run=true",
        collection,
        content_type="application/ld+json",
    )
    assert response.status_code == 200, response.content
    assert [n["code"] for n in response.json()["notices"]] == ["more_pages"]
