"""Background exports end to end: requested over HTTP in one process, written by a real worker.

The request goes through the API (Django's test client inside ``manage.py shell``, so the job
is queued on commit to Redis as in production), a Celery worker started for the test runs it,
and its file, fetched through the API again, must hold exactly the bytes the streamed export
gives for the same query.
"""

import json
import time

import pytest

from tests.linkcheck.test_worker import app, migrated, redis_broker  # noqa: F401 - fixtures

pytestmark = pytest.mark.integration

CLIENT = """
import hashlib, json, os
from django.contrib.auth.models import User
from django.test import Client
client = Client()
client.force_login(User.objects.get(username="editor"))
"""

REQUEST = """
import json
from django.contrib.auth.models import User
from django.test import Client
from annotations import services
from annotations.models import Article
editor = User.objects.create_superuser("editor", password="x")
client = Client()
client.force_login(editor)
body = "Міністр сказав, що переговори триватимуть. Министр сказал, что переговоры продолжатся."
article = Article.objects.create(
    title="Переговори", slug="talks", body=body, language="uk", content_hash="x"
)
for start, end in ((0, 7), (8, 14), (44, 51)):
    claim = services.claim_create(article=article, start=start, end=end, author=editor)
    services.evidence_add(claim=claim, actor=editor, url=f"https://example.org/{start}")
answer = client.post("/api/v1/export/jobs?format=jsonl&summary=true")
print(json.dumps({"status": answer.status_code, "job": answer.json()}))
"""

FETCH = (
    CLIENT
    + """
job = os.environ["JOB_ID"]
streamed = b"".join(client.get("/api/v1/export/claims?format=jsonl&summary=true").streaming_content)
answer = client.get(f"/api/v1/export/jobs/{job}/file")
stored = b"".join(answer.streaming_content) if answer.streaming else answer.content
print(json.dumps({
    "status": answer.status_code,
    "header": answer.headers.get("X-Content-SHA256"),
    "stored": hashlib.sha256(stored).hexdigest(),
    "streamed": hashlib.sha256(streamed).hexdigest(),
    "lines": stored.decode().count("\\n"),
}))
"""
)


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_a_worker_writes_the_job_the_api_queued_and_the_file_is_the_streamed_export(
    app,  # noqa: F811
    redis_broker,  # noqa: F811
):
    installation = app(CELERY_BROKER_URL=redis_broker, ALLOWED_HOSTS="testserver")
    worker = installation.start_worker("exports")
    installation.wait_ready(worker)

    requested = last_json(installation.manage(code=REQUEST))
    assert requested["status"] == 202, requested
    job_id = requested["job"]["id"]

    query = "SELECT status, records_done, records_total, error FROM annotations_exportjob"
    until = time.monotonic() + 40
    while time.monotonic() < until:
        (row,) = installation.rows(query + " WHERE id = ?", job_id)
        if row[0] not in ("queued", "running"):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the job never finished: {row}\n{worker.log()[-3000:]}")
    assert row == ("done", 3, 3, ""), worker.log()[-3000:]

    fetched = last_json(installation.manage(code=FETCH, JOB_ID=str(job_id)))
    assert fetched["status"] == 200
    assert fetched["stored"] == fetched["streamed"] == fetched["header"]
    assert fetched["lines"] == 4  # three claims and the summary line
