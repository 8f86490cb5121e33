"""The annotator in a real Chromium against the live server: what an analyst does all day."""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from annotations import services
from annotations.linkcheck import service as linkcheck_service
from annotations.models import Article, Claim, Verdict
from tests import support

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SENTENCE = "WP пишет, что президент Венесуэлы написал письмо для Владимира Путина."
EVIDENCE_URL = "https://www.washingtonpost.com/world/2025/10/31/venezuela-letter/"


class _GonePage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gone_page(settings) -> Iterator[str]:
    """A cited page that has disappeared (404), on loopback, which the checker may fetch here."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GonePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    yield f"http://127.0.0.1:{server.server_address[1]}/world/venezuela-letter"
    server.shutdown()
    server.server_close()


@pytest.fixture
def analyst_user(live_seeds, django_user_model):
    return support.cast_user("analyst")


@pytest.fixture
def reviewer_user(live_seeds, django_user_model):
    return support.cast_user("reviewer")


def claim_span(article: Article, quote: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = article.body.index(quote, start + 1)
    return start, start + len(quote)


def add_claim(article: Article, quote: str, author, **kwargs) -> Claim:
    start, end = claim_span(article, quote)
    return services.claim_create(
        article=article, start=start, end=end, quote=quote, author=author, **kwargs
    )


def test_select_create_judge_cite_and_reload(open_browser, live_seeds, analyst_user, gone_page):
    ru = live_seeds["ru"]
    b = open_browser()
    b.login("olena", "pw-olena")
    page = b.page
    page.get_by_role("link", name=ru.title).click()
    b.wait_ready()

    # Select the sentence with the mouse; the toolbar offers to make it a claim.
    toolbar = page.locator("#selection-toolbar")
    assert toolbar.is_hidden()
    b.drag_select(SENTENCE)
    toolbar.wait_for(state="visible")
    assert page.locator("#selection-info").text_content() == f"{len(SENTENCE)} characters"
    toolbar.get_by_role("button", name=re.compile("Create claim")).click()
    page.wait_for_selector("#claim-detail:not([hidden])")
    assert toolbar.is_hidden()
    claim = Claim.objects.get(article=ru)
    assert (claim.start, claim.end) == claim_span(ru, SENTENCE)
    assert claim.quote == SENTENCE
    assert claim.created_by == analyst_user

    # Mark it disputed.
    page.locator("#verdict-field").get_by_text("Disputed").click()
    page.wait_for_function(
        "() => document.querySelector('#claim-list .claim-item .verdict-badge')"
        ".textContent === 'Disputed'"
    )
    claim.refresh_from_db()
    assert claim.verdict == Verdict.DISPUTED
    assert claim.version == 2
    assert all("v-disputed" in m["cls"] for m in b.marks_of(claim.pk))

    # Cite a source: its link shows "checking" until the check finishes.
    page.get_by_label("URL").fill(gone_page)
    page.get_by_label("Title").fill("The letter")
    page.get_by_label("Stance").select_option("refutes")
    page.get_by_role("button", name="Add evidence").click()
    badge = page.locator("#evidence-list .link-badge").first
    badge.wait_for()
    assert badge.text_content() == "checking"
    evidence = claim.evidence.get()
    assert evidence.url == gone_page and evidence.stance == "refutes"

    # The check runs (the real checker, through the service the Celery task calls; the live
    # server's test database is out of a worker process's reach) and finds the page gone: the
    # badge changes without a reload.
    outcomes = linkcheck_service.links_check_run(link_ids=[evidence.source_link_id], force=True)
    assert [(o.status, o.outcome) for o in outcomes.values()] == [("done", "broken")]
    page.wait_for_function(
        "() => document.querySelector('#evidence-list .link-badge').textContent === 'broken'"
    )
    assert "HTTP 404" in badge.get_attribute("title")
    # A link whose page changed since it was cited gets a "changed" badge beside its outcome.
    badges = page.evaluate(
        """() => {
            const box = document.createElement('span');
            window.annotator.fillBadges(box, {
                link: {outcome: 'ok', http_status: 200},
                source_changed_at: '2026-11-01T10:00:00Z',
                excerpt_found: false,
            });
            return Array.from(box.children).map((b) => b.textContent);
        }"""
    )
    assert badges == ["ok", "changed"]

    # Reload: the highlight is in the same place, painted as disputed.
    page.reload()
    b.wait_ready()
    marks = b.marks_of(claim.pk)
    assert "".join(m["text"] for m in marks) == SENTENCE
    assert marks[0]["o"] == claim.start
    assert all("v-disputed" in m["cls"] for m in marks)
    # The URL remembers the open claim.
    assert page.locator("#claim-detail").is_visible()
    assert page.locator("#detail-quote mark").text_content() == SENTENCE


def test_overlapping_and_nested_claims_paint_in_segments(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    outer = add_claim(
        ru, "президент Венесуэлы написал письмо", analyst_user, verdict=Verdict.VERIFIED
    )
    crossing = add_claim(
        ru, "написал письмо для Владимира Путина", analyst_user, verdict=Verdict.DISPUTED
    )
    inner = add_claim(ru, "письмо", analyst_user, verdict=Verdict.UNSOURCED)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru)

    segments = b.page.evaluate(
        """() => Array.from(document.querySelectorAll('#article-body mark.hl'))
            .map((m) => [m.textContent, m.dataset.claims, m.className])"""
    )
    ids = {outer.pk: "outer", crossing.pk: "crossing", inner.pk: "inner"}
    painted = [
        (text, sorted(ids[int(i)] for i in claims.split()), cls)
        for text, claims, cls in segments
        if set(map(int, claims.split())) & set(ids)
    ]
    assert [(t, c) for t, c, _ in painted] == [
        ("президент Венесуэлы ", ["outer"]),
        ("написал ", ["crossing", "outer"]),
        ("письмо", ["crossing", "inner", "outer"]),
        (" для Владимира Путина", ["crossing"]),
    ]
    # The innermost claim gives the colour; the depth shows how many claims overlap.
    assert "v-verified" in painted[0][2] and "depth" not in painted[0][2]
    # "написал " lies in both outer (34 letters) and crossing (35): the shorter one colours it.
    assert "v-verified" in painted[1][2] and "depth-2" in painted[1][2]
    assert "v-unsourced" in painted[2][2] and "depth-3" in painted[2][2]
    assert "v-disputed" in painted[3][2]
    # Each claim's segments put together are its quote, starting at its offset.
    for claim in (outer, crossing, inner):
        marks = b.marks_of(claim.pk)
        assert "".join(m["text"] for m in marks) == claim.quote
        assert marks[0]["o"] == claim.start

    # From the keyboard: Enter with the caret in the text opens the innermost claim there.
    b.page.focus("#article-body")
    b.page.evaluate("(cp) => window.annotator.placeCaret(cp)", inner.start + 2)
    b.page.keyboard.press("Enter")
    assert b.page.evaluate("() => window.annotator.currentId") == inner.pk
    b.page.keyboard.press("Enter")
    assert b.page.evaluate("() => window.annotator.currentId") in (outer.pk, crossing.pk)
    b.page.keyboard.press("Escape")

    # A click opens the innermost claim; clicking again cycles through the stack.
    word = b.page.locator("#article-body mark.hl.depth-3")
    word.click()
    assert b.page.locator("#detail-quote mark").text_content() == "письмо"
    word.click()
    assert b.page.locator("#detail-quote mark").text_content() != "письмо"

    # The list is in text order, shows trailing context and filters by verdict.
    items = b.page.locator("#claim-list .claim-item")
    texts = items.all_text_contents()
    listed = [int(i) for i in items.evaluate_all("(els) => els.map((e) => e.dataset.id)")]
    in_text_order = sorted((outer, crossing, inner), key=lambda c: (c.start, c.end, c.pk))
    assert listed == [c.pk for c in in_text_order]
    assert "президент Венесуэлы написал письмо" in texts[0]
    assert "для Владимира" in texts[0]  # trailing context of the outer claim
    b.page.get_by_label("Show").select_option("disputed")
    assert items.count() == 1
    assert "написал письмо для Владимира Путина" in items.first.text_content()


def test_claim_after_emoji_stores_code_point_offsets(open_browser, live_seeds, analyst_user):
    body = (
        "Смайлик 👋🏽 и флаг 🇺🇦 стоят перед утверждением.\n\n"
        "Математика 𝔘𝔫𝔦: в 2024 году цены выросли на 12%."
    )
    article = Article.objects.create(
        title="Эмодзи", slug="emoji", body=body, language="ru", content_hash="x"
    )
    quote = "в 2024 году цены выросли на 12%"
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(article)
    b.drag_select(quote)
    b.page.keyboard.press("c")
    b.page.wait_for_selector("#claim-detail:not([hidden])")
    claim = Claim.objects.get(article=article)
    start = body.index(quote)
    assert (claim.start, claim.end, claim.quote) == (start, start + len(quote), quote)
    # JavaScript counts UTF-16 units: the same place is further along there.
    utf16_start = b.page.evaluate("(q) => window.annotator.body.indexOf(q)", quote)
    assert utf16_start > claim.start
    b.page.reload()
    b.wait_ready()
    marks = b.marks_of(claim.pk)
    assert "".join(m["text"] for m in marks) == quote
    assert marks[0]["o"] == claim.start

    # A claim on the emoji itself: a selection never splits a surrogate pair.
    b.select_text("👋🏽")
    b.page.keyboard.press("c")
    b.page.wait_for_function("() => window.annotator.claims.size === 2")
    emoji = Claim.objects.exclude(pk=claim.pk).get()
    assert emoji.quote == "👋🏽" and emoji.end - emoji.start == 2


def test_the_whole_flow_by_keyboard(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    other = add_claim(ru, "Николас Мадуро также обращался к Китаю", analyst_user)
    b = open_browser()
    page = b.page
    kb = page.keyboard
    page.goto("/accounts/login/")
    page.wait_for_function("() => document.activeElement.id === 'id_username'")  # autofocus
    kb.type("olena")
    kb.press("Tab")
    kb.type("pw-olena")
    kb.press("Enter")
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            kb.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to(f"() => document.activeElement.textContent === {ru.title!r}")
    kb.press("Enter")
    b.wait_ready()

    # Reach the article text, put the caret in the third paragraph, select its first sentence.
    tab_to("() => document.activeElement.id === 'article-body'")
    kb.press("ArrowRight")
    for _ in range(2):
        kb.press("Control+ArrowDown")
    kb.press("ArrowRight")
    kb.press("Shift+Control+ArrowRight")
    page.locator("#selection-toolbar").wait_for(state="visible")
    word = page.evaluate("() => window.annotator.selectionSpan().quote")
    assert word and word in SENTENCE  # a word of the sentence, selected from the keyboard
    kb.press("s")
    assert page.evaluate("() => window.annotator.selectionSpan().quote") == SENTENCE
    kb.press("c")
    page.wait_for_selector("#claim-detail:not([hidden])")
    claim = Claim.objects.get(article=ru, quote=SENTENCE)

    # Verdicts by key; Ctrl+Z undoes the last change.
    kb.press("d")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).verdict === 'disputed'", arg=claim.pk
    )
    kb.press("v")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).verdict === 'verified'", arg=claim.pk
    )
    kb.press("Control+z")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).verdict === 'disputed'", arg=claim.pk
    )
    claim.refresh_from_db()
    assert claim.verdict == Verdict.DISPUTED

    # Typing in a field fires no shortcut: "dvujkc" lands in the rationale, nothing else moves.
    kb.press("r")
    assert page.evaluate("() => document.activeElement.id") == "rationale"
    kb.type("Quoted by WP only; dvujkc?")
    kb.press("Control+Enter")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).rationale.endsWith('dvujkc?')", arg=claim.pk
    )
    claim.refresh_from_db()
    assert claim.verdict == Verdict.DISPUTED
    assert claim.rationale == "Quoted by WP only; dvujkc?"
    assert page.locator("#shortcuts").evaluate("(d) => d.open") is False

    # Evidence by keyboard: E jumps to the URL field, Enter adds it.
    kb.press("Escape")
    kb.press("e")
    kb.type(EVIDENCE_URL)
    kb.press("Enter")
    page.locator("#evidence-list .link-badge").wait_for()
    assert claim.evidence.count() == 1
    kb.press("Escape")

    # ? shows the overlay; Escape closes it.
    kb.press("?")
    assert page.locator("#shortcuts").evaluate("(d) => d.open") is True
    kb.press("Escape")
    assert page.locator("#shortcuts").evaluate("(d) => d.open") is False

    # J / K move between claims in text order; Shift+U judges and moves on in one key.
    kb.press("k")
    page.wait_for_function(
        "(id) => window.annotator.currentId === id", arg=claim.pk
    )  # already the first claim: stays
    kb.press("j")
    page.wait_for_function("(id) => window.annotator.currentId === id", arg=other.pk)
    kb.press("k")
    page.wait_for_function("(id) => window.annotator.currentId === id", arg=claim.pk)
    kb.press("Shift+U")
    page.wait_for_function("(id) => window.annotator.currentId === id", arg=other.pk)
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).verdict === 'unsourced'", arg=claim.pk
    )
    # 2 (one key): disputed, and on to the next claim; at the last claim it stays there.
    kb.press("2")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).verdict === 'disputed'", arg=other.pk
    )
    assert page.evaluate("() => window.annotator.currentId") == other.pk
    kb.press("Escape")
    assert page.locator("#claim-detail").is_hidden()

    # Every control in the panel is reachable with Tab and has an accessible name.
    kb.press("j")
    unnamed = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '#annotator :is(button, input, select, textarea, a)'))
            .filter((el) => el.offsetParent !== null)
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                             && !el.textContent.trim())
            .map((el) => el.outerHTML)"""
    )
    assert unnamed == []

    # Walking the claim list with J keeps the focus on the current item.
    page.locator("#claim-list .claim-item").first.focus()
    kb.press("Enter")
    kb.press("j")
    assert page.evaluate("() => document.activeElement.dataset.id") == str(other.pk)


