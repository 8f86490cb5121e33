"""The production compose file and the settings that CI relies on."""

import os
import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from django.db import connection
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"db", "redis", "web", "worker", "beat"}


def test_compose_file_names_the_production_services_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= SERVICES
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    # The production server settings (threaded workers, for long streamed exports).
    assert services["web"]["command"][:3] == ["gunicorn", "-c", "workbench/gunicorn.conf.py"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "workbench", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workbench", "beat"]
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert "${SECRET_KEY:?" in env["SECRET_KEY"]
    assert "${DESK_URL:?" in env["DESK_URL"]  # required in production
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.skipif(
    not shutil.which("docker-compose") and not REQUIRE_SERVICES,
    reason="Debian's docker-compose is not installed",
)
def test_docker_compose_parses_the_file_without_an_engine():
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "--services"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "x", "POSTGRES_PASSWORD": "y", "DESK_URL": "https://d/"},
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


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


DEV_TOOLS = {"pytest", "pytest-django", "ruff", "playwright", "schemathesis", "hypothesis"}


def test_production_pins_hold_no_development_tools():
    production = _pins(ROOT / "requirements" / "production.txt")
    development = _pins(ROOT / "requirements.lock")
    assert not DEV_TOOLS & set(production)
    assert set(development) >= DEV_TOOLS
    assert not set(production) & set(development), "a package is pinned twice"
    assert "-r requirements/production.txt" in (ROOT / "requirements.lock").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements/production.txt" in dockerfile
    assert "requirements.lock" not in dockerfile


def test_production_pins_are_complete():
    """Everything the runtime dependencies need, transitively, is pinned for production."""
    production = _pins(ROOT / "requirements" / "production.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(spec) for spec in project["dependencies"]]
    seen: set[str] = set()
    seen_extras: set[tuple[str, str]] = set()  # a package met again with an extra needs more
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        extras = {e for e in requirement.extras or {""} if (name, e) not in seen_extras}
        if not extras:
            continue
        seen.add(name)
        seen_extras.update((name, e) for e in extras)
        assert name in production, f"{name} is needed in production but not pinned there"
        assert metadata.version(name) == production[name], name
        for spec in metadata.requires(name) or []:
            child = Requirement(spec)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                wanted.append(child)
    assert seen == set(production), f"pinned but unused: {set(production) - seen}"
