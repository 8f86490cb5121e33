"""Tokens for scripts, the OpenAPI schema and its docs page."""

import io
import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def issue(*args: str) -> str:
    out = io.StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def test_issue_token_command(analyst, seeds):
    key = issue("olena")
    assert key == Token.objects.get(user=analyst).key
    assert issue("olena") == key  # idempotent
    rotated = issue("olena", "--rotate")
    assert rotated != key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated}")
    assert client.get("/api/v1/me/").json()["username"] == "olena"
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 401


def test_issue_token_unknown_or_inactive(analyst, db):
    with pytest.raises(CommandError, match="No user"):
        issue("nobody")
    analyst.is_active = False
    analyst.save()
    with pytest.raises(CommandError, match="not active"):
        issue("olena")


def test_tokens_in_admin(admin_client):
    response = admin_client.get("/admin/authtoken/tokenproxy/")
    assert response.status_code == 200


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
    assert CLAIM_FILTERS | {"format", "bom", "page"} <= export_params
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
    assert any("/static/drf_spectacular_sidecar/" in f for f in files)
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