def test_xss_attempts_are_shown_as_text(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    script = "<script>window.__xss = 1</script>"
    img = '<img src=x onerror="window.__xss = 2">'
    claim = add_claim(ru, "Владимира Путина", analyst_user, rationale=img)
    services.evidence_add(
        claim=claim,
        actor=analyst_user,
        url="https://example.org/?q=<script>",
        title=script,
        excerpt=img,
        note=script + img,
    )
    xss_article = Article.objects.create(
        title=script, slug="xss", body=f"Intro {img} and {script}.", language="en", content_hash="x"
    )
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={claim.pk}")
    page = b.page
    page.wait_for_selector("#claim-detail:not([hidden])")
    assert page.locator("#rationale").input_value() == img
    item = page.locator("#evidence-list .evidence-item")
    assert item.locator("a").text_content() == script
    assert item.locator(".evidence-excerpt").text_content() == img
    assert item.locator(".evidence-note").text_content() == script + img
    page.locator("#history summary").click()
    page.locator("#history-list li").first.wait_for()
    assert script in page.locator("#history-list").text_content()
    b.open_article(xss_article)
    assert page.locator("#article-title").text_content() == script
    assert img in page.locator("#article-body").text_content()
    b.select_text(img)
    page.keyboard.press("c")
    page.wait_for_selector("#claim-detail:not([hidden])")
    assert page.locator("#detail-quote mark").text_content() == img
    assert page.locator("#annotator img, #annotator script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert b.dialogs == []


def test_a_conflict_is_resolved_from_two_browsers(open_browser, live_seeds, analyst_user):
    """The analyst's own assessment, changed in one browser while the other is on the old one."""
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    first = open_browser()
    first.login("olena", "pw-olena")
    first.open_article(ru, f"#claim={claim.pk}")
    second = open_browser()
    second.login("olena", "pw-olena")
    second.open_article(ru, f"#claim={claim.pk}")

    # One browser judges it first...
    first.page.locator("#verdict-field").get_by_text("Verified").click()
    first.page.wait_for_function(
        "(id) => window.annotator.claims.get(id).my_assessment.version === 2", arg=claim.pk
    )
    # ...while the other, on the old version, writes a rationale and saves.
    page = second.page
    typed = "Only one outlet reports the letter."
    page.get_by_label("Rationale").fill(typed)
    page.get_by_role("button", name="Save rationale").click()
    conflict = page.locator("#conflict")
    conflict.wait_for(state="visible")
    assert "Verified" in page.locator("#conflict-theirs").text_content()
    assert "version 2" in page.locator("#conflict-theirs").text_content()
    assert typed in page.locator("#conflict-mine").text_content()
    assert page.get_by_label("Rationale").input_value() == typed  # nothing typed is lost
    claim.refresh_from_db()
    assert claim.rationale == "" and claim.verdict == Verdict.VERIFIED

    page.get_by_role("button", name="Re-apply my input").click()
    conflict.wait_for(state="hidden")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).my_assessment.version === 3", arg=claim.pk
    )
    claim.refresh_from_db()
    assert (claim.verdict, claim.rationale) == (Verdict.VERIFIED, typed)
    assert page.locator("input[name=verdict][value=verified]").is_checked()


