"""Browser fixtures: Debian's Chromium driven by Playwright against the live test server."""

import re
import threading
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from annotations.models import Article
from tests.conftest import REQUIRE_SERVICES, RU_SEED, UK_SEED
from tests.support import chromium_missing, launch_chromium


@pytest.fixture(scope="session")
def chromium(django_db_setup, django_db_blocker):
    """One headless Chromium for the whole session; each test gets fresh contexts.

    Playwright's sync API keeps an event loop in this thread, which makes Django refuse
    synchronous ORM calls; the test's own ORM calls are plain synchronous code, so they
    are allowed explicitly while the browser runs.
    """
    missing = chromium_missing()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(missing + " and REQUIRE_SERVICES=1")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def browser_env(settings):
    """Quick link-check polling, and cookies that work over the live server's plain HTTP."""
    settings.ANNOTATOR_POLL_MS = 300
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def live_seeds(live_server, browser_env) -> dict[str, Article]:
    """The seed articles in the live server's (transactional) database."""
    call_command("loaddata", "fixtures/articles.json", verbosity=0)
    return {
        "ru": Article.objects.get(source_file=RU_SEED),
        "uk": Article.objects.get(source_file=UK_SEED),
    }


class Browser:
    """A logged-in browser context with the few steps every test needs."""

    def __init__(self, chromium, base_url: str):
        self.context = chromium.new_context(
            base_url=base_url, viewport={"width": 1400, "height": 900}, locale="en-GB"
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(msg.text)
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        self.dialogs: list[str] = []
        self.leave_unsaved = False
        self.page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:
        """Record every dialog; leave a page with unsaved input only when the test says so."""
        self.dialogs.append(dialog.type if dialog.type == "beforeunload" else dialog.message)
        if dialog.type == "beforeunload" and self.leave_unsaved:
            dialog.accept()
        else:
            dialog.dismiss()

    def login(self, username: str, password: str) -> None:
        page = self.page
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"^http://[^/]+/$"))

    def open_article(self, article: Article, fragment: str = "") -> None:
        self.page.goto(f"/articles/{article.pk}/{fragment}")
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector("#annotator[data-ready='1']")

    def select_text(self, quote: str, occurrence: int = 0) -> None:
        """Select the quote in the article text as a user would, via a DOM range."""
        found = self.page.evaluate(
            """([quote, occurrence]) => {
                const a = window.annotator;
                const starts = [];
                let i = -1;
                while ((i = a.body.indexOf(quote, i + 1)) !== -1) starts.push(i);
                if (starts.length <= occurrence) return false;
                const utf16 = starts[occurrence];
                const start = Array.from(a.body.slice(0, utf16)).length;
                a.selectCps(start, start + Array.from(quote).length);
                return true;
            }""",
            [quote, occurrence],
        )
        assert found, f"{quote!r} is not in the article"

    def drag_select(self, quote: str) -> None:
        """Select the quote with the mouse: press before its first letter, release after it."""
        box = self.page.evaluate(
            """(quote) => {
                const a = window.annotator;
                const utf16 = a.body.indexOf(quote);
                const start = Array.from(a.body.slice(0, utf16)).length;
                const end = start + Array.from(quote).length;
                const rectOf = (cp) => {
                    const p = a.cpToPoint(cp);
                    const r = document.createRange();
                    r.setStart(p.node, p.offset);
                    const wide = p.node.data.codePointAt(p.offset) > 0xffff;
                    r.setEnd(p.node, p.offset + (wide ? 2 : 1));
                    const rect = r.getClientRects()[0];
                    return {left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom};
                };
                const first = rectOf(start);
                const last = rectOf(end - 1);
                return {first, last};
            }""",
            quote,
        )
        first, last = box["first"], box["last"]
        mouse = self.page.mouse
        mouse.move(first["left"] + 1, (first["top"] + first["bottom"]) / 2)
        mouse.down()
        mouse.move(last["right"] - 1, (last["top"] + last["bottom"]) / 2, steps=8)
        mouse.up()

    def marks_of(self, claim_id: int) -> list[dict]:
        """Each painted segment of a claim: its text and code-point offset."""
        return self.page.evaluate(
            """(id) => Array.from(document.querySelectorAll('#article-body mark.hl'))
                .filter((m) => m.dataset.claims.split(' ').map(Number).includes(id))
                .map((m) => ({text: m.textContent, o: Number(m.dataset.o),
                              claims: m.dataset.claims.split(' ').map(Number),
                              cls: m.className}))""",
            claim_id,
        )

    def close(self) -> None:
        self.context.close()


class InFlight:
    """The live server's WSGI app, counting the requests it is still answering.

    A closed browser context leaves the server thread finishing the page's last requests (a
    poll, say). On SQLite the test database's flush then meets "database table is locked";
    waiting for the count to reach zero before the test ends keeps the two apart.
    """

    def __init__(self, app):
        self.app = app
        self.active = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.active += 1
        try:
            return _Finished(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self.idle:
            self.active -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float = 10) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.active == 0, timeout=timeout)


class _Finished:
    """A response body that reports, once the server has closed it, that it was answered."""

    def __init__(self, body, done):
        self.body, self.done = body, done

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done()


def in_flight(live_server) -> InFlight:
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if not isinstance(app, InFlight):
        app = InFlight(app)
        httpd.set_app(app)
    return app


@pytest.fixture
def open_browser(chromium, live_server, browser_env) -> Iterator:
    """Open any number of independent browser contexts (two analysts, say)."""
    requests = in_flight(live_server)
    opened: list[Browser] = []

    def make() -> Browser:
        browser = Browser(chromium, live_server.url)
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.close()
    requests.wait_idle()  # before the database is flushed under the server's feet
    errors = [e for b in opened for e in b.errors]
    assert not errors, f"JavaScript errors in the page: {errors}"
