"""The fetcher against a real HTTP server on loopback (allowed explicitly by the policy)."""

import hashlib
import socket
import tracemalloc

import pytest

from annotations.linkcheck import fetch as f
from tests.linkcheck.conftest import CP1251_PAGE

POLICY = f.FetchPolicy(
    connect_timeout=1,
    read_timeout=1,
    total_timeout=2.5,
    max_body_bytes=2 * 1024 * 1024,
    user_agent="WorkbenchTest/1.0 (+https://desk.example/)",
    allowed_hosts=("127.0.0.1", "localhost"),
)


def test_ok_page_with_utf8_title_and_hashes(web):
    result = f.fetch(f"{web.base}/ok", POLICY)
    assert result.outcome == f.OK
    assert result.http_status == 200
    assert result.page_title == "Заява МЗС України"
    assert result.final_url == f"{web.base}/ok"
    assert result.redirect_chain == []
    assert result.content_type == "text/html; charset=utf-8"
    assert result.body_truncated is False
    body_len = result.content_length
    assert body_len and body_len > 100
    assert len(result.body_sha256) == 64 and len(result.text_sha256) == 64
    assert result.body_sha256 != result.text_sha256
    # Both hashes are over whitespace-normalised text; here the article is the whole page.
    assert result.text == ("Заява Міністерство закордонних справ заявило про нові санкції.")
    assert result.text_source == "main"
    assert result.main_text_sha256 == hashlib.sha256(result.text.encode()).hexdigest()
    assert result.text_sha256 == result.main_text_sha256
    assert result.response_ms is not None
    assert not result.error


def test_honest_user_agent_and_get_only(web):
    result = f.fetch(f"{web.base}/agent", POLICY)
    assert result.text == "WorkbenchTest/1.0 (+https://desk.example/)"
    assert [method for method, _, _ in web.log] == ["GET"]


def test_head_refused_is_no_problem(web):
    """Servers that answer HEAD with 405 are fine: the checker sends GET (it needs the body)."""
    result = f.fetch(f"{web.base}/head405", POLICY)
    assert result.outcome == f.OK and result.page_title == "Заява МЗС України"
    assert [method for method, _, _ in web.log] == ["GET"]


@pytest.mark.parametrize(
    ("path", "title", "charset"),
    [
        ("/cp1251", "Новости дня: заявление министра", "cp1251"),
        ("/koi8", "Погода в Москве", "koi8-r"),
    ],
)
def test_cyrillic_charset_declared_only_in_meta(web, path, title, charset):
    result = f.fetch(f"{web.base}{path}", POLICY)
    assert result.content_type == "text/html"  # no charset in the header
    assert result.charset == charset
    assert result.page_title == title


def test_charset_detection_rules():
    assert f.detect_charset(CP1251_PAGE, "text/html; charset=utf-8") == "utf-8"  # header wins
    assert f.detect_charset(CP1251_PAGE, "text/html") == "cp1251"
    assert f.detect_charset(b"\xef\xbb\xbf<p>x</p>", "text/html; charset=koi8-r") == "utf-8"
    assert f.detect_charset("<p>Привіт</p>".encode(), "") == "utf-8"
    assert f.detect_charset(b"<p>caf\xe9 au lait</p>", "") == "cp1252"
    assert f.detect_charset(b"<meta charset=bogus-charset>", "text/html") == "utf-8"
    # A body cut in the middle of a UTF-8 character is still UTF-8, and decodes cleanly.
    cut = "Київ".encode()[:-1]
    assert f.detect_charset(cut, "") == "utf-8"
    assert f.decode_body(cut, "utf-8") == "Киї"


def test_redirect_chain_301_then_302(web):
    result = f.fetch(f"{web.base}/r301", POLICY)
    assert result.outcome == f.REDIRECTED
    assert result.final_url == f"{web.base}/ok"
    assert result.redirect_chain == [
        {"url": f"{web.base}/r301", "status": 301},
        {"url": f"{web.base}/r302", "status": 302},
    ]
    assert result.http_status == 200 and result.page_title == "Заява МЗС України"


