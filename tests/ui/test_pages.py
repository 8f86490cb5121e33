"""The web UI's pages: login, the article list (bounded queries), the annotator shell, CSP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import Article, Claim, Verdict
from annotations.views import paragraphs_of
from tests.conftest import span_of

RU_QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def test_pages_need_login(client, seeds):
    for url in (reverse("article-list"), reverse("article-detail", args=[seeds["ru"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_login_page_logs_in_and_sends_csp(client, analyst):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    response = client.post(reverse("login"), {"username": "olena", "password": "pw-olena"})
    assert response.status_code == 302
    assert client.get(reverse("article-list")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, analyst):
    response = client.post(reverse("login"), {"username": "olena", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.text


def test_logout_is_a_post(analyst_client):
    response = analyst_client.post(reverse("logout"))
    assert response.status_code == 302
    assert analyst_client.get(reverse("article-list")).status_code == 302


def test_article_list_counts_per_verdict_and_signed_off_share(
    analyst_client, seeds, make_claim, reviewer
):
    ru = seeds["ru"]
    make_claim(ru, RU_QUOTE, verdict=Verdict.VERIFIED)
    make_claim(ru, "Владимира Путина", verdict=Verdict.DISPUTED)
    pending = make_claim(ru, "написал письмо")
    signed = make_claim(ru, "письмо для Владимира", verdict=Verdict.VERIFIED)
    services.claim_sign_off(claim=signed, reviewer=reviewer)
    # An orphaned claim is not counted among the placed ones.
    Claim.objects.filter(pk=pending.pk).update(is_orphaned=True)

    response = analyst_client.get(reverse("article-list"))
    assert response.status_code == 200
    rows = {row["article"].pk: row for row in response.context["rows"]}
    ru_row = rows[ru.pk]
    assert ru_row["article"].count_total == 3
    assert ru_row["article"].count_verified == 2
    assert ru_row["article"].count_disputed == 1
    assert ru_row["article"].count_pending == 0
    assert ru_row["article"].count_orphaned == 1
    assert ru_row["signed_share"] == 33
    assert rows[seeds["uk"].pk]["signed_share"] is None
    assert ru.title in response.text
    assert "33%" in response.text


def test_article_list_search_folds_cyrillic_case_and_filters_language(analyst_client, seeds):
    response = analyst_client.get(reverse("article-list"), {"q": "ВЕНЕСУЭЛА"})
    assert [row["article"].pk for row in response.context["rows"]] == [seeds["ru"].pk]
    response = analyst_client.get(reverse("article-list"), {"language": "uk"})
    assert [row["article"].pk for row in response.context["rows"]] == [seeds["uk"].pk]
    response = analyst_client.get(reverse("article-list"), {"q": "венесуэл", "language": "ru"})
    assert [row["article"].pk for row in response.context["rows"]] == [seeds["ru"].pk]
    response = analyst_client.get(reverse("article-list"), {"q": "the washington POST"})
    assert len(response.context["rows"]) == 2  # the source name, with spaces, any case
    response = analyst_client.get(reverse("article-list"), {"q": "Россию?"})
    assert [row["article"].pk for row in response.context["rows"]] == [seeds["ru"].pk]
    response = analyst_client.get(reverse("article-list"), {"q": "(unbalanced[ regex"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "No articles match." in response.text


def _add_articles(count: int, author, first: int = 0) -> None:
    body = "Первый абзац с утверждением.\n\nВторой абзац, ещё одно утверждение."
    for i in range(first, first + count):
        article = Article.objects.create(
            title=f"Статья {i}", slug=f"statya-{i}", body=body, language="ru", content_hash="x"
        )
        for quote in ("Первый абзац", "утверждением", "Второй абзац"):
            start, end = span_of(article, quote)
            services.claim_create(article=article, start=start, end=end, quote=quote, author=author)


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("article-list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_article_list_runs_a_fixed_number_of_queries(analyst_client, seeds, analyst):
    _add_articles(2, analyst)
    small = _list_queries(analyst_client)
    _add_articles(20, analyst, first=2)
    large = _list_queries(analyst_client)
    assert small == large
    assert len(analyst_client.get(reverse("article-list")).context["rows"]) == 24


def test_article_page_renders_paragraphs_with_code_point_offsets(analyst_client, ru_article):
    response = analyst_client.get(reverse("article-detail", args=[ru_article.pk]))
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "csrftoken" in response.cookies
    html = response.text
    # The only scripts are the module file and the JSON data blocks, never inline code.
    assert '<script type="module" src="/static/annotations/annotator.js"></script>' in html
    assert html.count("<script") == 3
    assert 'id="article-body-text" type="application/json"' in html
    assert 'id="annotator-config" type="application/json"' in html
    # The legend names every verdict; highlights use the same classes.
    for value in Verdict.values:
        assert f'class="hl v-{value} legend-sample"' in html
    for paragraph in response.context["paragraphs"]:
        start = paragraph["start"]
        assert ru_article.body[start : start + len(paragraph["text"])] == paragraph["text"]
        assert f'<p data-start="{start}">' in html


def test_paragraph_offsets_count_code_points():
    body = "Эмодзи 🙂 тут.\n\nВторой 🇺🇦 абзац.\n\n\nТретий."
    paragraphs = paragraphs_of(body)
    assert [p["text"] for p in paragraphs] == ["Эмодзи 🙂 тут.", "Второй 🇺🇦 абзац.", "Третий."]
    for p in paragraphs:
        assert body[p["start"] : p["start"] + len(p["text"])] == p["text"]


def test_article_text_is_escaped_in_the_page(analyst_client, db):
    article = Article.objects.create(
        title="<script>alert(1)</script>",
        slug="xss",
        body="Text with <img src=x onerror=alert(1)> and </script><script>alert(2)</script>.",
        language="en",
        content_hash="x",
    )
    html = analyst_client.get(reverse("article-detail", args=[article.pk])).text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    listing = analyst_client.get(reverse("article-list")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_unknown_article_is_404(analyst_client, db):
    assert analyst_client.get(reverse("article-detail", args=[999999])).status_code == 404


def _article_page_queries(client, article) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("article-detail", args=[article.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_article_page_runs_a_fixed_number_of_queries(analyst_client, ru_article, analyst):
    # The page itself never reads the claims (the annotator loads them from the API).
    before = _article_page_queries(analyst_client, ru_article)
    for i in range(30):
        services.claim_create(
            article=ru_article, start=i, end=i + 5, quote=ru_article.body[i : i + 5], author=analyst
        )
    assert _article_page_queries(analyst_client, ru_article) == before
