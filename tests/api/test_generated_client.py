"""A client generated from the OpenAPI schema (openapi-python-client) works against a live
server, for the main endpoints and for every export format: the schema's media types are the
ones the responses carry, so the generated code reads each body as what it is."""

import csv
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from annotations import services
from annotations.exports.registry import FORMATS
from annotations.services import token_issue

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "wb_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package, generated into a temporary directory and imported."""
    root = tmp_path_factory.mktemp("client")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (root / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            "schema.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.v1.{name}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture
def client(generated, live_server, reviewer):
    return generated.AuthenticatedClient(
        base_url=live_server.url, token=token_issue(user=reviewer, rotate=True), prefix="Token"
    )


@pytest.fixture
def desk(ru_article, make_claim, analyst, reviewer):
    claim = make_claim(ru_article, "Венесуэла просит Россию", verdict="disputed", rationale="-нет")
    services.evidence_add(claim=claim, actor=analyst, url="https://example.org/a", title="Док")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    return claim


def test_the_endpoints_through_the_generated_client(client, desk, reviewer):
    me = api("v1_me_retrieve").sync(client=client)
    assert me.username == reviewer.username
    articles = api("v1_articles_list").sync(client=client)
    assert desk.article_id in [a.id for a in articles.results]
    claims = api("v1_claims_list").sync(client=client)
    assert [c.id for c in claims.results] == [desk.pk]
    claim = api("v1_claims_retrieve").sync(desk.pk, client=client)
    assert claim.quote == desk.quote
    evidence = api("v1_evidence_list").sync(client=client)
    assert [e.url for e in evidence.results] == ["https://example.org/a"]
    history = api("v1_claims_history_list").sync(desk.pk, client=client)
    assert history
    links = api("v1_source_links_list").sync(client=client)
    assert [link.url for link in links.results] == ["https://example.org/a"]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_export_format_through_the_generated_client(client, desk, name):
    export = api("v1_export_claims_retrieve")
    fmt = models().V1ExportClaimsRetrieveFormat(name)
    response = export.sync_detailed(client=client, format_=fmt)
    assert response.status_code == 200
    assert response.headers["content-type"] == FORMATS[name].content_type
    body = response.parsed
    assert isinstance(body, str)
    if name in ("json", "claimreview"):
        assert len(json.loads(body)) == 1
    elif name == "jsonl":
        assert [json.loads(line)["id"] for line in body.splitlines()] == [desk.pk]
    elif name == "history":
        assert {json.loads(line)["claim"] for line in body.splitlines()} == {desk.pk}
    elif name == "csv":
        rows = list(csv.DictReader(io.StringIO(body)))
        assert rows[0]["rationale"] == "-нет"  # the raw mode: lossless
    elif name == "w3c":
        assert json.loads(body)["total"] == 1
    else:
        pytest.fail(f"{name}: a new format needs a check here")
