"""POST /api/v1/articles/ (url, text, file; preview and save) and /api/v1/article-fetches/{id}."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations import services
from annotations.models import Article, ArticleFetch
from tests import support
from tests.api.conftest import client_for
from tests.linkcheck.conftest import LoopbackServer
from tests.linkcheck.newspage import HEADLINE, news_page

URL = "/api/v1/articles/"
TEXT = (
    "Мадуро попросив у Путіна допомоги\n\n"
    "Лідер Венесуели звернувся до Кремля, повідомляє The Washington Post.\n\n"
    "Йдеться про ремонт радарів і постачання ракет."
)


@pytest.fixture
def site(settings):
    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LINKCHECK_TOTAL_TIMEOUT = 2
    server = LoopbackServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.pages["/news"] = (200, {}, news_page())
    server.pages["/plain"] = (200, {"Content-Type": "text/plain"}, b"just words")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def eager():
    from workbench.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_preview_then_save_pasted_text(reviewer_api):
    preview = reviewer_api.post(URL, {"text": TEXT, "preview": True}, format="json")
    assert preview.status_code == 200, preview.json()
    draft = preview.json()["draft"]
    assert draft["title"] == "Мадуро попросив у Путіна допомоги"
    assert draft["language"] == "uk" and draft["languages"][0]["code"] == "uk"
    assert 0.5 < draft["language_confidence"] <= 1
    assert not Article.objects.exists()
    saved = reviewer_api.post(
        URL, {"text": TEXT, "title": "Мадуро і Путін", "language": "uk"}, format="json"
    )
    assert saved.status_code == 201, saved.json()
    article = Article.objects.get()
    assert saved.json()["id"] == article.pk and article.title == "Мадуро і Путін"
    again = reviewer_api.post(URL, {"text": TEXT}, format="json")
    assert again.status_code == 200 and Article.objects.count() == 1


def test_upload_a_file(reviewer_api):
    upload = SimpleUploadedFile("zayava.md", TEXT.encode(), content_type="text/markdown")
    response = reviewer_api.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert Article.objects.get().source_file == "zayava.md"


@pytest.mark.parametrize(
    ("name", "raw", "code"),
    [
        ("empty.txt", b"", "file_empty"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_binary"),
        ("cp1251.txt", "Заголовок\n\nТекст.".encode("cp1251"), "file_encoding"),
        ("slides.pptx", b"PK\x03\x04", "file_type"),
    ],
)
def test_bad_uploads_are_400_with_the_file_name(reviewer_api, name, raw, code):
    upload = SimpleUploadedFile(name, raw)
    response = reviewer_api.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["codes"]["file"] == [code] and name in body["file"][0]
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "article_no_source"),
        ({"text": TEXT, "url": "https://x.example/a"}, "article_sources"),
        ({"text": "   "}, "file_empty"),
        ({"url": "javascript:alert(1)"}, "url_invalid"),
        ({"text": TEXT, "title": " "}, "article_title_empty"),
        ({"text": TEXT, "language": "de"}, "article_language"),
    ],
)
def test_bad_requests_are_400(reviewer_api, payload, code):
    response = reviewer_api.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert code in str(response.json()["codes"])
    assert not Article.objects.exists() and not ArticleFetch.objects.exists()


def test_a_link_is_fetched_by_the_worker_and_polled(
    reviewer_api, site, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_api.post(URL, {"url": f"{site.base}/news"}, format="json")
    assert response.status_code == 202, response.json()
    status = reviewer_api.get(response["Location"]).json()
    assert status["status"] == "done" and status["draft"]["title"] == HEADLINE
    article = Article.objects.get()
    assert status["article"] == article.pk and status["annotate"] == f"/articles/{article.pk}/"
    assert article.source_url == f"{site.base}/news"


def test_a_previewed_link_is_saved_with_a_corrected_title(
    reviewer_api, site, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = reviewer_api.post(
            URL, {"url": f"{site.base}/news", "preview": True}, format="json"
        ).json()
    assert reviewer_api.get(job["url"]).json()["status"] == "ready"
    assert not Article.objects.exists()
    saved = reviewer_api.post(URL, {"fetch": job["id"], "title": "Новый заголовок"}, format="json")
    assert saved.status_code == 201 and Article.objects.get().title == "Новый заголовок"


def test_a_failed_link_says_why_and_creates_nothing(
    reviewer_api, site, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = reviewer_api.post(URL, {"url": f"{site.base}/plain"}, format="json").json()
    status = reviewer_api.get(job["url"]).json()
    assert status["status"] == "failed" and status["error_code"] == "url_not_html"
    assert "not a web page" in status["error"] and not Article.objects.exists()
    saved = reviewer_api.post(URL, {"fetch": job["id"]}, format="json")
    assert saved.status_code == 400 and saved.json()["codes"]["fetch"] == ["fetch_not_ready"]


def test_fetches_are_their_requesters_own(reviewer_api, reviewer, analyst_api):
    job = services.article_fetch_request(
        actor=reviewer, url="https://news.example.org/a", save_when_ready=True
    )
    assert reviewer_api.get(f"/api/v1/article-fetches/{job.pk}").status_code == 200
    assert analyst_api.get(f"/api/v1/article-fetches/{job.pk}").status_code == 404


def test_who_may_add(analyst_api, outsider_api, reviewer):
    for client in (analyst_api, outsider_api):
        response = client.post(URL, {"text": TEXT}, format="json")
        assert response.status_code == 403
        assert "reviewers and editors" in response.json()["detail"]
    editor = support.make_user("editor-petro")
    services.editor_set(actor=reviewer, user=editor, editor=True)
    assert client_for(editor).post(URL, {"text": TEXT}, format="json").status_code == 201
    assert client_for(None).post(URL, {"text": TEXT}, format="json").status_code in (401, 403)


def test_a_reviewer_makes_an_editor(reviewer_api, analyst_api, outsider):
    assert (
        analyst_api.post(
            "/api/v1/editors/", {"username": outsider.username, "editor": True}, format="json"
        ).status_code
        == 403
    )
    response = reviewer_api.post(
        "/api/v1/editors/", {"username": outsider.username, "editor": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["editor"] is True
    assert client_for(outsider).post(URL, {"text": TEXT}, format="json").status_code == 201
    unknown = reviewer_api.post(
        "/api/v1/editors/", {"username": "nobody", "editor": True}, format="json"
    )
    assert unknown.status_code == 400
    reviewer_api.post(
        "/api/v1/editors/", {"username": outsider.username, "editor": False}, format="json"
    )
    assert client_for(outsider).post(URL, {"text": TEXT}, format="json").status_code == 403
