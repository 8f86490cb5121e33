"""'Changed' means the article's main text changed: real checks of a news page that churns
hour after hour (tests/linkcheck/newspage.py), served on loopback."""

import pytest

from annotations.linkcheck import fetch, pagetext, service
from annotations.models import Evidence, LinkCheck, SourceLink, TextSource
from tests.linkcheck.newspage import HEADLINE, news_page

pytestmark = pytest.mark.usefixtures("linkcheck_settings")

QUOTE = "В Кремле пока соответствующее письмо никак не комментировали"
EDIT = (QUOTE, "В Кремле подтвердили, что получили письмо")
HOURS = [0, 1, 5, 9, 13, 17, 23]


def serve(web, html: bytes, path: str = "/news/maduro", content_type: str = "") -> str:
    headers = {"Content-Type": content_type} if content_type else {}
    web.pages[path] = 200, headers, html
    return f"{web.base}{path}"


@pytest.fixture
def checked(web, cite, django_capture_on_commit_callbacks):
    """A citation of the news page and ``check(html)``: serve it, check it, reload both."""
    url = serve(web, news_page(0))
    with django_capture_on_commit_callbacks(execute=False):
        evidence = cite(url, excerpt=QUOTE)

    def check(html: bytes) -> tuple[SourceLink, Evidence]:
        serve(web, html)
        service.link_check_run(link_id=evidence.source_link_id, force=True)
        evidence.refresh_from_db()
        return SourceLink.objects.get(pk=evidence.source_link_id), evidence

    return check


def test_main_text_ignores_the_churn_around_the_article():
    mains = {pagetext.main_text(news_page(hour), "text/html; charset=utf-8") for hour in HOURS}
    assert len(mains) == 1
    main = mains.pop()
    assert main is not None and main.startswith(HEADLINE)
    assert QUOTE in main
    for boilerplate in ("Самое популярное", "Читайте также", "Кредит под", "просмотров", "©"):
        assert boilerplate not in main
    # The visible text, which the check hashed before, churns with every hour.
    visible = {pagetext.extract(news_page(hour).decode(), "text/html")[1] for hour in HOURS}
    assert len(visible) == len(HOURS)
    edited = pagetext.main_text(news_page(0, edit=EDIT), "text/html")
    assert edited and edited != main and EDIT[1] in edited


def test_hourly_churn_does_not_flag_a_change(checked):
    first, evidence = checked(news_page(0))
    assert first.text_source == TextSource.MAIN
    assert evidence.cited_main_text_sha256 == first.main_text_sha256 != ""
    assert evidence.cited_text_sha256 == first.text_sha256
    assert evidence.excerpt_found is True
    for hour in HOURS[1:]:
        link, evidence = checked(news_page(hour))
        assert link.main_text_sha256 == first.main_text_sha256
        assert link.text_changed_at is None and evidence.source_changed_at is None
        assert evidence.excerpt_found is True
    # The history keeps both hashes: the visible one churned, the main one did not.
    checks = LinkCheck.objects.filter(source_link=first)
    assert checks.count() == len(HOURS)
    assert len(set(checks.values_list("text_sha256", flat=True))) == len(HOURS)
    assert set(checks.values_list("main_text_sha256", flat=True)) == {first.main_text_sha256}
    assert set(checks.values_list("text_source", flat=True)) == {TextSource.MAIN}


def test_an_edited_sentence_in_the_article_is_a_change(checked):
    first, _ = checked(news_page(0))
    checked(news_page(4))
    link, evidence = checked(news_page(5, edit=EDIT))
    assert link.main_text_sha256 != first.main_text_sha256
    assert link.text_changed_at is not None
    assert evidence.source_changed_at == link.text_changed_at
    assert evidence.excerpt_found is False  # the quoted sentence is gone from the article
    changed_at = link.text_changed_at
    # More churn around the edited article: no new change, "since when" keeps the first.
    link, evidence = checked(news_page(6, edit=EDIT))
    assert link.text_changed_at == changed_at and evidence.source_changed_at == changed_at


def test_the_switch_compares_like_with_like(checked, settings):
    """A baseline from before main texts were hashed is compared by its visible text once,
    then the main text becomes the baseline: old citations do not all flip at the switch."""
    settings.LINKCHECK_MAIN_TEXT = False  # as the checker was before
    old, evidence = checked(news_page(2))
    assert old.text_source == TextSource.VISIBLE and old.main_text_sha256 == ""
    assert evidence.cited_main_text_sha256 == ""

    settings.LINKCHECK_MAIN_TEXT = True
    link, evidence = checked(news_page(2))  # the same page: its visible text matches
    assert link.text_changed_at is None and evidence.source_changed_at is None
    assert evidence.cited_main_text_sha256 == link.main_text_sha256 != ""
    assert evidence.cited_text_sha256 == old.text_sha256  # the old baseline is kept

    link, evidence = checked(news_page(14))  # churn: now compared by the main text
    assert link.text_changed_at is None and evidence.source_changed_at is None
    link, evidence = checked(news_page(15, edit=EDIT))
    assert evidence.source_changed_at is not None


