"""Adding articles (services): pasted text, uploads and links, their bad inputs, identity,
re-anchoring, the editor permission, language detection, and the same-link race."""

import threading
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from annotations import services
from annotations.importing import import_article
from annotations.languages import guess_language
from annotations.models import Article, ArticleFetch
from tests import support
from tests.conftest import RU_SEED, UK_SEED
from tests.linkcheck.conftest import LoopbackServer
from tests.linkcheck.newspage import HEADLINE, news_page

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"

PASTED = (
    "Мадуро попросил у Путина помощи\n\n"
    "Президент Венесуэлы направил письмо в Кремль, сообщает The Washington Post.\n\n"
    "В письме говорится о ремонте радаров и поставке ракет."
)
PAGE = (
    "<html><head><title>Заява МЗС | Новини</title>"
    '<meta name="author" content="Іван Петренко">'
    '<meta property="article:published_time" content="2025-10-31T10:00:00Z">'
    '<meta property="og:site_name" content="Новини дня"></head>'
    "<body><nav>Головна Політика Спорт</nav><article><h1>Заява МЗС України</h1>"
    "<p>Міністерство закордонних справ заявило про нові санкції проти країни-агресора. "
    "Це вже десятий пакет обмежень.</p>"
    "<p>Другий абзац статті, в якому йдеться про подробиці заяви і реакцію партнерів.</p>"
    "</article><footer>© 2025</footer></body></html>"
).encode()
EMPTY_PAGE = b"<html><head><title>Menu</title></head><body><script>go()</script></body></html>"


@pytest.fixture
def editor(db, reviewer):
    user = support.make_user("editor-olena")
    return services.editor_set(actor=reviewer, user=user, editor=True)


@pytest.fixture
def site(settings):
    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LINKCHECK_CONNECT_TIMEOUT = 1
    settings.LINKCHECK_READ_TIMEOUT = 1
    settings.LINKCHECK_TOTAL_TIMEOUT = 1.5
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.pages["/news"] = (200, {}, news_page())
    server.pages["/meta"] = (200, {}, PAGE)
    server.pages["/plain"] = (200, {"Content-Type": "text/plain"}, b"just words here")
    server.pages["/empty"] = (200, {}, EMPTY_PAGE)
    yield server
    server.shutdown()
    server.server_close()


def code_of(error: ValidationError) -> str:
    return next(iter(error.error_dict.values()))[0].code  # type: ignore[return-value]


def fetch(actor, url: str, *, save: bool = False) -> ArticleFetch:
    job = services.article_fetch_request(actor=actor, url=url, save_when_ready=save)
    return services.article_fetch_run(job.pk)


# --- Pasted text


def test_pasted_text_goes_through_the_importer_pipeline(reviewer):
    draft = services.article_draft_from_text(
        actor=reviewer, text=PASTED.replace("\n\n", "\r\n\r\n")
    )
    assert draft.title == "Мадуро попросил у Путина помощи"
    assert draft.body.startswith("Президент Венесуэлы")
    assert "\n\n" in draft.body and "\r" not in draft.body
    assert draft.source_name == "The Washington Post"
    assert draft.language == "ru" and draft.language_confidence > 0.5
    assert not Article.objects.exists()  # a draft is only a preview


def test_pasting_the_same_text_twice_updates_one_article(reviewer):
    first = services.article_add(
        actor=reviewer, draft=services.article_draft_from_text(actor=reviewer, text=PASTED)
    )
    second = services.article_add(
        actor=reviewer,
        draft=services.article_draft_from_text(actor=reviewer, text=PASTED),
        title="Мадуро просит помощи",
        language="ru",
    )
    assert first.created and not second.created
    assert Article.objects.count() == 1
    assert Article.objects.get().title == "Мадуро просит помощи"


def test_empty_title_and_unknown_language_are_refused(reviewer):
    draft = services.article_draft_from_text(actor=reviewer, text=PASTED)
    with pytest.raises(ValidationError) as exc:
        services.article_add(actor=reviewer, draft=draft, title="   ")
    assert code_of(exc.value) == "article_title_empty"
    with pytest.raises(ValidationError) as exc:
        services.article_add(actor=reviewer, draft=draft, language="xx")
    assert code_of(exc.value) == "article_language"
    assert "ru, uk, en" in exc.value.messages[0]
    assert not Article.objects.exists()


# --- Uploads


