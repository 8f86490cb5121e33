"""``POST``/``DELETE /api/v1/claims/{id}/links/`` and the ``group`` every claim shows."""

import pytest

from annotations import services
from annotations.models import Claim, ClaimGroup, Verdict
from annotations.services.errors import MSG_NO_RIGHT_EDIT, MSG_VERDICTS_DIFFER_HIDDEN, ErrorCode
from tests.conftest import span_of

RU_QUOTE = "Николас Мадуро также обращался к Китаю и Ирану за военной помощью"
UK_QUOTE = "Венесуела зверталася по військову підтримку і до Китаю, і до Ірану"

pytestmark = pytest.mark.django_db


def body(article, quote, **extra):
    start, end = span_of(article, quote)
    return {"article": article.pk, "start": start, "end": end, **extra}


def links_url(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/links/"


def test_link_answers_the_appearance_and_both_show_the_group(
    analyst_api, ru_article, uk_article, make_claim
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    response = analyst_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json")
    assert response.status_code == 200, response.content
    uk = response.json()
    assert (uk["article"], uk["quote"], uk["verdict"]) == (uk_article.pk, UK_QUOTE, "disputed")
    group = ClaimGroup.objects.get()
    assert uk["group"]["id"] == group.pk
    assert [a["id"] for a in uk["group"]["appearances"]] == [ru.pk]
    assert uk["group"]["appearances"][0]["language"] == ru_article.language
    shown = analyst_api.get(f"/api/v1/claims/{ru.pk}/").json()
    assert shown["group"]["appearances"][0] | {"quote": None} == {
        "id": uk["id"],
        "article": uk_article.pk,
        "article_title": uk_article.title,
        "language": uk_article.language,
        "start": uk["start"],
        "end": uk["end"],
        "quote": None,
    }


def test_differing_verdicts_answer_409_until_a_reviewer_chooses(
    analyst_api, reviewer_api, ru_article, uk_article, make_claim
):
    ru = make_claim(ru_article, RU_QUOTE, verdict=Verdict.DISPUTED)
    uk = make_claim(uk_article, UK_QUOTE, verdict=Verdict.VERIFIED)
    response = analyst_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json")
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "verdicts_differ"
    assert data["claims"] == [ru.pk, uk.pk]
    assert data["verdicts"] == {str(ru.pk): "disputed", str(uk.pk): "verified"}
    assert ClaimGroup.objects.count() == 0

    chosen = body(uk_article, UK_QUOTE, verdict="verified")
    assert analyst_api.post(links_url(ru), chosen, format="json").status_code == 403
    response = reviewer_api.post(links_url(ru), chosen, format="json")
    assert response.status_code == 200
    assert Claim.objects.get(pk=ru.pk).verdict == Verdict.VERIFIED


def test_the_409_hides_verdicts_the_blind_rule_hides(
    analyst_api, reviewer, ru_article, uk_article, make_claim
):
    ru_article.blind_review = True
    ru_article.save(update_fields=["blind_review"])
    ru = make_claim(ru_article, RU_QUOTE)
    services.claim_decide(claim=ru, reviewer=reviewer, verdict=Verdict.DISPUTED)
    make_claim(uk_article, UK_QUOTE, verdict=Verdict.VERIFIED)
    response = analyst_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == MSG_VERDICTS_DIFFER_HIDDEN
    assert response.json()["verdicts"] is None


def test_appearances_on_blind_articles_stay_hidden_from_analysts_not_on_them(
    analyst, other_api, reviewer_api, ru_article, uk_article, make_claim, reviewer
):
    uk_article.blind_review = True
    uk_article.save(update_fields=["blind_review"])
    ru = make_claim(ru_article, RU_QUOTE, author=reviewer)
    reviewer_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json")
    assert reviewer_api.get(f"/api/v1/claims/{ru.pk}/").json()["group"]["appearances"]
    assert other_api.get(f"/api/v1/claims/{ru.pk}/").json()["group"]["appearances"] == []


def test_unlink(analyst_api, ru_article, uk_article, make_claim):
    ru = make_claim(ru_article, RU_QUOTE)
    uk = analyst_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json").json()
    response = analyst_api.delete(f"/api/v1/claims/{uk['id']}/links/")
    assert response.status_code == 200
    assert response.json()["group"] is None
    assert analyst_api.get(f"/api/v1/claims/{ru.pk}/").json()["group"] is None
    again = analyst_api.delete(f"/api/v1/claims/{uk['id']}/links/")
    assert again.status_code == 400
    assert again.json()["codes"] == {"group": [ErrorCode.NOT_LINKED]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "a"}, "start"),
        ({"article": 999999}, "article"),
        ({"end": 10**7}, "end"),
        ({"verdict": "maybe"}, "verdict"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_links_are_400_and_write_nothing(
    analyst_api, ru_article, uk_article, make_claim, change, field
):
    ru = make_claim(ru_article, RU_QUOTE)
    response = analyst_api.post(links_url(ru), body(uk_article, UK_QUOTE) | change, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert ClaimGroup.objects.count() == 0 and Claim.objects.count() == 1


def test_past_the_end_of_the_article_is_400(analyst_api, ru_article, uk_article, make_claim):
    ru = make_claim(ru_article, RU_QUOTE)
    length = len(uk_article.body)
    data = {"article": uk_article.pk, "start": length - 1, "end": length + 5}
    response = analyst_api.post(links_url(ru), data, format="json")
    assert response.status_code == 400
    assert response.json()["codes"] == {"end": [ErrorCode.END_PAST_BODY]}


def test_who_may_not_edit_may_not_link(other_api, anon_api, ru_article, uk_article, make_claim):
    ru = make_claim(ru_article, RU_QUOTE)
    response = other_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == MSG_NO_RIGHT_EDIT  # DeskPermission answers first
    assert anon_api.post(links_url(ru), body(uk_article, UK_QUOTE), format="json").status_code in (
        401,
        403,
    )


def test_claim_list_queries_stay_fixed_with_groups(
    analyst_api, ru_article, uk_article, make_claim, analyst, django_assert_num_queries
):
    ru = make_claim(ru_article, RU_QUOTE)
    services.claim_link(ru, article=uk_article, start=0, end=5, user=analyst)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert analyst_api.get("/api/v1/claims/").status_code == 200
        return len(queries)

    few = count()
    for offset in range(3):
        other = make_claim(ru_article, ru_article.body[100 + offset * 20 : 110 + offset * 20])
        services.claim_link(
            other, article=uk_article, start=100 + offset * 20, end=110 + offset * 20, user=analyst
        )
    assert count() == few