def test_turned_off_it_compares_visible_text_as_before(checked, settings):
    settings.LINKCHECK_MAIN_TEXT = False
    checked(news_page(0))
    link, _ = checked(news_page(1))
    assert link.text_source == TextSource.VISIBLE and link.main_text_sha256 == ""
    assert link.text_changed_at is not None  # the churn: why main text is the default


def test_a_page_without_an_article_is_compared_by_its_visible_text(web, cite):
    url = serve(web, b"<html><body><aside>Moved to the archive.</aside></body></html>")
    evidence = cite(url)
    service.link_check_run(link_id=evidence.source_link_id, force=True)
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    assert link.text_source == TextSource.VISIBLE
    assert link.main_text_sha256 == "" and link.text_sha256 != ""
    serve(web, b"<html><body><aside>Moved to the new archive.</aside></body></html>")
    service.link_check_run(link_id=evidence.source_link_id, force=True)
    assert SourceLink.objects.get(pk=evidence.source_link_id).text_changed_at is not None


@pytest.mark.parametrize(
    ("content_type", "first", "second"),
    [
        ("application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", b"%PDF-1.4\n2 0 obj<<>>\n%%EOF"),
        (
            "image/png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR1",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR2",
        ),
    ],
)
def test_pages_that_are_not_html_get_no_text_hash(web, cite, content_type, first, second):
    evidence = cite(serve(web, first, "/file", content_type))
    for body in (first, second):
        serve(web, body, "/file", content_type)
        service.link_check_run(link_id=evidence.source_link_id, force=True)
    link = SourceLink.objects.get(pk=evidence.source_link_id)
    evidence.refresh_from_db()
    assert (link.text_sha256, link.main_text_sha256, link.text_source) == ("", "", "")
    assert link.body_sha256 != "" and link.text_changed_at is None
    assert evidence.source_changed_at is None and evidence.cited_main_text_sha256 == ""
    assert pagetext.main_text(first, content_type) is None


def lying_broken_page(hour: int) -> bytes:
    """Declared UTF-8 (header and meta), sent as windows-1251, with tags left open."""
    broken = news_page(hour).replace(b"</p>", b"").replace(b"</div>", b"", 3) + b"<div><span"
    return broken.decode().encode("cp1251")


def test_a_lying_charset_and_broken_markup_are_read_as_before(web, cite):
    """Decoded as declared (replacement characters and all), as before; the hash is stable
    and the churn around the article still flags nothing."""
    url = serve(web, lying_broken_page(0), content_type="text/html; charset=utf-8")
    evidence = cite(url)
    for hour in (0, 0, 7):
        serve(web, lying_broken_page(hour), content_type="text/html; charset=utf-8")
        service.link_check_run(link_id=evidence.source_link_id, force=True)
        link = SourceLink.objects.get(pk=evidence.source_link_id)
        assert link.outcome == "ok" and link.text_sha256 != ""
        assert link.text_changed_at is None
    assert link.text_source == TextSource.MAIN
    assert "\ufffd" in pagetext.main_text(lying_broken_page(0), "text/html; charset=utf-8")


def test_main_text_of_a_body_uses_the_browser_charset():
    body = news_page(0).decode().replace("utf-8", "windows-1251").encode("cp1251")
    main = pagetext.main_text(body, "text/html")
    assert main is not None and QUOTE in main
    assert pagetext.main_text(b"", "text/html") is None
    assert pagetext.main_text(b"plain words", "text/plain") is None


@pytest.mark.parametrize(
    "html",
    [
        news_page(0),
        # A paragraph that starts with a combining mark, and one of decomposed letters.
        "<html><body><article><p>Le caf\u00e9 ferm\u00e9 depuis hier soir, et la ville entière "
        "en parle encore.</p><p>\u0301 accent seul au début de la ligne, puis du texte pour la "
        "tenir.</p><p>cafe\u0301 et re\u0301sume\u0301 en lettres de\u0301compose\u0301es ici."
        "</p></article></body></html>".encode(),
    ],
)
def test_the_checked_text_is_the_normalised_main_text(html):
    """The check joins the main text's lines as they are: the same as normalising it whole."""
    result = fetch_read(html)
    main = pagetext.main_text(html, "text/html; charset=utf-8")
    assert main and result.text_source == TextSource.MAIN
    assert result.text == pagetext.normalise_text(main)
    assert result.main_text_sha256 == fetch.sha256(pagetext.normalise_text(main))


def fetch_read(html: bytes) -> fetch.FetchResult:
    result = fetch.FetchResult(url="http://news.example/", content_type="text/html")
    result.body, result.charset = html, "utf-8"
    return fetch.read_text(result, fetch.FetchPolicy())
