"""The exports page: a person starts a background export and follows it to its file."""

import hashlib

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import ExportJob
from tests.api.conftest import bulk_claims

PAGE = "/exports/"


@pytest.fixture
def claims(ru_article, analyst):
    return bulk_claims(ru_article, 12, analyst)


def test_an_analyst_starts_an_export_and_downloads_the_file(
    client, analyst, claims, ru_article, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    form = {"format": "jsonl", "article": str(ru_article.pk), "summary": "true"}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(PAGE, form, follow=True)
    (job,) = ExportJob.objects.all()
    assert f"Export {job.pk} is queued." in started.content.decode()
    assert job.query_string == f"format=jsonl&article={ru_article.pk}&summary=true"
    assert 'http-equiv="refresh"' in started.content.decode()  # it follows the running job

    services.export_job_run(job.pk)  # what the worker does with the queued task
    page = client.get(PAGE).content.decode()
    assert 'http-equiv="refresh"' not in page
    download = reverse("api:export-job-file", args=[job.pk])
    assert f'href="{download}"' in page and "12 of 12" in page
    body = b"".join(client.get(download).streaming_content)
    job.refresh_from_db()
    assert hashlib.sha256(body).hexdigest() == job.sha256
    assert body.decode().count("\n") == 13  # twelve claims and the summary line


def test_a_bad_query_starts_nothing_and_says_why(client, analyst, claims):
    client.force_login(analyst)
    refused = client.post(PAGE, {"format": "jsonl", "article": "not-a-number"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Nothing was started" in text and "article" in text
    assert 'value="not-a-number"' in text  # the form keeps what was typed
    assert not ExportJob.objects.exists()


def test_the_page_lists_only_the_readers_own_jobs(
    client, analyst, other_analyst, claims, django_capture_on_commit_callbacks
):
    client.force_login(other_analyst)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE, {"format": "csv"})
    client.force_login(analyst)
    page = client.get(PAGE).content.decode()
    assert "No exports yet." in page and "format=csv" not in page


def test_signing_in_comes_first_and_a_desk_role_is_needed(client, outsider):
    assert client.get(PAGE).status_code == 302
    client.force_login(outsider)
    assert client.post(PAGE, {"format": "json"}).status_code == 403
    assert not ExportJob.objects.exists()
