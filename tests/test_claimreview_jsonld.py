"""The ClaimReview JSON-LD, expanded by a JSON-LD processor (pyld) with no network.

The schema.org context is served locally: every term of the schema.org vocabulary (as
rdflib ships it) mapped to its IRI, and no ``@vocab``, so a property or type that is not
schema.org's is dropped by expansion, and the tests see it go.
"""

import json
import re

import pytest
from pyld import jsonld
from rdflib import namespace as rdf_namespaces

from annotations.exports.claimreview import CLAIM_REVIEWED_MAX, short_claim
from tests.api.conftest import client_for
from tests.public_support import PUBLISHED_QUOTE, SOURCE_URL, WAYBACK, build_public_desk

SCHEMA = str(rdf_namespaces.SDO)  # https://schema.org/
LOCAL_CONTEXT = {
    "@context": {
        **{term: {"@id": SCHEMA + term} for term in rdf_namespaces.SDO.__annotations__},
        "url": {"@id": SCHEMA + "url", "@type": "@id"},
    }
}
CONTEXT_URLS = {"https://schema.org", "https://schema.org/", "http://schema.org/"}


def local_loader(url: str, options: dict | None = None) -> dict:
    if url not in CONTEXT_URLS:
        raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": LOCAL_CONTEXT}


def expand(document: dict) -> list:
    return jsonld.expand(document, {"documentLoader": local_loader})


def terms_of(value: object) -> tuple[set[str], set[str]]:
    """The properties and the types a compact document uses."""
    props: set[str] = set()
    types: set[str] = set()
    if isinstance(value, list):
        for item in value:
            p, t = terms_of(item)
            props |= p
            types |= t
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@type":
                types.add(item)
            elif not key.startswith("@"):
                props.add(key)
                p, t = terms_of(item)
                props |= p
                types |= t
    return props, types


def expanded_terms(value: object) -> tuple[set[str], set[str]]:
    props: set[str] = set()
    types: set[str] = set()
    if isinstance(value, list):
        for item in value:
            p, t = expanded_terms(item)
            props |= p
            types |= t
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@type":
                types |= set(item)
            elif not key.startswith("@"):
                props.add(key)
                p, t = expanded_terms(item)
                props |= p
                types |= t
    return props, types


def assert_expands_cleanly(document: dict) -> list:
    expanded = expand(document)
    assert len(expanded) == 1
    props, types = terms_of(document)
    got_props, got_types = expanded_terms(expanded)
    assert got_props == {SCHEMA + p for p in props}, "a property was dropped"
    assert got_types == {SCHEMA + t for t in types}, "a type was dropped"
    return expanded


@pytest.fixture
def desk(ru_article, uk_article, analyst, reviewer, settings):
    settings.DESK_URL = "https://factcheck.example.org/"
    return build_public_desk(ru_article, uk_article, analyst, reviewer)


def page_json_ld(client, path: str) -> dict:
    html = client.get(path).content.decode()
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def check_required(review: dict) -> None:
    """What Google's ClaimReview guidance requires, and what the issue asks for."""
    assert review["@type"] == "ClaimReview"
    for name in ("claimReviewed", "reviewRating", "url", "author", "itemReviewed"):
        assert review[name], name
    rating = review["reviewRating"]
    assert {"alternateName", "name", "ratingValue", "bestRating", "worstRating"} <= set(rating)
    item = review["itemReviewed"]
    assert item["author"] == {
        "@type": "Organization",
        "name": "The Washington Post",
        "url": "https://www.washingtonpost.com/",
    }
    assert item["firstAppearance"]["url"] == SOURCE_URL
    assert item["text"] == PUBLISHED_QUOTE
    assert len(review["claimReviewed"]) <= CLAIM_REVIEWED_MAX
    assert review["citation"][0]["archivedAt"][0]["url"] == WAYBACK


def test_the_public_page_json_ld_expands_cleanly(desk, client):
    from annotations import selectors_public

    path = selectors_public.public_path(desk.published)
    review = page_json_ld(client, path)
    check_required(review)
    assert review["url"] == "https://factcheck.example.org" + path
    expanded = assert_expands_cleanly(review)[0]
    assert expanded["@type"] == [SCHEMA + "ClaimReview"]
    assert expanded[SCHEMA + "url"] == [{"@id": review["url"]}]
    assert "inLanguage" not in review  # the rationale's language is not known
    assert review["itemReviewed"]["inLanguage"] == "ru"


def test_the_api_export_expands_cleanly(desk, reviewer):
    response = client_for(reviewer).get("/api/v1/export/claims?format=claimreview")
    reviews = json.loads(b"".join(response.streaming_content))
    # Every signed-off claim with a final verdict, published or not (never, taken down, edited).
    assert len(reviews) == 4
    by_quote = {r["itemReviewed"]["text"]: r for r in reviews}
    check_required(by_quote[PUBLISHED_QUOTE])
    for review in reviews:
        assert_expands_cleanly(review)
    unpublished = [r for r in reviews if r is not by_quote[PUBLISHED_QUOTE]]
    assert all("url" not in r and r["identifier"].startswith("http") for r in unpublished)


def test_a_term_outside_schema_org_is_caught():
    """The check can fail: a misspelt property is dropped by expansion."""
    bad = {"@context": "https://schema.org", "@type": "ClaimReview", "claimReviewd": "x"}
    with pytest.raises(AssertionError, match="dropped"):
        assert_expands_cleanly(bad)


def test_the_loader_never_goes_to_the_network():
    with pytest.raises(jsonld.JsonLdError):
        expand({"@context": "https://example.org/context.jsonld", "name": "x"})


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("Коротко", "Коротко"),
        ("  Много   пробелов\nи строк ", "Много пробелов и строк"),
        (
            "Венесуэльский лидер Николас Мадуро попросил у российского диктатора Владимира "
            "Путина военную помощь",
            "Венесуэльский лидер Николас Мадуро попросил у российского диктатора…",
        ),
        ("Ж" * 100, "Ж" * (CLAIM_REVIEWED_MAX - 1) + "…"),
    ],
)
def test_claim_reviewed_is_cut_at_a_word_boundary(quote, expected):
    short = short_claim(quote)
    assert short == expected
    assert len(short) <= CLAIM_REVIEWED_MAX
