"""Hostile cursors, bodies and query strings get a 400 through the API, never a 500."""

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.api.pagination import BadCursor, decode_cursor
from annotations.models import Claim
from annotations.selectors import CLAIM_ORDERINGS
from tests.conftest import span_of


def cursor(payload: object) -> str:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


HOSTILE_CURSORS = {
    "nul in text": ("verdict", {"o": "verdict", "p": ["pend\x00ing", 1]}),
    "escaped nul in text": ("verdict", '{"o": "verdict", "p": ["a\\u0000b", 1]}'),
    "lone surrogate": ("verdict", '{"o": "verdict", "p": ["\\ud800", 1]}'),
    "raw surrogate bytes": ("verdict", '{"o": "verdict", "p": ["\ud800", 1]}'),
    "offset past a day": ("created_at", {"o": "created_at", "p": ["2026-01-01T00:00:00+99:00", 1]}),
    "offset out of years": (
        "created_at",
        {"o": "created_at", "p": ["0001-01-01T00:30:00+23:59", 1]},
    ),
    "naive time": ("created_at", {"o": "created_at", "p": ["2026-01-01T00:00:00", 1]}),
    "time as number": ("created_at", {"o": "created_at", "p": [1700000000, 1]}),
    "id past bigint": ("id", {"o": "id", "p": [2**63]}),
    "id below bigint": ("id", {"o": "id", "p": [-(2**63) - 1]}),
    "id as float": ("id", {"o": "id", "p": [1.5]}),
    "id as bool": ("id", {"o": "id", "p": [True]}),
    "id as text": ("id", {"o": "id", "p": ["1"]}),
    "nested brackets": ("id", '{"o": "id", "p": ' + "[" * 5000 + "]" * 5000 + "}"),
    "deep nest in value": ("id", {"o": "id", "p": [[[[1]]]]}),
    "array at top": ("id", [1, 2]),
    "unknown key": ("id", {"o": "id", "p": [1], "x": 1}),
    "reverse not bool": ("id", {"o": "id", "p": [1], "r": "yes"}),
    "too long text": ("verdict", {"o": "verdict", "p": ["v" * 5000, 1]}),
    "wrong count": ("id", {"o": "id", "p": [1, 2]}),
    "not utf-8": ("id", "\udcff"),
}


@pytest.mark.parametrize("case", list(HOSTILE_CURSORS), ids=list(HOSTILE_CURSORS))
def test_hostile_cursor_is_400(analyst_api, seeds, case):
    ordering, payload = HOSTILE_CURSORS[case]
    response = analyst_api.get("/api/v1/claims/", {"ordering": ordering, "cursor": cursor(payload)})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()


@pytest.mark.parametrize(
    "raw",
    ["a" * 5000, "not base64!", "%00", "ab\x00cd", "ey" + "é" * 3],
    ids=["oversized", "alphabet", "percent", "nul", "non-ascii"],
)
def test_cursor_outside_the_alphabet_is_400(analyst_api, seeds, raw):
    response = analyst_api.get("/api/v1/claims/", {"cursor": raw})
    assert response.status_code == 400, response.content


def test_a_cursor_we_made_still_works(analyst_api, ru_article, make_claim):
    for quote in ("Венесуэла", "США"):
        make_claim(ru_article, quote)
    for ordering in CLAIM_ORDERINGS:
        first = analyst_api.get("/api/v1/claims/", {"ordering": ordering, "page_size": 1})
        assert first.status_code == 200
        second = analyst_api.get(first.json()["next"])
        assert second.status_code == 200, (ordering, second.content)
        assert len(second.json()["results"]) == 1


_json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    ordering=st.sampled_from(sorted(CLAIM_ORDERINGS)),
    payload=st.one_of(
        st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
        st.text(max_size=300),
        st.builds(
            lambda o, p, r: cursor({"o": o, "p": p, "r": r}),
            st.sampled_from(sorted(CLAIM_ORDERINGS)) | st.text(max_size=10),
            st.lists(_json_values, max_size=4),
            _json_values,
        ),
        _json_values.map(lambda value: cursor(json.dumps(value))),
    ),
)
def test_cursor_decoder_fuzz(ordering, payload):
    """Whatever the text, the decoder returns values the database can take, or BadCursor."""
    keyset = CLAIM_ORDERINGS[ordering]
    try:
        _reverse, values = decode_cursor(payload, ordering, keyset)
    except BadCursor:
        return
    assert len(values) == len(keyset)
    for field, value in zip(keyset, values, strict=True):
        if field.kind is int:
            assert type(value) is int and -(2**63) <= value < 2**63
        elif isinstance(value, str):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogate
        else:
            assert value.tzinfo is not None and value.utcoffset() is not None


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(payload=st.text(max_size=80).map(lambda t: cursor({"o": "verdict", "p": [t, 1]})))
def test_cursor_text_fuzz_through_the_api(analyst, payload):
    """Any text in a cursor's text field is a page or a 400, on the real database."""
    from tests.api.conftest import client_for

    response = client_for(analyst).get(
        "/api/v1/claims/", {"ordering": "verdict", "cursor": payload}
    )
    assert response.status_code in (200, 400), response.content


# --- bodies


@pytest.fixture
def payload(ru_article):
    start, end = span_of(ru_article, "Венесуэла")
    return {"article": ru_article.pk, "start": start, "end": end, "quote": "Венесуэла"}


@pytest.mark.parametrize("depth", [33, 1000, 50_000])
def test_deeply_nested_body_is_400(analyst_api, payload, depth):
    rationale = "[" * depth + "]" * depth
    body = json.dumps(payload)[:-1] + ', "rationale": ' + rationale + "}"
    response = analyst_api.post("/api/v1/claims/", body.encode(), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert "nested deeper than the limit of 32" in response.json()["detail"]
    assert not Claim.objects.exists()


def test_nesting_within_the_limit_reaches_the_fields(analyst_api, payload, settings):
    settings.API_MAX_JSON_DEPTH = 3
    body = {**payload, "rationale": [["deep"]]}
    response = analyst_api.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400
    assert "rationale" in response.json()  # a field error: the parser let it through
    body["rationale"] = [[["deeper"]]]
    response = analyst_api.post("/api/v1/claims/", body, format="json")
    assert "nested deeper" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count(analyst_api, payload):
    body = {**payload, "rationale": "[" * 5000}
    response = analyst_api.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content


# --- query strings and server errors


@pytest.mark.parametrize("query", ["search=a%00b", "verdict=%00", "a%00=1", "cursor=%00"])
def test_nul_in_api_query_string_is_json_400(analyst_api, seeds, query):
    response = analyst_api.get(f"/api/v1/claims/?{query}")
    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]


def test_api_500_is_json(analyst_api, seeds, monkeypatch):
    from annotations.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.MeView, "get", broken)
    analyst_api.raise_request_exception = False
    response = analyst_api.get("/api/v1/me/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "failed to answer" in response.json()["detail"]


def test_web_500_stays_html(broken_article_list):
    response = broken_article_list.get("/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