def test_an_uploaded_seed_is_the_imported_seed(reviewer):
    raw = (SEEDS / UK_SEED).read_bytes()
    draft = services.article_draft_from_upload(actor=reviewer, name=UK_SEED, raw=raw)
    added = services.article_add(actor=reviewer, draft=draft).article
    imported = import_article(raw, filename=UK_SEED)
    assert not imported.created and imported.article.pk == added.pk
    assert added.language == "uk" and added.source_file == UK_SEED


def test_uploading_a_changed_file_reanchors_its_claims(seeds, reviewer, make_claim):
    article = seeds["ru"]
    quote = article.body.split("\n\n")[1][:40]
    claim = make_claim(article, quote)
    changed = "Новый первый абзац.\n\n" + article.body
    raw = (article.title + "\n\n" + changed).encode()
    draft = services.article_draft_from_upload(actor=reviewer, name=RU_SEED, raw=raw)
    result = services.article_add(actor=reviewer, draft=draft)
    assert not result.created and result.body_changed
    claim.refresh_from_db()
    assert result.moved == [claim] and result.article.body[claim.start : claim.end] == quote


def test_markdown_and_html_uploads(reviewer):
    md = "# Заголовок статті\n\nПерший **абзац** з [посиланням](https://x.example/).\n\n![](a.png)"
    draft = services.article_draft_from_upload(actor=reviewer, name="a.md", raw=md.encode())
    assert draft.title == "Заголовок статті"
    assert draft.body == "Перший абзац з посиланням."
    page = PAGE.decode().replace("<head>", '<head><meta charset="windows-1251">')
    draft = services.article_draft_from_upload(
        actor=reviewer, name="zayava.html", raw=page.encode("cp1251", "replace")
    )
    assert draft.title == "Заява МЗС України" and draft.author == "Іван Петренко"
    assert draft.body.startswith("Міністерство закордонних справ")
    assert draft.language == "uk"


@pytest.mark.parametrize(
    ("name", "raw", "code", "words"),
    [
        ("empty.txt", b"  \n\n ", "file_empty", "the file is empty"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_binary", "binary file"),
        ("ctrl.txt", bytes(range(1, 9)) * 20, "file_binary", "control characters"),
        ("cp1251.txt", "Заголовок\n\nТекст статьи.".encode("cp1251"), "file_encoding", "UTF-8"),
        ("report.pdf", b"%PDF-1.4", "file_type", ".pdf files cannot be added"),
        ("README", b"text", "file_type", "no extension"),
        ("debris.txt", b"https://example.com/a.jpg\n\nOther news:\n", "no_text", "no article"),
        ("empty.html", EMPTY_PAGE, "no_text", "no article"),
    ],
)
def test_bad_uploads_are_refused_with_name_and_reason(reviewer, name, raw, code, words):
    with pytest.raises(ValidationError) as exc:
        services.article_draft_from_upload(actor=reviewer, name=name, raw=raw)
    assert code_of(exc.value) == code
    message = exc.value.messages[0]
    assert words in message and (name in message or code == "file_type")
    assert not Article.objects.exists()


def test_a_file_over_the_cap_is_refused(reviewer, monkeypatch):
    monkeypatch.setattr("annotations.importing.MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError) as exc:
        services.article_draft_from_upload(actor=reviewer, name="big.txt", raw=b"word " * 50)
    assert code_of(exc.value) == "file_too_large" and "big.txt" in exc.value.messages[0]


# --- Links


def test_a_link_gives_a_draft_then_the_corrected_article(reviewer, site):
    job = fetch(reviewer, f"{site.base}/news")
    assert job.status == ArticleFetch.Status.READY and job.article is None
    assert job.draft["title"] == HEADLINE and job.draft["language"] == "ru"
    assert not Article.objects.exists()
    result = services.article_fetch_save(actor=reviewer, job=job, title="Мадуро и Путин")
    article = result.article
    assert article.source_url == f"{site.base}/news" and article.title == "Мадуро и Путин"
    assert "Мадуро" in article.body and "Главное" not in article.body  # no navigation


def test_a_links_metadata_is_kept(reviewer, site):
    job = fetch(reviewer, f"{site.base}/meta", save=True)
    assert job.status == ArticleFetch.Status.DONE
    article = job.article
    assert article.title == "Заява МЗС України" and article.author == "Іван Петренко"
    assert str(article.published_on) == "2025-10-31" and article.source_name == "Новини дня"
    assert article.language == "uk" and not article.body.startswith("Заява МЗС")


def test_the_same_link_twice_updates_one_article(reviewer, site):
    fetch(reviewer, f"{site.base}/meta", save=True)
    again = fetch(reviewer, f"{site.base}/meta#top", save=True)
    assert Article.objects.count() == 1 and again.article == Article.objects.get()


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("/plain", "url_not_html", "text/plain, not a web page"),
        ("/empty", "url_no_text", "No article text"),
        ("/missing", "url_http_error", "HTTP 404"),
        ("/slow?s=4", "url_timeout", "did not answer in time"),
    ],
)
def test_bad_links_fail_with_a_clear_message_and_create_nothing(reviewer, site, path, code, words):
    job = fetch(reviewer, site.base + path, save=True)
    assert job.status == ArticleFetch.Status.FAILED
    assert job.error_code == code and words in job.error, job.error
    assert not Article.objects.exists()


