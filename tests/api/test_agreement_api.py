"""``GET /api/v1/agreement/``: who may read it, what it says, the claim filters, its schema."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from tests import agreement_cases
from tests.agreement_cases import bulk_double_checked, many_articles

URL = "/api/v1/agreement/"
double_checked = agreement_cases.double_checked  # the fixture, shared
pytestmark = pytest.mark.django_db


def test_a_reviewer_reads_the_figures(reviewer_api, double_checked, analyst, other_analyst):
    response = reviewer_api.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["categories"] == ["verified", "disputed", "unsourced"]
    assert body["items"] == 3
    assert body["krippendorff_alpha"] == pytest.approx(12 / 22)
    assert (body["fleiss_kappa"], body["raters_per_item"]) == (pytest.approx(5 / 11), 2)
    assert body["analysts"] == [
        {"id": analyst.pk, "name": "olena"},
        {"id": other_analyst.pk, "name": "pavlo"},
    ]
    (article,) = body["articles"]
    assert article["article"] == double_checked.pk
    assert article["pairs"][0] == {
        "first": analyst.pk,
        "second": other_analyst.pk,
        "items": 3,
        "observed_agreement": pytest.approx(2 / 3),
        "cohens_kappa": pytest.approx(0.5),
        "confusion": [[1, 0, 0], [1, 0, 0], [0, 0, 1]],
    }
    assert article["highlights"][0]["exact_f1"] == pytest.approx(8 / 11)
    assert article["highlights"][0]["overlap_f1"] == pytest.approx(10 / 11)


def test_undefined_figures_are_null(reviewer_api, ru_article, make_claim):
    make_claim(ru_article, "Венесуэла просит Россию", verdict="verified")

    response = reviewer_api.get(URL)

    assert response.status_code == 200
    body = json.loads(response.content)  # strict JSON: NaN would not parse as null
    assert (body["krippendorff_alpha"], body["fleiss_kappa"], body["observed_agreement"]) == (
        None,
        None,
        None,
    )
    assert b"NaN" not in response.content


@pytest.mark.parametrize(
    ("who", "status"), [("analyst_api", 403), ("outsider_api", 403), ("anon_api", 401)]
)
def test_only_reviewers_may_read_it(request, who, status, double_checked):
    response = request.getfixturevalue(who).get(URL)

    assert response.status_code == status
    assert "assessments" not in response.content.decode()
    if status == 403:
        assert response.json()["detail"] == services.MSG_NO_RIGHT_AGREEMENT


def test_the_claim_filters_apply(
    reviewer_api,
    double_checked,
    uk_article,
    make_claim,
    other_analyst,
):
    claim = make_claim(uk_article, "Венесуел", verdict="verified")
    services.assessment_submit(claim=claim, analyst=other_analyst, verdict="disputed")

    everything = reviewer_api.get(URL).json()
    uk_only = reviewer_api.get(URL, {"article": uk_article.pk}).json()
    verified_desk = reviewer_api.get(URL, {"article": double_checked.pk, "verdict": "verified"})

    assert (everything["items"], uk_only["items"]) == (4, 1)
    assert [a["article"] for a in uk_only["articles"]] == [uk_article.pk]
    # The desk verdict of claim 1 is verified (both agree); the others differ or are pending.
    assert verified_desk.json()["items"] == 1


@pytest.mark.parametrize("article", [-1, 0, 10**30])
def test_an_article_no_claim_can_have_is_an_empty_answer(reviewer_api, double_checked, article):
    response = reviewer_api.get(URL, {"article": article})

    assert response.status_code == 200
    assert (response.json()["items"], response.json()["articles"]) == (0, [])


@pytest.mark.parametrize("query", [{"signed_off": "maybe"}, {"article": "x"}, {"verdict": "odd"}])
def test_a_bad_filter_is_a_400_naming_it(reviewer_api, query):
    response = reviewer_api.get(URL, query)

    assert response.status_code == 400
    assert set(query) <= set(response.json())


def test_the_same_number_of_queries_at_two_sizes(
    reviewer_api, ru_article, uk_article, analyst, other_analyst
):
    counts = []
    for article, n in ((ru_article, 4), (uk_article, 80)):
        bulk_double_checked(article, n, analyst, other_analyst)
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_api.get(URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_schema_documents_it(reviewer_api):
    schema = reviewer_api.get("/api/schema/?format=json").json()

    operation = schema["paths"][URL]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"article", "verdict", "signed_off", "search", "author"} <= names
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ok.rsplit("/", 1)[1]]
    assert {"krippendorff_alpha", "fleiss_kappa", "pairs", "articles"} <= set(
        component["properties"]
    )
    assert component["properties"]["krippendorff_alpha"]["nullable"] is True
    assert {"401", "403", "400"} <= set(operation["responses"])


def test_the_answer_has_exactly_the_declared_fields(reviewer_api, double_checked):
    from annotations.api import agreement as view

    body = reviewer_api.get(URL).json()

    assert set(body) == set(view.AgreementSerializer().fields)
    assert set(body["pairs"][0]) == set(view.PairSerializer().fields)
    article = body["articles"][0]
    assert set(article) == set(view.ArticleAgreementSerializer().fields)
    assert set(article["highlights"][0]) == set(view.HighlightSerializer().fields)
    assert set(body["analysts"][0]) == set(view.AnalystSerializer().fields)


def test_the_articles_come_a_page_at_a_time_most_disagreeing_first(
    reviewer_api, ru_article, analyst, other_analyst
):
    from annotations.selectors_agreement import ARTICLES_PER_PAGE

    made = many_articles(ru_article, ARTICLES_PER_PAGE + 2, analyst, other_analyst)

    first = reviewer_api.get(URL).json()
    second = reviewer_api.get(URL, {"page": 2}).json()

    assert (first["article_count"], first["page"], first["pages"]) == (len(made), 1, 2)
    assert len(first["articles"]) == ARTICLES_PER_PAGE
    assert second["page"] == 2
    listed = [a["article"] for a in first["articles"] + second["articles"]]
    # Three disagreeing claims on every article from the fourth on, then 2, 1 and 0.
    assert listed == [a.pk for a in made[3:]] + [made[2].pk, made[1].pk, made[0].pk]
    assert first["items"] == second["items"] == 3 * len(made)  # the desk: every page alike
    assert first["pairs"] == second["pairs"]


@pytest.mark.parametrize(("page", "status"), [(0, 400), ("x", 400), (3, 404)])
def test_a_page_that_cannot_be_is_a_4xx(
    reviewer_api, ru_article, analyst, other_analyst, page, status
):
    many_articles(ru_article, 2, analyst, other_analyst)

    response = reviewer_api.get(URL, {"page": page})

    assert response.status_code == status
    assert "page" in response.json() or "page" in response.json()["detail"]


def test_the_schema_documents_the_page(reviewer_api):
    operation = reviewer_api.get("/api/schema/?format=json").json()["paths"][URL]["get"]

    (page,) = [p for p in operation["parameters"] if p["name"] == "page"]
    assert page["in"] == "query" and page["schema"]["minimum"] == 1
    assert "404" in operation["responses"]
