"""Tokens for scripts, the OpenAPI schema and its docs page."""

import hashlib
import importlib
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from annotations.models import ApiToken


def issue(*args: str) -> str:
    out = io.StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def me(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/").status_code


def test_issue_token_command_prints_the_key_once_and_stores_its_digest(analyst, seeds):
    key = issue("olena")
    token = ApiToken.objects.get(user=analyst)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert not ApiToken.objects.filter(digest=key).exists()
    assert me(key) == 200
    with pytest.raises(CommandError, match="already has a token"):
        issue("olena")  # the key cannot be shown again
    rotated = issue("olena", "--rotate")
    assert rotated != key
    assert me(rotated) == 200
    assert me(key) == 401


def test_issue_token_unknown_or_inactive(analyst, db):
    with pytest.raises(CommandError, match="No user"):
        issue("nobody")
    analyst.is_active = False
    analyst.save()
    with pytest.raises(CommandError, match="not active"):
        issue("olena")


def test_admin_issues_a_token_and_shows_it_once(admin_client, analyst):
    response = admin_client.post("/admin/annotations/apitoken/add/", {"user": analyst.pk})
    assert response.status_code == 200
    key = re.search(r'<code id="issued-key">([0-9a-f]{40})</code>', response.content.decode())[1]
    assert me(key) == 200
    token = ApiToken.objects.get(user=analyst)
    listing = admin_client.get("/admin/annotations/apitoken/").content.decode()
    detail = admin_client.get(f"/admin/annotations/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, detail):
        assert token.prefix in page
        assert key not in page and token.digest not in page
    again = admin_client.post("/admin/annotations/apitoken/add/", {"user": analyst.pk})
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert me(key) == 200
    rotated = admin_client.post(
        "/admin/annotations/apitoken/add/", {"user": analyst.pk, "rotate": "on"}
    )
    assert "issued-key" in rotated.content.decode()
    assert me(key) == 401


def test_existing_plain_tokens_are_hashed_by_the_migration(analyst, db):
    """An installation from before keeps its DRF token table; its keys keep working."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("annotations.migrations.0004_hash_existing_tokens")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp "
            "with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [key, "2025-01-02 03:04:05+00:00", analyst.pk],
        )
    migration.hash_existing_tokens(apps, SimpleNamespace(connection=connection))
    token = ApiToken.objects.get(user=analyst)
    assert token.prefix == key[:8] and token.created_at.year == 2025
    assert me(key) == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # no plain key is left behind
        cursor.execute("DROP TABLE authtoken_token")


@pytest.fixture
def schema(analyst_api) -> dict:
    response = analyst_api.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_yaml_default(analyst_api):
    response = analyst_api.get("/api/schema/")
    assert response.status_code == 200
    validate(yaml.safe_load(response.content))


def test_schema_generation_has_no_warnings(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)


EXPECTED_OPERATIONS = {
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/articles/"),
    ("get", "/api/v1/articles/{id}/"),
    ("get", "/api/v1/claims/"),
    ("post", "/api/v1/claims/"),
    ("get", "/api/v1/claims/{id}/"),
    ("patch", "/api/v1/claims/{id}/"),
    ("delete", "/api/v1/claims/{id}/"),
    ("post", "/api/v1/claims/{id}/sign-off/"),
    ("delete", "/api/v1/claims/{id}/sign-off/"),
    ("get", "/api/v1/claims/{id}/history/"),
    ("get", "/api/v1/evidence/"),
    ("post", "/api/v1/evidence/"),
    ("get", "/api/v1/evidence/{id}/"),
    ("patch", "/api/v1/evidence/{id}/"),
    ("delete", "/api/v1/evidence/{id}/"),
    ("get", "/api/v1/source-links/"),
    ("get", "/api/v1/source-links/{id}/"),
    ("post", "/api/v1/source-links/{id}/recheck/"),
    ("get", "/api/v1/export/claims"),
}
CLAIM_FILTERS = {
    "article",
    "verdict",
    "author",
    "language",
    "signed_off",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
    "has_evidence",
    "link_outcome",
    "search",
    "ordering",
}


def test_schema_has_every_endpoint_filter_and_error(schema):
    operations = {(method, path) for path, ops in schema["paths"].items() for method in ops}
    assert operations >= EXPECTED_OPERATIONS
    paths = schema["paths"]
    list_params = {p["name"] for p in paths["/api/v1/claims/"]["get"]["parameters"]}
    assert CLAIM_FILTERS | {"cursor", "page_size"} <= list_params
    export_params = {p["name"] for p in paths["/api/v1/export/claims"]["get"]["parameters"]}
    assert CLAIM_FILTERS | {"format", "bom", "csv", "after", "orphaned"} <= export_params
    patch = paths["/api/v1/claims/{id}/"]["patch"]
    assert {"200", "400", "401", "403", "404", "412", "413", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    stale = patch["responses"]["412"]["content"]["application/json"]["schema"]["$ref"]
    assert stale.endswith("/StaleClaim")
    for method, path in EXPECTED_OPERATIONS:
        assert "401" in paths[path][method]["responses"], (method, path)
    export = paths["/api/v1/export/claims"]["get"]["responses"]["200"]["content"]
    assert set(export) == {
        "application/json",
        "application/x-ndjson",
        "text/csv",
        "application/ld+json",
    }


def test_schema_and_docs_need_a_login(client, anon_api):
    assert anon_api.get("/api/schema/").status_code == 401
    for page in ("/api/docs/", "/api/redoc/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={page}"


def test_api_docs_public_opens_them(client, anon_api, settings):
    settings.API_DOCS_PUBLIC = True
    assert anon_api.get("/api/schema/?format=json").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


EXTERNAL_REFERENCE = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//"""
)


def referenced_files(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_nothing_from_the_internet(client, analyst, page):
    """Every script, stylesheet and icon the page names is ours, and so is what they name."""
    client.force_login(analyst)
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL_REFERENCE.search(html), html
    assert "<script>" not in html  # no inline script: the strict script-src holds
    files = referenced_files(html)
    assert any(f.endswith(".js") for f in files)
    for ref in files:
        assert ref.startswith("/"), ref
        if ref.startswith("/static/"):  # the tests run without collectstatic: read the file
            found = finders.find(ref.removeprefix("/static/"))
            assert found, ref
            body = Path(found).read_bytes()
        else:
            served = client.get(ref)
            assert served.status_code == 200, ref
            body = served.content
        if ref.endswith(".css") or "sidecar" not in ref:  # our own files and the stylesheets
            assert not EXTERNAL_REFERENCE.search(body.decode()), ref
        # No bundle names a script, image or font address on the internet (Redoc's logo was).
        assert not re.search(rb'src:\s*"https?://', body), ref
        assert b"fonts.googleapis.com" not in body and b"cdn.redoc.ly" not in body, ref
    policy = response["Content-Security-Policy"]
    assert "http" not in policy and "*" not in policy
    assert "script-src 'self'" in policy and "font-src 'self'" in policy


def test_redoc_page_names_no_web_fonts(client, analyst):
    client.force_login(analyst)
    html = client.get("/api/redoc/").content.decode()
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    assert "system-ui" in html  # Redoc is told to use the system's fonts


def test_sidecar_assets_are_installed():
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
