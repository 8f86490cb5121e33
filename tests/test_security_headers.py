"""Every kind of response carries its security headers; the production settings pass
``check --deploy`` with nothing to warn about."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client

from annotations.csp import (
    ADMIN_CONTENT_SECURITY_POLICY,
    CONTENT_SECURITY_POLICY,
    NON_HTML_CONTENT_SECURITY_POLICY,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def signed_in(client, analyst, seeds):
    client.force_login(analyst)
    return client


HTML_PAGES = [
    "/",
    "/articles/{article}/",
    "/exports/",
    "/no/such/page/",
    "/api/v1/claims/?format=api",
]


@pytest.mark.parametrize("page", HTML_PAGES)
def test_desk_pages_send_the_strict_policy(signed_in, seeds, page):
    response = signed_in.get(page.format(article=seeds["ru"].pk))
    assert response["Content-Type"].startswith("text/html"), page
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.parametrize(
    "page",
    ["/admin/", "/admin/annotations/claim/", "/admin/annotations/claim/add/", "/admin/nope/"],
)
def test_admin_pages_send_the_strict_policy(admin_client, seeds, page):
    response = admin_client.get(page)
    assert response["Content-Type"].startswith("text/html"), page
    policy = response["Content-Security-Policy"]
    assert policy == ADMIN_CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "geolocation=()" in response["Permissions-Policy"]


def test_login_pages_send_the_strict_policy(client, db):
    assert client.get("/accounts/login/")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    admin_login = client.get("/admin/login/")
    assert admin_login["Content-Security-Policy"] == ADMIN_CONTENT_SECURITY_POLICY


def test_server_error_page_sends_the_strict_policy(broken_article_list):
    response = broken_article_list.get("/")
    assert response.status_code == 500
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("page", ["/api/v1/claims/", "/api/v1/nope/", "/healthz"])
def test_json_answers_may_load_nothing(signed_in, page):
    response = signed_in.get(page)
    assert response["Content-Type"].startswith("application/json"), page
    assert response["Content-Security-Policy"] == NON_HTML_CONTENT_SECURITY_POLICY
    assert "Permissions-Policy" in response


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_send_a_policy_of_their_own(signed_in, page):
    policy = signed_in.get(page)["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-eval'" not in policy
    assert "http" not in policy  # no other origin is named


def test_hsts_and_redirect_follow_the_settings(client, db, settings):
    assert "Strict-Transport-Security" not in client.get("/healthz", secure=True)
    client = Client()  # the middleware reads its settings when the handler starts
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # the container's own check stays on http


_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def compose_environment(service: str, given: dict[str, str]) -> dict[str, str]:
    """The environment the compose file gives ``service``, with ``${...}`` filled in."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    def fill(match: re.Match) -> str:
        name, kind, default = match.groups()
        if name in given:
            return given[name]
        assert kind == "-", f"the compose file requires {name}"
        return default

    env = compose["services"][service]["environment"]
    return {key: _VARIABLE.sub(fill, str(value)) for key, value in env.items()}


def test_compose_turns_on_hsts_and_the_ssl_redirect():
    env = compose_environment(
        "web", {"SECRET_KEY": "x", "POSTGRES_PASSWORD": "y", "DESK_URL": "https://d.example/"}
    )
    assert env["SECURE_SSL_REDIRECT"] == "1"
    assert int(env["SECURE_HSTS_SECONDS"]) >= 31536000
    assert env["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == env["SECURE_HSTS_PRELOAD"] == "1"
    assert env["BEHIND_HTTPS_PROXY"] == "1"


def test_check_deploy_is_clean_under_the_production_settings(tmp_path):
    """The compose file's settings, a real secret: ``check --deploy`` has nothing to say."""
    env = compose_environment(
        "web",
        {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "POSTGRES_PASSWORD": "y",
            "DESK_URL": "https://factcheck.example.org/",
        },
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "workbench.settings",
            "DATA_DIR": str(tmp_path),
            "STATIC_ROOT": str(tmp_path / "static"),
            **env,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warned_before_with_the_defaults(tmp_path):
    """The same check under `make run`'s defaults names HSTS and the redirect: it can fail."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": secrets.token_urlsafe(50),
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout
