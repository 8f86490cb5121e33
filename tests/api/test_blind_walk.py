"""The blind rule through every endpoint and export: an analyst who has not judged a claim
on a blind article never reads another analyst's verdict or reasoning, whatever they ask.

Every GET route in the URLconf is walked (API, exports in each format, the web UI and the
admin), its ids filled with the claim, its evidence, the article and the source link, so a
route added later is walked too.
"""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from annotations import services
from annotations.exports.registry import FORMATS
from annotations.models import Comment, Evidence
from tests.api.conftest import client_for
from tests.conftest import span_of

MARKER = "ZQX-hidden-judgment-7731"
QUOTE = "Венесуэла"
SECOND = "The Washington Post"


def routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every route of the URLconf as a string, regex and path syntax as written."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            found += routes(pattern, text.replace("\\Z", ""))
        elif isinstance(pattern, URLPattern):
            found.append(text.replace("\\Z", ""))
    return found


def fill(route: str, ids: dict[str, int]) -> str | None:
    """A route with its parameters replaced by the fixture's ids; None when one cannot be."""
    if "(?:" in route or "(?P<format>" in route:
        return None

    def value(name: str) -> str:
        if name in ("pk", "object_id", "id"):
            for key in ("claim", "evidence", "source-link", "sourcelink", "article"):
                if key in route:
                    return str(ids[key.replace("sourcelink", "source-link")])
            return str(ids["claim"])
        return str(ids.get(name, ids["claim"]))

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    if re.search(r"[()\[\]*+?\\]", path):
        return None
    return "/" + path


@pytest.fixture
def hidden(ru_article, analyst, other_analyst, reviewer):
    """A blind article: olena judged two claims (one decided by the reviewer), pavlo joined
    both without judging, and a third claim of olena's he never touched."""
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])

    def claim(quote, who, **kw):
        start, end = span_of(ru_article, quote)
        return services.claim_create(
            article=ru_article, start=start, end=end, quote=quote, author=who, **kw
        )

    first = claim(QUOTE, analyst, verdict="disputed", rationale=f"{MARKER} olena's reasoning")
    evidence = services.evidence_add(
        claim=first,
        actor=analyst,
        url="https://example.org/denial",
        note=f"{MARKER} note",
        excerpt=f"{MARKER} excerpt",
        stance="refutes",
    )
    Comment.objects.create(claim=first, author=analyst, body=f"{MARKER} comment")
    # Overruled: her reasoning stays only in her assessment (and the history).
    second = claim(SECOND, analyst, verdict="verified", rationale=f"{MARKER} overruled")
    services.claim_decide(
        claim=second, reviewer=reviewer, verdict="unsourced", reason=f"{MARKER} decision"
    )
    untouched = body_quote = ru_article.body[300:320]
    claim(body_quote, analyst, verdict="verified", rationale=f"{MARKER} untouched")
    claim(QUOTE, other_analyst)  # joins the first claim, pending
    claim(SECOND, other_analyst)
    return {
        "claim": first.pk,
        "article": ru_article.pk,
        "evidence": evidence.pk,
        "source-link": evidence.source_link_id,
        "untouched": untouched,
    }


def test_no_route_shows_another_analysts_hidden_judgment(other_analyst, hidden, client):
    api = client_for(other_analyst)
    client.force_login(other_analyst)
    walked = []
    for route in routes():
        path = fill(route, hidden)
        if path is None or "logout" in path:
            continue
        for each in (api, client):
            response = each.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert MARKER not in body.decode("utf-8", "replace"), (path, response.status_code)
        walked.append(path)
    # The walk reached what matters (a route renamed here would silently skip it).
    for expected in (
        f"/api/v1/claims/{hidden['claim']}/",
        f"/api/v1/claims/{hidden['claim']}/history/",
        f"/api/v1/claims/{hidden['claim']}/assessment/",
        "/api/v1/claims/",
        "/api/v1/evidence/",
        f"/api/v1/evidence/{hidden['evidence']}/",
        f"/api/v1/articles/{hidden['article']}/",
        f"/articles/{hidden['article']}/",
        "/api/v1/export/claims",
    ):
        assert expected in walked, expected
    assert len(walked) > 20


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_export_shows_hidden_judgments(other_analyst, hidden, fmt):
    api = client_for(other_analyst)
    for query in (
        "",
        f"&article={hidden['article']}",
        "&verdict=disputed",
        "&signed_off=false",
        "&history=true",
    ):
        response = api.get(f"/api/v1/export/claims?format={fmt}{query}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert MARKER not in body.decode(), (fmt, query)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_once_he_submits_the_export_shows_the_other_assessments(other_analyst, hidden, fmt):
    """The control of the test above: json and jsonl carry every analyst's assessment, so
    only the blind rule kept them out."""
    api = client_for(other_analyst)
    put = api.put(
        f"/api/v1/claims/{hidden['claim']}/assessment/", {"verdict": "verified"}, format="json"
    )
    assert put.status_code == 200
    response = api.get(f"/api/v1/export/claims?format={fmt}")
    text = b"".join(response.streaming_content).decode()
    records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    (record,) = [r for r in records if r["id"] == hidden["claim"]]
    assert [(a["analyst"]["username"], a["rationale"]) for a in record["assessments"]] == [
        ("olena", f"{MARKER} olena's reasoning"),
        ("pavlo", ""),
    ]
    # Only that claim: the ones he has not judged stay out, with their assessments.
    assert f"{MARKER} overruled" not in text and f"{MARKER} untouched" not in text


def test_filters_do_not_answer_from_hidden_judgments(other_analyst, analyst, hidden):
    api = client_for(other_analyst)
    mine = api.get(f"/api/v1/claims/?article={hidden['article']}").json()["results"]
    assert len(mine) == 2  # the two he joined; not olena's third
    assert all(c["verdict"] is None and c["evidence"] == [] for c in mine)
    for query in ("verdict=disputed", "verdict=unsourced", "search=ZQX", "has_evidence=true"):
        assert api.get(f"/api/v1/claims/?{query}").json()["results"] == [], query
    assert Evidence.objects.count() == 1
    # Olena sees her own work, the judgments included.
    assert client_for(analyst).get("/api/v1/claims/?search=ZQX").json()["results"]


def test_once_he_submits_he_sees_them(other_analyst, hidden):
    api = client_for(other_analyst)
    put = api.put(
        f"/api/v1/claims/{hidden['claim']}/assessment/", {"verdict": "verified"}, format="json"
    )
    assert put.status_code == 200
    body = api.get(f"/api/v1/claims/{hidden['claim']}/").content.decode()
    assert MARKER in body
    history = api.get(f"/api/v1/claims/{hidden['claim']}/history/").content.decode()
    assert MARKER in history
