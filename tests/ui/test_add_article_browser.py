"""Adding an article in the browser: paste a text, preview it, fix the title, save, and land
in the annotator; a refused file says why; a link is fetched and previewed."""

import re
import threading

import pytest

from annotations.models import Article
from tests.conftest import RU_SEED, UK_SEED
from tests.linkcheck.conftest import LoopbackServer
from tests.linkcheck.newspage import HEADLINE, news_page
from tests.ui.test_browser import analyst_user, reviewer_user  # noqa: F401

SEEDS = [RU_SEED, UK_SEED]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "Мадуро попросив у Путіна допомоги\n\n"
    "Лідер Венесуели звернувся до Кремля з листом, повідомляє The Washington Post.\n\n"
    "Йдеться про ремонт радарів і постачання ракет."
)


def test_paste_preview_fix_the_title_save_and_annotate(open_browser, reviewer_user):  # noqa: F811
    b = open_browser()
    b.login("iryna", "pw-iryna")
    page = b.page
    page.get_by_role("link", name="Add article").click()
    page.wait_for_selector("#add-article[data-ready='1']")
    page.get_by_role("tab", name="Paste text").click()
    page.get_by_label("The article's text").fill(TEXT)
    page.get_by_role("button", name="Preview").click()
    title = page.get_by_label("Title", exact=True)
    title.wait_for()
    assert title.input_value() == "Мадуро попросив у Путіна допомоги"
    assert page.get_by_label("Language", exact=True).input_value() == "uk"
    assert "Detected: uk" in page.locator("#preview-detected").inner_text()
    assert "Лідер Венесуели" in page.locator("#preview-body").inner_text()
    assert Article.objects.count() == 2  # the seeds: the preview saves nothing
    title.fill("Мадуро просить допомоги в Путіна")
    page.get_by_role("button", name="Save and annotate").click()
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    b.wait_ready()
    article = Article.objects.exclude(source_file__in=SEEDS).get()
    assert page.url.endswith(f"/articles/{article.pk}/")
    assert article.title == "Мадуро просить допомоги в Путіна" and article.language == "uk"
    assert "Лідер Венесуели" in page.locator("#article-body").inner_text()


def test_a_refused_file_says_why(open_browser, reviewer_user, tmp_path):  # noqa: F811
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    b = open_browser()
    b.login("iryna", "pw-iryna")
    page = b.page
    page.goto("/articles/add/")
    page.wait_for_selector("#add-article[data-ready='1']")
    page.get_by_role("tab", name="From a file").click()
    page.get_by_label("A .txt, .md or .html file").set_input_files(str(binary))
    page.locator("#form-file").get_by_role("button", name="Preview").click()
    error = page.locator("#add-status .error")
    error.wait_for()
    assert "photo.txt" in error.inner_text() and "binary file" in error.inner_text()
    assert page.locator("#add-preview").is_hidden() and Article.objects.count() == 2


def test_a_link_is_fetched_previewed_and_saved(open_browser, reviewer_user, settings):  # noqa: F811
    from workbench.celery import app

    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = LoopbackServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.pages["/news"] = (200, {}, news_page())
    before, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        b = open_browser()
        b.login("iryna", "pw-iryna")
        page = b.page
        page.goto("/articles/add/")
        page.wait_for_selector("#add-article[data-ready='1']")
        page.get_by_label("Address of the page").fill(f"{server.base}/news")
        page.get_by_role("button", name="Fetch and preview").click()
        page.get_by_label("Title", exact=True).wait_for(timeout=30_000)  # trafilatura loads
        assert page.get_by_label("Title", exact=True).input_value() == HEADLINE
        page.get_by_role("button", name="Save and annotate").click()
        page.wait_for_url(re.compile(r"/articles/\d+/$"))
        assert Article.objects.get(source_url=f"{server.base}/news").title == HEADLINE
    finally:
        app.conf.task_always_eager = before
        server.shutdown()
        server.server_close()


def test_analysts_are_not_offered_the_page(open_browser, analyst_user):  # noqa: F811
    b = open_browser()
    b.login("olena", "pw-olena")
    assert b.page.get_by_role("link", name="Add article").count() == 0
    response = b.page.goto("/articles/add/")
    assert response is not None and response.status == 403
