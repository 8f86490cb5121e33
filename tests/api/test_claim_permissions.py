"""Each claim says what the requesting user may do with it, so the annotator copies no rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import Claim
from tests.api.conftest import bulk_claims

QUOTE = "WP пишет, что президент Венесуэлы написал письмо для Владимира Путина."

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(make_claim, ru_article):
    return make_claim(ru_article, QUOTE)


def rights(**granted: bool) -> dict[str, bool]:
    return {"edit": False, "cite": False, "delete": False, "sign_off": False, **granted}


def permissions(api, claim) -> dict:
    return api.get(f"/api/v1/claims/{claim.pk}/").json()["permissions"]


def test_the_author_may_edit_and_delete_but_not_sign_off(analyst_api, claim):
    assert permissions(analyst_api, claim) == {
        "edit": True,
        "cite": True,
        "delete": True,
        "sign_off": False,
    }


def test_another_analyst_may_do_nothing(other_api, claim):
    assert permissions(other_api, claim) == {
        "edit": False,
        "cite": False,
        "delete": False,
        "sign_off": False,
    }


def test_a_user_without_a_role_may_do_nothing(outsider_api, claim):
    assert permissions(outsider_api, claim) == {
        "edit": False,
        "cite": False,
        "delete": False,
        "sign_off": False,
    }


def test_a_reviewer_may_sign_off_only_once_there_is_a_verdict(reviewer_api, reviewer, claim):
    assert permissions(reviewer_api, claim) == {
        "edit": True,
        "cite": True,
        "delete": True,
        "sign_off": False,
    }
    services.claim_update(claim=claim, actor=reviewer, verdict="verified")
    assert permissions(reviewer_api, claim)["sign_off"] is True


def test_the_author_loses_delete_once_signed_off(analyst_api, reviewer, claim):
    services.claim_update(claim=claim, actor=reviewer, verdict="verified")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    assert permissions(analyst_api, claim) == {
        "edit": True,
        "cite": True,
        "delete": False,
        "sign_off": False,
    }


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_permissions_cost_no_query_per_claim(analyst_api, analyst, other_analyst, ru_article):
    path = f"/api/v1/claims/?article={ru_article.pk}&page_size=1000"
    bulk_claims(ru_article, 5, analyst)
    small = queries_for(analyst_api, path)
    Claim.objects.all().delete()
    bulk_claims(ru_article, 65, analyst)
    others = Claim.objects.order_by("pk").values_list("pk", flat=True)[5:]
    Claim.objects.filter(pk__in=list(others)).update(created_by=other_analyst)
    large = queries_for(analyst_api, path)
    assert small == large
    rows = analyst_api.get(path).json()["results"]
    mine = {
        row["created_by"]["username"] == analyst.username
        for row in rows
        if row["permissions"]["edit"]
    }
    assert mine == {True}
    assert sum(row["permissions"]["edit"] for row in rows) == 5
