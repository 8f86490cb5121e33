"""Background export jobs: the same file as the streamed export, progress, a manifest, owners."""

import hashlib
import json

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import Article, ExportJob
from tests.api.conftest import bulk_claims

JOBS = "/api/v1/export/jobs"
EXPORT = "/api/v1/export/claims"


def start(client, query: str, *, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{JOBS}?{query}")
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    return response.json()


def streamed(client, query: str) -> bytes:
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def claims(ru_article, analyst):
    return bulk_claims(ru_article, 30, analyst)


@pytest.mark.parametrize("query", ["format=jsonl", "format=csv", "format=w3c", "format=json"])
def test_a_job_writes_the_file_the_streamed_export_gives(
    reviewer_api, claims, query, django_capture_on_commit_callbacks
):
    job = start(
        reviewer_api, query, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    assert job["status"] == "queued" and job["download"] is None
    services.export_job_run(job["id"])  # what the worker does with the queued task

    done = reviewer_api.get(job["url"]).json()
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["records_total"] == 30 and done["records_done"] == 30
    response = reviewer_api.get(done["download"])
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == streamed(reviewer_api, query)
    assert done["size"] == len(body)
    assert done["sha256"] == hashlib.sha256(body).hexdigest() == response["X-Content-SHA256"]
    assert "attachment" in response["Content-Disposition"]


def test_the_job_exports_what_its_requester_may_see(
    other_api, reviewer_api, ru_article, analyst, django_capture_on_commit_callbacks
):
    """On a blind article another analyst's verdicts are hidden: the job hides them too."""
    bulk_claims(ru_article, 5, analyst, verdict="verified")
    Article.objects.filter(pk=ru_article.pk).update(blind_review=True)
    job = start(
        other_api,
        "format=jsonl",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    services.export_job_run(job["id"])
    body = b"".join(other_api.get(f"{JOBS}/{job['id']}/file").streaming_content)
    assert body == streamed(other_api, "format=jsonl")
    assert body != streamed(reviewer_api, "format=jsonl")
    assert b'"verified"' in streamed(reviewer_api, "format=jsonl")


def test_a_bad_query_is_refused_before_any_job_exists(reviewer_api, claims):
    response = reviewer_api.post(f"{JOBS}?format=xml")
    assert response.status_code == 400
    assert "format" in json.dumps(response.json())
    assert not ExportJob.objects.exists()


def test_someone_elses_job_is_not_found(
    reviewer_api, analyst_api, claims, django_capture_on_commit_callbacks
):
    job = start(
        reviewer_api,
        "format=csv",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    services.export_job_run(job["id"])
    assert analyst_api.get(job["url"]).status_code == 404
    assert analyst_api.get(f"{JOBS}/{job['id']}/file").status_code == 404
    assert analyst_api.get(JOBS).json()["results"] == []
    assert [j["id"] for j in reviewer_api.get(JOBS).json()["results"]] == [job["id"]]


def test_the_file_of_an_unfinished_job_is_a_conflict(
    reviewer_api, claims, django_capture_on_commit_callbacks
):
    job = start(
        reviewer_api,
        "format=csv",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    response = reviewer_api.get(f"{JOBS}/{job['id']}/file")
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


def test_outsiders_cannot_start_a_job(outsider_api, claims):
    assert outsider_api.post(f"{JOBS}?format=csv").status_code == 403
    assert not ExportJob.objects.exists()


def test_progress_is_written_to_the_job_as_claims_are_read(
    reviewer_api, ru_article, analyst, settings, monkeypatch, django_capture_on_commit_callbacks
):
    bulk_claims(ru_article, 25, analyst)
    settings.EXPORT_CHUNK_SIZE = 10
    monkeypatch.setattr(services.export_jobs, "PROGRESS_EVERY_SECONDS", 0)
    job = start(
        reviewer_api,
        "format=jsonl",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    with CaptureQueriesContext(connection) as queries:
        services.export_job_run(job["id"])
    progress = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "records_done" in q["sql"]
    ]
    assert len(progress) >= 3  # one per chunk of 10, then the final state
    assert ExportJob.objects.get(pk=job["id"]).records_done == 25


def test_a_failed_storage_fails_the_job_with_its_reason(
    reviewer_api, claims, settings, tmp_path, django_capture_on_commit_callbacks
):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")  # the storage cannot make its folder here, even as root
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_folder / "exports")},
        },
    }
    job = start(
        reviewer_api,
        "format=csv",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    services.export_job_run(job["id"])
    failed = reviewer_api.get(job["url"]).json()
    assert failed["status"] == "failed" and "Not a directory" in failed["error"]
    assert failed["download"] is None and failed["sha256"] == ""


def test_old_jobs_and_their_files_are_purged(
    reviewer_api, claims, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    job = start(
        reviewer_api,
        "format=csv",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    services.export_job_run(job["id"])
    key = ExportJob.objects.get(pk=job["id"]).storage_key
    assert storages["exports"].exists(key)
    assert services.export_jobs_purge(now=timezone.now() + timedelta(days=6)) == 0
    assert services.export_jobs_purge(now=timezone.now() + timedelta(days=8)) == 1
    assert not storages["exports"].exists(key) and not ExportJob.objects.exists()
