"""The review desk's agreement page: the API's figures as tables, for reviewers only."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from tests import agreement_cases, support
from tests.agreement_cases import bulk_double_checked, many_articles

double_checked = agreement_cases.double_checked  # the fixture, shared
pytestmark = pytest.mark.django_db
URL = "/admin/agreement/"


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def cells(html: str, table_id: str) -> list[str]:
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert table, f"no table {table_id}"
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
        for c in re.findall(r"<td>(.*?)</td>", table.group(1), re.S)
    ]


def test_a_reviewer_sees_the_figures(reviewer_client, double_checked):
    response = reviewer_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    # Items, observed agreement, alpha = 12/22, Fleiss = 5/11 with two analysts per claim.
    assert cells(html, "agreement-desk") == ["3", "0.667", "0.545", "0.455 (2 per claim)"]
    pairs = cells(html, "agreement-pairs")
    assert pairs[:4] == ["olena / pavlo", "3", "0.667", "0.500"]
    articles = cells(html, "agreement-articles")
    assert articles[1:3] == ["3", "0.667"]
    assert "0.727 / 0.909" in articles[4]  # highlight F1: 8/11 exact, 10/11 overlapping


def test_the_claim_filters_narrow_it_and_a_bad_one_is_shown(reviewer_client, double_checked):
    one = reviewer_client.get(URL, {"article": double_checked.pk}).content.decode()
    assert double_checked.title in one
    assert 'id="agreement-article-pairs"' in one

    response = reviewer_client.get(URL, {"signed_off": "maybe"})
    assert response.status_code == 200
    assert 'id="agreement-errors"' in response.content.decode()


def test_undefined_figures_show_a_dash(reviewer_client, ru_article, make_claim):
    make_claim(ru_article, "Венесуэла просит Россию", verdict="verified")

    html = reviewer_client.get(URL).content.decode()

    assert cells(html, "agreement-desk")[:3] == ["0", "–", "–"]


def test_analysts_are_refused(client, analyst, double_checked):
    client.force_login(analyst)
    assert client.get(URL).status_code == 302  # not staff: the admin's login page
    client.force_login(support.make_user("anna", services.ANALYST, is_staff=True))
    response = client.get(URL)
    assert response.status_code == 403
    assert "olena / pavlo" not in response.content.decode()


def test_linked_from_the_index_and_the_claim_list(reviewer_client, client, analyst):
    for page in (reverse("admin:index"), reverse("admin:annotations_claim_changelist")):
        assert f'href="{URL}"' in reviewer_client.get(page).content.decode()
    staff_analyst = support.make_user("anna", services.ANALYST, is_staff=True)
    client.force_login(staff_analyst)
    assert f'href="{URL}"' not in client.get(reverse("admin:index")).content.decode()


def test_the_same_number_of_queries_at_two_sizes(
    reviewer_client, ru_article, uk_article, analyst, other_analyst
):
    counts = []
    for article, n in ((ru_article, 4), (uk_article, 70)):
        bulk_double_checked(article, n, analyst, other_analyst)
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(URL).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_articles_table_comes_a_page_at_a_time(
    reviewer_client, ru_article, analyst, other_analyst
):
    from annotations.selectors_agreement import ARTICLES_PER_PAGE

    made = many_articles(ru_article, ARTICLES_PER_PAGE + 1, analyst, other_analyst)

    first = reviewer_client.get(URL, {"verdict": "pending"}).content.decode()
    second = reviewer_client.get(URL, {"verdict": "pending", "page": 2}).content.decode()
    unreadable = reviewer_client.get(URL, {"page": "x"})

    assert len(cells(first, "agreement-articles")) == 5 * ARTICLES_PER_PAGE
    assert "page 1 of 2" in first and 'href="?verdict=pending&amp;page=2"' in first
    # The least disagreeing article (none) comes last, alone on the second page.
    assert cells(second, "agreement-articles")[0] == made[0].title
    assert 'href="?verdict=pending&amp;page=1"' in second
    assert unreadable.status_code == 200 and "page 1 of 2" in unreadable.content.decode()
    past = reviewer_client.get(URL, {"page": 9}).content.decode()
    assert "No such page" in past and "No articles on this page." in past