def test_a_page_over_the_cap_is_refused(reviewer, site, settings):
    settings.LINKCHECK_MAX_BODY_BYTES = 2000
    job = fetch(reviewer, f"{site.base}/news", save=True)
    assert job.error_code == "url_too_large" and "2000 bytes" in job.error
    assert not Article.objects.exists()


def test_a_blocked_link_is_refused(reviewer, site, settings):
    settings.LINKCHECK_ALLOWED_HOSTS = []  # loopback is blocked, as in production
    job = fetch(reviewer, f"{site.base}/news", save=True)
    assert job.error_code == "url_blocked" and "does not connect there" in job.error
    assert site.paths() == [] and not Article.objects.exists()


def test_a_malformed_link_is_refused_at_once(reviewer):
    with pytest.raises(ValidationError) as exc:
        services.article_fetch_request(
            actor=reviewer, url="ftp://x.example/a", save_when_ready=True
        )
    assert code_of(exc.value) == "url_invalid" and not ArticleFetch.objects.exists()


def test_a_draft_that_is_not_ready_cannot_be_saved(reviewer):
    job = services.article_fetch_request(
        actor=reviewer, url="https://news.example.org/a", save_when_ready=False
    )
    with pytest.raises(ValidationError) as exc:
        services.article_fetch_save(actor=reviewer, job=job)
    assert code_of(exc.value) == "fetch_not_ready"


# --- Who may add


def test_only_reviewers_and_editors_add_articles(analyst, reviewer, editor, outsider):
    for user in (analyst, outsider):
        with pytest.raises(PermissionDenied):
            services.article_draft_from_text(actor=user, text=PASTED)
    draft = services.article_draft_from_text(actor=editor, text=PASTED)
    assert services.article_add(actor=editor, draft=draft).created
    assert not services.is_analyst(editor)  # an editor adds articles and nothing else
    with pytest.raises(PermissionDenied):
        services.editor_set(actor=analyst, user=outsider, editor=True)
    services.editor_set(actor=reviewer, user=editor, editor=False)
    with pytest.raises(PermissionDenied):
        services.article_draft_from_text(actor=editor, text=PASTED)


# --- Language


@pytest.mark.parametrize(("name", "language"), [(RU_SEED, "ru"), (UK_SEED, "uk")])
def test_language_of_the_seeds(reviewer, name, language):
    draft = services.article_draft_from_upload(
        actor=reviewer, name=name, raw=(SEEDS / name).read_bytes()
    )
    assert draft.language == language and draft.language_confidence > 0.9


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # No letter that only one of the two languages has: letter counts cannot tell these.
        ("Мадуро попросил помощи у Путина.", "ru"),
        ("Мадуро попросив допомоги в Путіна.", "uk"),
        ("Он сказал, что всё хорошо.", "ru"),
        ("Він сказав, що все добре.", "uk"),
        ("Президент подписал указ.", "ru"),
        ("Президент підписав указ.", "uk"),
        ("Maduro asked Putin for help.", "en"),
    ],
)
def test_language_of_short_texts(text, language):
    guess = guess_language(text)
    assert guess.code == language
    assert [code for code, _ in guess.candidates][:1] == [language]


# --- The race


@pytest.mark.django_db(transaction=True)
def test_two_adds_of_the_same_link_at_once_give_one_article(reviewer):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one at a time: the race needs PostgreSQL")
    draft = services.ArticleDraft(
        origin="url", title="Одна статья", body="Текст статьи.", language="ru",
        source_url="https://news.example.org/race",
    )  # fmt: skip
    barrier = threading.Barrier(2)
    results, errors = [], []

    def add() -> None:
        from django.db import connections

        try:
            barrier.wait()
            results.append(services.article_add(actor=reviewer, draft=draft))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Article.objects.filter(source_url=draft.source_url).count() == 1
    assert sorted(result.created for result in results) == [False, True]