def test_redirect_loop_is_detected(web):
    result = f.fetch(f"{web.base}/loop-a", POLICY)
    assert result.outcome == f.BROKEN
    assert "redirect loop" in result.error
    assert web.paths() == ["/loop-a", "/loop-b"]


def test_at_most_ten_redirects(web):
    result = f.fetch(f"{web.base}/chain/0", POLICY)
    assert result.outcome == f.BROKEN
    assert result.error == f"more than 10 redirects (the next was {web.base}/chain/11)"
    assert len(web.log) == 11
    assert (
        result.final_url == f"{web.base}/chain/10"
    )  # the last one fetched, not the unchecked next


def test_redirect_to_another_scheme_is_refused(web):
    result = f.fetch(f"{web.base}/to?url=file:///etc/passwd", POLICY)
    assert result.outcome == f.BLOCKED
    assert "only http and https" in result.error


@pytest.mark.parametrize(
    ("path", "status", "transient"),
    [("/missing", 404, False), ("/down", 503, True)],
)
def test_http_errors_are_broken(web, path, status, transient):
    result = f.fetch(f"{web.base}{path}", POLICY)
    assert result.outcome == f.BROKEN
    assert result.http_status == status
    assert result.error == f"HTTP {status}"
    assert result.transient is transient


def test_429_reports_retry_after_in_seconds_or_as_a_date(web):
    result = f.fetch(f"{web.base}/busy?after=7", POLICY)
    assert (result.outcome, result.http_status, result.transient) == (f.BROKEN, 429, True)
    assert result.retry_after == 7
    dated = f.fetch(f"{web.base}/busy-date", POLICY)
    assert 100 < dated.retry_after <= 120


def test_slow_answer_times_out(web):
    result = f.fetch(f"{web.base}/slow?s=3", POLICY)
    assert result.outcome == f.TIMEOUT
    assert result.transient
    assert result.response_ms < 2000  # the read timeout (1 s), not the server's 3 s


def test_trickling_body_hits_the_total_deadline(web):
    """Each byte arrives within the read timeout; the total deadline still ends it."""
    result = f.fetch(f"{web.base}/trickle", POLICY)
    assert result.outcome == f.TIMEOUT
    assert 2400 <= result.response_ms < 4000


def test_endless_body_is_capped_and_memory_stays_flat(web):
    tracemalloc.start()
    try:
        result = f.fetch(f"{web.base}/endless", POLICY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == f.OK
    assert result.body_truncated is True
    assert result.content_length is None  # no Content-Length, and we did not read it all
    assert "body cut at 2097152 bytes" in result.error
    assert result.page_title == "Endless"
    assert peak < 20 * 1024 * 1024  # a small multiple of the 2 MB cap, not the gigabyte sent


def test_refused_connection_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = f.fetch(f"http://127.0.0.1:{port}/", POLICY)
    assert result.outcome == f.UNREACHABLE
    assert "ConnectionRefusedError" in result.error
    assert result.transient is False


def test_unknown_host_is_unreachable():
    result = f.fetch("http://no-such-host.invalid/", POLICY)
    assert result.outcome == f.UNREACHABLE
    assert "DNS lookup" in result.error


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/file", "javascript:alert(1)", "http:///nohost", "http://exa mple.org/"],
)
def test_unfetchable_urls_are_invalid(url):
    result = f.fetch(url, POLICY)
    assert result.outcome == f.INVALID
    assert result.error


def test_text_hash_ignores_markup_churn(web):
    first = f.fetch(f"{web.base}/nonce", POLICY)
    second = f.fetch(f"{web.base}/nonce", POLICY)
    assert first.body_sha256 != second.body_sha256
    assert first.text_sha256 == second.text_sha256
    assert first.text == "Парламент ухвалив закон."
