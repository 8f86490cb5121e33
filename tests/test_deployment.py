"""The production compose file and the settings that CI relies on."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.db import connection

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"db", "redis", "web", "worker", "beat"}


def test_compose_file_names_the_production_services_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= SERVICES
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "workbench", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workbench", "beat"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert "${SECRET_KEY:?" in env["SECRET_KEY"]
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.skipif(
    not shutil.which("docker-compose") and not REQUIRE_SERVICES,
    reason="Debian's docker-compose is not installed",
)
def test_docker_compose_parses_the_file_without_an_engine():
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "--services"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x", "POSTGRES_PASSWORD": "y"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(result.stdout.split()) >= SERVICES


def test_database_is_the_one_database_url_names(db):
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_health_endpoint(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
