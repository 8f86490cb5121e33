"""One deadline for the whole fetch, whatever the server does (issue 9, item 1).

Each slow server sends a byte more often than the per-read timeout, so only a deadline
checked between reads can end the fetch; it must end as ``timeout`` at about the total.
"""

import time
from dataclasses import replace

import pytest

from annotations.linkcheck import fetch as f
from tests.linkcheck.test_fetch import POLICY

TOTAL = 1.5
SLOW = replace(POLICY, read_timeout=1, total_timeout=TOTAL)
MARGIN = 1.0  # scheduling slack on two shared cores; the trickle itself lasts 60 s or more


@pytest.mark.parametrize("part", ["status", "headers", "chunk", "body"])
def test_a_trickling_server_ends_as_timeout_at_the_total_deadline(web, part):
    started = time.monotonic()
    result = f.fetch(f"{web.base}/drip/{part}?every=0.3", SLOW)
    elapsed = time.monotonic() - started
    assert result.outcome == f.TIMEOUT, result.error
    assert result.transient is True
    assert TOTAL - 0.1 <= elapsed <= TOTAL + MARGIN
    assert "time limit" in result.error


def test_a_name_lookup_that_hangs_counts_against_the_deadline():
    def hanging_resolver(host: str, port: int) -> list[str]:
        time.sleep(10)
        return ["127.0.0.1"]

    started = time.monotonic()
    result = f.fetch("http://slow-dns.test/", SLOW, resolver=hanging_resolver)
    assert result.outcome == f.TIMEOUT
    assert time.monotonic() - started <= TOTAL + MARGIN


def test_too_many_header_lines_are_refused(web):
    result = f.fetch(f"{web.base}/many-headers", replace(POLICY, max_headers=100))
    assert result.outcome == f.BROKEN
    assert "header lines" in result.error


def test_an_overlong_header_line_is_refused(web):
    result = f.fetch(f"{web.base}/long-header", replace(POLICY, max_header_line=8192))
    assert result.outcome == f.BROKEN
    assert "over 8192 bytes" in result.error


def test_headers_within_the_caps_are_read(web):
    web.pages["/some-headers"] = (
        200,
        {f"X-H{i}": "v" * 100 for i in range(40)},
        b"<title>t</title>",
    )
    result = f.fetch(f"{web.base}/some-headers", replace(POLICY, max_headers=50))
    assert result.outcome == f.OK and result.page_title == "t"
