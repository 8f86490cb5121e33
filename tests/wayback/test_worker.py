"""End to end through a real Celery worker: cited in one process, archived by the worker."""

import time

import pytest

from tests.linkcheck.test_worker import app, migrated, redis_broker  # noqa: F401 - fixtures
from tests.wayback import fake_spn2

pytestmark = pytest.mark.integration


def test_a_worker_submits_polls_and_records_the_memento(spn2, app, redis_broker):  # noqa: F811
    installation = app(
        CELERY_BROKER_URL=redis_broker,
        WAYBACK_ACCESS_KEY=fake_spn2.ACCESS_KEY,
        WAYBACK_SECRET_KEY=fake_spn2.SECRET_KEY,
        WAYBACK_API_URL=spn2.base,
        WAYBACK_POLL_INTERVAL="1",
        WAYBACK_RETRY_BASE="1",
    )
    worker = installation.start_worker("w")
    installation.wait_ready(worker)
    urls = ["http://127.0.0.1:9/news/ok", "http://127.0.0.1:9/news/busy"]
    ids = installation.add_evidence(urls)
    until = time.monotonic() + 40
    query = (
        "SELECT source_link_id, status, memento_url, attempts FROM annotations_waybackcapture"
        " ORDER BY source_link_id"
    )
    while time.monotonic() < until:
        rows = installation.rows(query)
        if len(rows) == 2 and all(row[1] != "pending" for row in rows):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"not archived in time: {installation.rows(query)}\n{worker.log()}")
    assert rows == [
        (ids[0], "success", f"{spn2.base}/web/{fake_spn2.NOW}/{urls[0]}", 1),
        (ids[1], "success", f"{spn2.base}/web/{fake_spn2.NOW}/{urls[1]}", 2),  # after a 429
    ]
    links = installation.rows(
        "SELECT wayback_status, wayback_url FROM annotations_sourcelink ORDER BY id"
    )
    assert [status for status, _ in links] == ["success", "success"]
