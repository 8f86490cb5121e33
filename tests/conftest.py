"""The fixed cast and the seed articles, shared by every test module."""

import os

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from annotations import services
from annotations.models import Article
from tests import support
from tests.support import REQUIRE_SERVICES, service_reachable

__all__ = ["REQUIRE_SERVICES", "require_service", "service_reachable", "span_of"]

# Servers and workers the tests start run without DEBUG, where DESK_URL is required.
os.environ.setdefault("DESK_URL", "http://localhost:8000/")

RU_SEED = "000_a3f1db39b846760f.txt"
UK_SEED = "001_3e1ff92a3d920351.txt"


def require_service(name: str, url: str, default_port: int) -> None:
    """Skip on a machine without the server; fail under REQUIRE_SERVICES=1 (CI)."""
    if not service_reachable(url, default_port):
        message = f"{name} is not reachable at {url}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and REQUIRE_SERVICES=1")
        pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """The production hasher (PBKDF2) is slow on purpose; no test here is about its strength."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _in_memory_broker():
    """Checks queued by in-process tests go to an in-memory broker, not a developer's queue.

    The worker integration tests run the app in subprocesses with a broker of their own.
    """
    from workbench.celery import app

    app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True, scope="session")
def _static_root(tmp_path_factory):
    """WhiteNoise warns when STATIC_ROOT is missing, and reading the settings no longer makes it.

    Session-wide, so that the live server (also session-wide) starts with it.
    """
    with override_settings(STATIC_ROOT=str(tmp_path_factory.mktemp("static"))):
        yield


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests do not run collectstatic, so the hashed-name manifest does not exist."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _snapshot_storage(settings, tmp_path_factory):
    """Archived copies and export files go to folders of the test's own, not DATA_DIR."""
    settings.STORAGES = {
        **settings.STORAGES,
        "snapshots": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("snapshots"))},
        },
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("exports"))},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Failure counts (API tokens) live in the process's cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def seeds(db) -> dict[str, Article]:
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
    call_command("rebuild_passages", verbosity=0)  # loaddata goes around the services
    return {
        "ru": Article.objects.get(source_file=RU_SEED),
        "uk": Article.objects.get(source_file=UK_SEED),
    }


@pytest.fixture
def ru_article(seeds) -> Article:
    return seeds["ru"]


@pytest.fixture
def uk_article(seeds) -> Article:
    return seeds["uk"]


@pytest.fixture
def analyst(db):
    return support.cast_user("analyst")


@pytest.fixture
def other_analyst(db):
    return support.cast_user("other_analyst")


@pytest.fixture
def reviewer(db):
    return support.cast_user("reviewer")


@pytest.fixture
def outsider(db):
    return support.cast_user("outsider")


def span_of(article: Article, quote: str) -> tuple[int, int]:
    start = article.body.index(quote)
    return start, start + len(quote)


@pytest.fixture
def make_claim(analyst):
    def make(article: Article, quote: str, *, author=None, **kwargs):
        start, end = span_of(article, quote)
        return services.claim_create(
            article=article, start=start, end=end, quote=quote, author=author or analyst, **kwargs
        )

    return make


@pytest.fixture
def broken_article_list(client, analyst, monkeypatch):
    """A signed-in client whose article list fails with a bug, to see the 500 page."""
    from annotations import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.selectors, "article_list", broken)
    client.force_login(analyst)
    client.raise_request_exception = False
    return client
