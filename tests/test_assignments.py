"""Assigning articles to analysts: who may, idempotence, the API, the admin, the article list."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import ArticleAssignment, Verdict
from tests import support


def assigned(article) -> list[str]:
    return sorted(
        ArticleAssignment.objects.filter(article=article).values_list(
            "analyst__username", flat=True
        )
    )


def test_a_reviewer_assigns_and_assigning_again_changes_nothing(ru_article, analyst, reviewer):
    made = services.article_assign(article=ru_article, analysts=[analyst], reviewer=reviewer)
    assert [a.analyst for a in made] == [analyst]
    first = ArticleAssignment.objects.get(article=ru_article)
    assert first.assigned_by == reviewer
    again = services.article_assign(
        article=ru_article, analysts=[analyst, analyst], reviewer=reviewer
    )
    assert again == []
    assert ArticleAssignment.objects.get(article=ru_article).assigned_at == first.assigned_at


def test_reviewers_can_be_assignees_too(ru_article, reviewer):
    services.article_assign(article=ru_article, analysts=[reviewer], reviewer=reviewer)
    assert assigned(ru_article) == [reviewer.username]


def test_analysts_cannot_assign(ru_article, analyst, other_analyst):
    with pytest.raises(PermissionDenied, match=services.MSG_NO_RIGHT_ASSIGN):
        services.article_assign(article=ru_article, analysts=[other_analyst], reviewer=analyst)
    with pytest.raises(PermissionDenied):
        services.article_unassign(article=ru_article, analysts=[other_analyst], reviewer=analyst)
    assert assigned(ru_article) == []


def test_nobody_without_a_desk_role_gets_an_article(ru_article, analyst, outsider, reviewer):
    with pytest.raises(ValidationError) as caught:
        services.article_assign(article=ru_article, analysts=[analyst, outsider], reviewer=reviewer)
    assert caught.value.error_dict["analysts"][0].code == services.ErrorCode.ASSIGNEE_NO_ROLE
    assert assigned(ru_article) == []  # all or nothing


def test_unassigning_is_idempotent_and_keeps_the_assessments(
    ru_article, analyst, other_analyst, reviewer, make_claim
):
    claim = make_claim(ru_article, "Венесуэла", verdict=Verdict.VERIFIED)
    services.article_assign(
        article=ru_article, analysts=[analyst, other_analyst], reviewer=reviewer
    )
    assert services.article_unassign(article=ru_article, analysts=[analyst], reviewer=reviewer) == 1
    assert services.article_unassign(article=ru_article, analysts=[analyst], reviewer=reviewer) == 0
    assert assigned(ru_article) == [other_analyst.username]
    assert claim.assessments.filter(analyst=analyst).exists()


# --- API


def test_the_api_assigns_lists_and_unassigns(client, ru_article, analyst, reviewer):
    client.force_login(reviewer)
    url = f"/api/v1/articles/{ru_article.pk}/assignments/"
    body = {"analysts": [analyst.username]}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200
    [row] = response.json()
    assert (row["analyst"], row["assigned_by"]) == (analyst.username, reviewer.username)
    assert client.get(url).json() == [row]
    assert client.post(url, body, content_type="application/json").json() == [row]
    assert client.delete(url, body, content_type="application/json").json() == []
    assert assigned(ru_article) == []


def test_the_api_refuses_analysts_and_unknown_names(client, ru_article, analyst, reviewer):
    url = f"/api/v1/articles/{ru_article.pk}/assignments/"
    client.force_login(analyst)
    body = {"analysts": [analyst.username]}
    assert client.post(url, body, content_type="application/json").status_code == 403
    assert client.delete(url, body, content_type="application/json").status_code == 403
    assert client.get(url).status_code == 200
    client.force_login(reviewer)
    response = client.post(url, {"analysts": ["nobody"]}, content_type="application/json")
    assert response.status_code == 400
    assert "nobody" in response.content.decode()
    assert client.post(url, {"analysts": []}, content_type="application/json").status_code == 400
    assert client.post(url, {"who": 1}, content_type="application/json").status_code == 400
    assert assigned(ru_article) == []


def test_the_article_api_says_what_is_mine_and_how_far_i_am(
    client, ru_article, uk_article, analyst, reviewer, make_claim
):
    make_claim(ru_article, "Венесуэла", verdict=Verdict.VERIFIED)
    services.article_assign(article=ru_article, analysts=[analyst], reviewer=reviewer)
    client.force_login(analyst)
    rows = {a["id"]: a for a in client.get("/api/v1/articles/").json()["results"]}
    assert rows[ru_article.pk]["assigned_to_me"] is True
    assert rows[ru_article.pk]["my_progress"] == {"assessed": 1, "claims": 1}
    assert rows[uk_article.pk]["assigned_to_me"] is False
    detail = client.get(f"/api/v1/articles/{ru_article.pk}/").json()
    assert detail["my_progress"] == {"assessed": 1, "claims": 1}


# --- The admin


def test_the_admin_action_asks_whom_then_assigns(client, ru_article, uk_article, analyst, reviewer):
    client.force_login(reviewer)
    url = reverse("admin:annotations_article_changelist")
    ids = [str(ru_article.pk), str(uk_article.pk)]
    ask = client.post(url, {"action": "assign", "_selected_action": ids})
    assert ask.status_code == 200
    assert "Assign 2 articles to" in ask.content.decode()
    assert assigned(ru_article) == []
    done = client.post(
        url, {"action": "assign", "_selected_action": ids, "apply": "1", "analysts": [analyst.pk]}
    )
    assert done.status_code == 302
    assert assigned(ru_article) == assigned(uk_article) == [analyst.username]
    page = client.get(reverse("admin:annotations_article_change", args=[ru_article.pk]))
    assert f'data-assignee="{analyst.username}"' in page.content.decode()


def test_the_admin_action_is_offered_to_reviewers_only(client, ru_article, analyst):
    analyst.is_staff = True
    analyst.save(update_fields=["is_staff"])
    client.force_login(analyst)
    page = client.get(reverse("admin:annotations_article_changelist")).content.decode()
    assert "Assign to analysts" not in page


# --- The analyst's article list


@pytest.fixture
def blind_uk(uk_article):
    uk_article.blind_review = True
    uk_article.save(update_fields=["blind_review"])
    return uk_article


def test_my_assignments_come_first_with_my_progress(
    client, ru_article, blind_uk, analyst, other_analyst, reviewer, make_claim
):
    # On the blind article the other analyst's highlight is not the analyst's to see.
    for n, who in ((0, other_analyst), (1, analyst), (2, analyst)):
        services.claim_create(
            article=blind_uk, start=20 * n, end=20 * n + 5, author=who, verdict=Verdict.PENDING
        )
    services.claim_create(
        article=blind_uk, start=100, end=105, author=analyst, verdict=Verdict.DISPUTED
    )
    services.article_assign(article=blind_uk, analysts=[analyst], reviewer=reviewer)
    make_claim(ru_article, "Венесуэла")
    client.force_login(analyst)
    response = client.get(reverse("article-list"))
    rows = response.context["rows"]
    assert rows[0]["article"].pk == blind_uk.pk
    assert rows[0]["progress"] == {"assessed": 1, "claims": 3}
    assert [r["assigned_to_me"] for r in rows] == [True] + [False] * (len(rows) - 1)
    assert "1 of 3" in response.content.decode()


def test_the_article_list_runs_a_fixed_number_of_queries(client, seeds, analyst, reviewer):
    client.force_login(analyst)
    client.get(reverse("article-list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("article-list"))
    for article in seeds.values():
        services.article_assign(article=article, analysts=[analyst], reviewer=reviewer)
    support.cast_user("other_analyst")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("article-list"))
    assert len(large.captured_queries) == len(small.captured_queries)
