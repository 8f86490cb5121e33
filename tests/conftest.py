"""The fixed cast and the seed articles, shared by every test module."""

import os
import socket
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from annotations import services
from annotations.models import Article

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
RU_SEED = "000_a3f1db39b846760f.txt"
UK_SEED = "001_3e1ff92a3d920351.txt"


def service_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> None:
    """Skip on a machine without the server; fail under REQUIRE_SERVICES=1 (CI)."""
    if not service_reachable(url, default_port):
        message = f"{name} is not reachable at {url}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and REQUIRE_SERVICES=1")
        pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _in_memory_broker():
    """Checks queued by in-process tests go to an in-memory broker, not a developer's queue.

    The worker integration tests run the app in subprocesses with a broker of their own.
    """
    from workbench.celery import app

    app.conf.broker_url = "memory://"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests do not run collectstatic, so the hashed-name manifest does not exist."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seeds(db) -> dict[str, Article]:
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
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


def _user(django_user_model, username: str, role: str | None = None, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw-" + username, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def analyst(db, django_user_model):
    return _user(django_user_model, "olena", services.ANALYST)


@pytest.fixture
def other_analyst(db, django_user_model):
    return _user(django_user_model, "pavlo", services.ANALYST)


@pytest.fixture
def reviewer(db, django_user_model):
    return _user(django_user_model, "iryna", services.REVIEWER, is_staff=True)


@pytest.fixture
def outsider(db, django_user_model):
    return _user(django_user_model, "visitor")


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