def test_network_errors_keep_the_input(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={claim.pk}")
    page = b.page
    typed = "Written while the network was down."
    page.get_by_label("Rationale").fill(typed)
    page.get_by_label("URL").fill(EVIDENCE_URL)
    b.context.set_offline(True)
    page.get_by_role("button", name="Save rationale").click()
    alert = page.locator("#alerts")
    alert.get_by_text("cannot be reached").wait_for()
    assert page.get_by_label("Rationale").input_value() == typed
    page.get_by_role("button", name="Add evidence").click()
    # The evidence's own alert: the form is cleared at once and filled again on failure.
    alert.get_by_text("was not saved").wait_for()
    assert page.get_by_label("URL").input_value() == EVIDENCE_URL
    b.context.set_offline(False)
    alert.get_by_role("button", name="Try again").click()
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).evidence.length === 1", arg=claim.pk
    )
    page.get_by_role("button", name="Save rationale").click()
    page.wait_for_function("(id) => window.annotator.claims.get(id).version === 2", arg=claim.pk)
    claim.refresh_from_db()
    assert claim.rationale == typed
    assert claim.evidence.get().url == EVIDENCE_URL


def test_evidence_edit_remove_undo_and_history(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    services.evidence_add(claim=claim, actor=analyst_user, url=EVIDENCE_URL, title="First")
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={claim.pk}")
    page = b.page
    item = page.locator("#evidence-list .evidence-item")
    item.get_by_role("button", name=re.compile("^Edit")).click()
    assert page.get_by_label("URL").input_value() == EVIDENCE_URL
    page.get_by_label("Title").fill("Renamed")
    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_function(
        "() => document.querySelector('#evidence-list a').textContent === 'Renamed'"
    )
    assert claim.evidence.get().title == "Renamed"

    item.get_by_role("button", name=re.compile("^Remove")).click()
    page.get_by_text("No evidence yet.").wait_for()
    assert claim.evidence.count() == 0
    page.locator("#claim-detail").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "() => document.querySelectorAll('#evidence-list .evidence-item').length === 1"
    )
    assert claim.evidence.get().title == "Renamed"

    page.keyboard.press("h")
    page.locator("#history-list > li").nth(2).wait_for()
    history = page.locator("#history-list").text_content()
    assert "evidence deleted" in history and "olena" in history

    # Undo a claim's creation: it goes again.
    b.select_text("Николас Мадуро")
    page.keyboard.press("c")
    page.wait_for_function("() => window.annotator.claims.size === 2")
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.annotator.claims.size === 1")
    assert Claim.objects.count() == 1


