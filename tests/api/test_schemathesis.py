"""Property-based run of the OpenAPI schema against the live app (schemathesis).

Every operation is called over real HTTP, as a reviewer, with data generated from
the schema; no response may be a 500 or break the schema (status code, content
type, body, headers). Bounded: a fixed number of examples per operation and
derandomized, so that CI runs the same cases each time in well under a minute.
"""

import base64
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from annotations import services
from annotations.models import ArticleFetch, ClaimGroup, ExportJob, Notification
from tests.api.conftest import client_for
from tests.conftest import span_of

# A longer or randomized hunt: API_FUZZ_EXAMPLES=500 API_FUZZ_RANDOM=1 pytest tests/api/...
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "40"))
DERANDOMIZE = os.environ.get("API_FUZZ_RANDOM") != "1"
# "Schema-valid data must be accepted" cannot hold here: the schema cannot express the rules
# that span fields or rows (the quote must be the article's text at those offsets, the
# version must be the current one, a cursor must come from a previous page, an id must
# exist), and refusing those with 400/412/428 is the point. Every other check runs.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture
def seeded_desk(ru_article, uk_article, analyst, reviewer):
    start, end = span_of(ru_article, "Венесуэла")
    claim = services.claim_create(
        article=ru_article,
        author=analyst,
        quote="Венесуэла",
        start=start,
        end=end,
        verdict="verified",
    )
    services.evidence_add(claim=claim, actor=analyst, url="https://example.org/doc")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    return claim


def run_operation(operation, mode, base_url, headers, failures):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=DERANDOMIZE,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=EXCLUDED_CHECKS)

    try:
        check()
    except Unsatisfiable:
        pass  # nothing to make invalid (e.g. GET /me/ has no parameters in negative mode)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # schemathesis raises exception groups; collect them all
        failures.append(f"{mode} {operation.method.upper()} {operation.path}: {exc!r}")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_schema(live_server, seeded_desk, reviewer, mode):
    headers = {"Authorization": client_for(reviewer)._credentials["HTTP_AUTHORIZATION"]}
    raw = requests.get(f"{live_server.url}/api/schema/?format=json", headers=headers, timeout=10)
    raw.raise_for_status()
    schema = schemathesis.openapi.from_dict(raw.json())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    for operation in operations:
        run_operation(operation, mode, live_server.url, headers, failures)
    assert not failures, "\n\n".join(failures)


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# The hostile inputs the generated runs are unlikely to find: each must be a documented 4xx.
HOSTILE_CURSORS = [
    _cursor('{"o": "id", "p": ["\\u0000"]}'),
    _cursor('{"o": "verdict", "p": ["\\ud800", 1]}'),
    _cursor('{"o": "created_at", "p": ["0001-01-01T00:00:00+23:59", 1]}'),
    _cursor('{"o": "id", "p": ' + "[" * 3000 + "]" * 3000 + "}"),
    _cursor('{"o": "id", "p": [99999999999999999999999]}'),
]


def test_hostile_inputs_conform_to_schema(live_server, seeded_desk, reviewer):
    """NUL in every query parameter, hostile cursors, a body nested past the limit: each
    answer is one the schema documents (and never a 500), checked by schemathesis."""
    headers = {"Authorization": client_for(reviewer)._credentials["HTTP_AUTHORIZATION"]}
    raw = requests.get(f"{live_server.url}/api/schema/?format=json", headers=headers, timeout=10)
    schema = schemathesis.openapi.from_dict(raw.json())
    evidence = seeded_desk.evidence.get()
    notice = services.notify(
        Notification.Kind.MENTIONED, recipients=[reviewer], actor=None, claim=seeded_desk
    )[0]
    job = ExportJob.objects.create(
        requested_by=reviewer, format="csv", api_root=live_server.url, address=live_server.url
    )
    fetch = ArticleFetch.objects.create(requested_by=reviewer, url="https://news.example.org/")
    ids = {  # each path's {id} names a row that exists (the ids differ on PostgreSQL)
        "/api/v1/article-fetches/": fetch.pk,
        "/api/v1/claim-groups/": ClaimGroup.objects.create(created_by=reviewer).pk,
        "/api/v1/export/jobs/": job.pk,
        "/api/v1/notifications/": notice.pk,
        "/api/v1/articles/": seeded_desk.article_id,
        "/api/v1/claims/": seeded_desk.pk,
        "/api/v1/evidence/": evidence.pk,
        "/api/v1/source-links/": evidence.source_link_id,
    }
    cases = []
    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = {}
        if "{id}" in operation.path:
            prefix = next(p for p in ids if operation.path.startswith(p))
            path_parameters["id"] = ids[prefix]
        query_names = [p.name for p in operation.query]
        for name in query_names:
            cases.append(operation.Case(path_parameters=path_parameters, query={name: "a\x00b"}))
        if "cursor" in query_names:
            for value in HOSTILE_CURSORS:
                cases.append(
                    operation.Case(path_parameters=path_parameters, query={"cursor": value})
                )
        if operation.method.upper() in {"POST", "PATCH"} and operation.body:
            cases.append(
                operation.Case(
                    path_parameters=path_parameters,
                    body={"rationale": _nested(200)},
                    media_type="application/json",
                )
            )
    assert len(cases) > 50
    failures = []
    for case in cases:
        try:
            response = case.call_and_validate(
                base_url=live_server.url, headers=headers, excluded_checks=EXCLUDED_CHECKS
            )
        except BaseException as exc:
            failures.append(f"{case.method} {case.path} {case.query}: {exc!r}")
            continue
        if response.status_code != 400:
            failures.append(f"{case.method} {case.path} {case.query}: {response.status_code}")
    assert not failures, "\n".join(failures)
