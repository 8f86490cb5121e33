import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from annotations import services
from annotations.models import Assessment, Claim, Evidence


def test_demo_data_refuses_to_run_without_debug(seeds, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Demo data is for development"):
        call_command("load_demo")
    assert not Claim.objects.exists()


def test_demo_data_creates_users_and_claims_once(seeds, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo")
    call_command("load_demo")
    request = RequestFactory().post("/accounts/login/")  # sign-ins are counted per request
    analyst = authenticate(request, username="analyst", password="analyst-demo")
    reviewer = authenticate(request, username="reviewer", password="reviewer-demo")
    assert services.is_analyst(analyst) and not services.is_reviewer(analyst)
    assert services.is_reviewer(reviewer) and reviewer.is_staff
    assert Claim.objects.count() == 4
    assert set(Claim.objects.values_list("article__language", flat=True)) == {"ru", "uk"}
    assert Evidence.objects.count() == 2
    assert Assessment.objects.count() == 6  # each claim's author, and the second analyst twice
    assert list(Claim.objects.filter(in_disagreement=True).values_list("verdict", flat=True)) == [
        "pending"
    ]
    for claim in Claim.objects.select_related("article"):
        assert claim.article.body[claim.start : claim.end] == claim.quote
    assert "analyst / analyst-demo" in capsys.readouterr().out


def test_seed_articles_loads_an_empty_desk_once(db, capsys):
    from annotations.models import Article

    call_command("seed_articles")
    assert Article.objects.count() == 2
    Article.objects.filter(language="ru").update(body="re-imported text")
    call_command("seed_articles")
    assert Article.objects.get(language="ru").body == "re-imported text"
    assert "left alone" in capsys.readouterr().out