def test_read_only_for_another_analysts_claim(
    open_browser, live_seeds, analyst_user, django_user_model
):
    support.cast_user("other_analyst")
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    b = open_browser()
    b.login("pavlo", "pw-pavlo")
    b.open_article(ru, f"#claim={claim.pk}")
    page = b.page
    page.wait_for_selector("#claim-detail:not([hidden])")
    assert page.locator("#detail-readonly").is_visible()
    assert page.get_by_label("URL").is_disabled()  # her span and evidence stay hers
    # His verdict is his own assessment beside hers: hers is not touched.
    assert page.get_by_label("Rationale").is_enabled()
    page.keyboard.press("d")
    page.wait_for_function(
        "(id) => window.annotator.claims.get(id).my_assessment !== null", arg=claim.pk
    )
    mine = {a.analyst.username: a.verdict for a in claim.assessments.select_related("analyst")}
    assert mine == {"olena": Verdict.PENDING, "pavlo": Verdict.DISPUTED}


def test_typed_input_survives_switching_claims_and_a_reload(open_browser, live_seeds, analyst_user):
    ru = live_seeds["ru"]
    first = add_claim(ru, SENTENCE, analyst_user)
    second = add_claim(ru, "Николас Мадуро также обращался к Китаю", analyst_user)
    b = open_browser()
    b.login("olena", "pw-olena")
    b.open_article(ru, f"#claim={first.pk}")
    page = b.page
    typed = "Half-written rationale"
    page.get_by_label("Rationale").fill(typed)
    page.get_by_label("URL").fill(EVIDENCE_URL)
    page.locator("#claim-detail").focus()
    page.keyboard.press("j")
    page.wait_for_function("(id) => window.annotator.currentId === id", arg=second.pk)
    assert page.get_by_label("Rationale").input_value() == ""
    assert page.get_by_label("URL").input_value() == ""
    page.keyboard.press("k")
    page.wait_for_function("(id) => window.annotator.currentId === id", arg=first.pk)
    assert page.get_by_label("Rationale").input_value() == typed
    assert page.get_by_label("URL").input_value() == EVIDENCE_URL

    # The page asks before leaving with unsaved input; after a reload the draft is back.
    b.leave_unsaved = True
    page.reload()
    b.wait_ready()
    assert b.dialogs == ["beforeunload"]
    assert page.get_by_label("Rationale").input_value() == typed
    page.get_by_role("button", name="Save rationale").click()
    page.wait_for_function("(id) => window.annotator.claims.get(id).version === 2", arg=first.pk)
    first.refresh_from_db()
    assert first.rationale == typed


