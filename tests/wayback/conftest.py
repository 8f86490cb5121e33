import pytest

from annotations import services
from tests.wayback import fake_spn2


@pytest.fixture
def spn2():
    server = fake_spn2.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def wayback(settings, spn2):
    """The desk has keys; the fake is the archive; limits wide enough for eager runs."""
    settings.WAYBACK_ACCESS_KEY = fake_spn2.ACCESS_KEY
    settings.WAYBACK_SECRET_KEY = fake_spn2.SECRET_KEY
    settings.WAYBACK_API_URL = spn2.base
    settings.WAYBACK_TIMEOUT = 5
    settings.WAYBACK_MAX_RETRIES = 3
    settings.WAYBACK_CAPTURES_PER_MINUTE = 100
    settings.WAYBACK_MAX_ACTIVE = 100
    return spn2


@pytest.fixture
def eager():
    from workbench.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = before


@pytest.fixture
def claim(ru_article, make_claim):
    return make_claim(ru_article, ru_article.body[10:40])


@pytest.fixture
def cite(claim, analyst, django_capture_on_commit_callbacks):
    """Cite a URL and run what its commit queues (the link check, the Wayback submission)."""

    def add(url: str, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.evidence_add(claim=claim, actor=analyst, url=url, **kwargs)

    return add