def test_a_reviewer_signs_off_from_the_panel(open_browser, live_seeds, analyst_user, reviewer_user):
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user, verdict=Verdict.VERIFIED)
    pending = add_claim(ru, "Николас Мадуро", analyst_user)
    b = open_browser()
    b.login("iryna", "pw-iryna")
    b.open_article(ru, f"#claim={pending.pk}")
    page = b.page
    assert page.get_by_role("button", name="Sign off").is_disabled()  # pending: nothing to vouch
    page.locator("#claim-list .claim-item", has_text="WP пишет").click()
    page.get_by_role("button", name="Sign off").click()
    # No rationale, no evidence: the reviewer is told, and signs off anyway.
    page.locator("#confirm-dialog").get_by_role("button", name="Sign off anyway").click()
    page.get_by_role("button", name="Withdraw sign-off").wait_for()
    claim.refresh_from_db()
    assert claim.signed_off_by == reviewer_user
    assert "signed off" in page.locator("#claim-list").text_content()

    analyst = open_browser()
    analyst.login("olena", "pw-olena")
    analyst.open_article(ru, f"#claim={claim.pk}")
    assert analyst.page.locator("#sign-off").is_hidden()


def test_a_user_without_a_role_only_reads(
    open_browser, live_seeds, analyst_user, django_user_model
):
    django_user_model.objects.create_user(username="visitor", password="pw-visitor")
    ru = live_seeds["ru"]
    claim = add_claim(ru, SENTENCE, analyst_user)
    b = open_browser()
    b.login("visitor", "pw-visitor")
    b.open_article(ru)
    page = b.page
    assert page.locator("#claim-list .claim-item").count() == 1
    b.select_text("Николас Мадуро")
    # The toolbar is updated on the next animation frame: wait two frames, then look.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.locator("#selection-toolbar").is_hidden()
    page.keyboard.press("c")
    page.locator("#alerts").get_by_text("cannot create claims").wait_for()
    page.locator("#claim-list .claim-item").first.click()
    assert page.get_by_label("Rationale").is_disabled()
    assert Claim.objects.get().pk == claim.pk
