"""Fetch one source link, politely and safely, and describe what came back.

Plain ``http.client`` with our own connection classes: each hop is resolved and
checked by ``safety.check_destination`` and the socket connects to the checked
address (TLS still verifies the certificate against the host name), so the
address policy holds at every redirect hop and against DNS rebinding.

One deadline (``total_timeout``) bounds the whole fetch, whatever the server does: the
name lookup, the connection, the TLS handshake, the request, the status line, every header
and chunk-size line and the body. It is checked before every read and no blocking call may
outlast it, so a server that trickles a byte a second ends as ``timeout`` on time (a
per-read timeout alone never fires). Header lines and their number are capped too.

The checker sends GET only. A HEAD request would save nothing here: every check
needs the body anyway (the title and the text hash), and servers that refuse HEAD
(405) or answer it differently from GET would cost a second request.
"""

import functools
import hashlib
import io
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import client as http_client
from typing import Any
from urllib.parse import urljoin

from annotations import weburl
from annotations.linkcheck import safety
from annotations.linkcheck.pagetext import (
    decode_body,
    detect_charset,
    extract,
    extract_main,
)
from annotations.models import LinkOutcome, TextSource

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}
CHUNK = 64 * 1024

# The outcome names, from the one list the models store (short names for this module).
OK, REDIRECTED, BROKEN = LinkOutcome.OK, LinkOutcome.REDIRECTED, LinkOutcome.BROKEN
TIMEOUT, UNREACHABLE = LinkOutcome.TIMEOUT, LinkOutcome.UNREACHABLE
BLOCKED, INVALID = LinkOutcome.BLOCKED, LinkOutcome.INVALID


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 5
    read_timeout: float = 10
    total_timeout: float = 30
    max_body_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 10
    user_agent: str = "FactcheckWorkbench-LinkChecker/0.1"
    allowed_hosts: tuple[str, ...] = ()
    max_headers: int = 100
    max_header_line: int = 8192
    main_text: bool = True  # hash the article's main text too (trafilatura)
    keep_exchange: bool = False  # keep the final request and answer, body included (archiving)

    @classmethod
    def from_settings(cls) -> "FetchPolicy":
        from django.conf import settings

        return cls(
            connect_timeout=settings.LINKCHECK_CONNECT_TIMEOUT,
            read_timeout=settings.LINKCHECK_READ_TIMEOUT,
            total_timeout=settings.LINKCHECK_TOTAL_TIMEOUT,
            max_body_bytes=settings.LINKCHECK_MAX_BODY_BYTES,
            max_redirects=settings.LINKCHECK_MAX_REDIRECTS,
            user_agent=settings.LINKCHECK_USER_AGENT,
            allowed_hosts=tuple(settings.LINKCHECK_ALLOWED_HOSTS),
            max_headers=settings.LINKCHECK_MAX_HEADERS,
            max_header_line=settings.LINKCHECK_MAX_HEADER_LINE,
            main_text=settings.LINKCHECK_MAIN_TEXT,
            keep_exchange=settings.ARCHIVE_ENABLED,
        )


@dataclass
class Exchange:
    """The final hop's request and answer as they went over the wire (for the archive)."""

    url: str
    request_target: str
    request_headers: list[tuple[str, str]]
    http_version: str  # "HTTP/1.1"
    status: int
    reason: str
    response_headers: list[tuple[str, str]]  # as sent: order, case and repeats kept
    body: bytes  # up to the cap, as it came (after de-chunking, not decoded)
    truncated: bool


@dataclass
class FetchResult:
    url: str
    outcome: str = OK
    http_status: int | None = None
    final_url: str = ""
    redirect_chain: list[dict] = field(default_factory=list)
    content_type: str = ""
    charset: str = ""
    page_title: str = ""
    content_length: int | None = None
    body_truncated: bool = False
    body_sha256: str = ""
    text_sha256: str = ""  # of the visible text
    main_text_sha256: str = ""  # of the main text, when trafilatura found one
    text_source: str = ""  # which text decides "changed" and the excerpt search: main, visible
    text: str = ""  # that text, whitespace-normalised, for the excerpt search; not stored
    body: bytes = b""  # as read (up to the cap), until the text is read from it; not stored
    response_ms: int | None = None
    error: str = ""  # for everyone on the desk: names the policy, never a resolved address
    error_detail: str = ""  # for reviewers: what a blocked host resolved to
    transient: bool = False  # worth trying again later
    retry_after: float | None = None  # seconds, from a Retry-After header
    exchange: Exchange | None = None  # with ``keep_exchange``, once a page answered


class _Deadline(Exception):
    pass


class _HeadersTooLarge(http_client.HTTPException):
    pass


class _Clock:
    """The one deadline of a fetch: every blocking step gets at most what is left of it."""

    def __init__(self, total: float):
        self.deadline = time.monotonic() + total

    def left(self, limit: float = float("inf")) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Deadline
        return min(left, limit)


def _within(clock: _Clock, resolver: safety.Resolver) -> safety.Resolver:
    """The resolver run under the deadline: ``getaddrinfo`` cannot be interrupted, so it runs
    in a helper thread that is abandoned (it ends on its own) if the deadline passes first."""

    def resolve(host: str, port: int) -> list[str]:
        box: dict = {}

        def run() -> None:
            try:
                box["addresses"] = resolver(host, port)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        thread = threading.Thread(target=run, daemon=True, name="linkcheck-dns")
        thread.start()
        thread.join(clock.left())
        if thread.is_alive():
            raise _Deadline
        if "error" in box:
            raise box["error"]
        return box["addresses"]

    return resolve


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to exactly this IP address (no name lookup of any kind)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


class _DeadlineSocketReader(io.RawIOBase):
    """Reads the socket with each ``recv`` bounded by what is left of the deadline.

    It wraps the socket's own file (``sock.makefile``), which keeps the socket open until the
    response is closed, as ``http.client`` expects.
    """

    def __init__(self, file: io.RawIOBase, sock: socket.socket, clock: _Clock, limit: float):
        super().__init__()
        self._file, self._sock, self._clock, self._limit = file, sock, clock, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._clock.left(self._limit))
        return self._file.readinto(buffer)

    def close(self) -> None:
        self._file.close()
        super().close()


class _GuardedReader(io.BufferedReader):
    """Caps every line (status, header, chunk size) and the number of header lines."""

    def __init__(self, raw: io.RawIOBase, policy: FetchPolicy):
        super().__init__(raw, CHUNK)
        self.max_line = policy.max_header_line
        self.max_headers = policy.max_headers
        self.header_lines: int | None = -1  # the status line comes first; None once read

    def readline(self, limit: int | None = -1) -> bytes:
        cap = self.max_line + 1 if limit is None or limit < 0 else min(limit, self.max_line + 1)
        line = super().readline(cap)
        if len(line) > self.max_line:
            raise _HeadersTooLarge(f"a header or chunk-size line over {self.max_line} bytes")
        if self.header_lines is not None and line.strip():
            self.header_lines += 1
            if self.header_lines > self.max_headers:
                raise _HeadersTooLarge(f"more than {self.max_headers} header lines")
        return line


class _DeadlineResponse(http_client.HTTPResponse):
    def __init__(self, sock: Any, *args: Any, clock: _Clock, policy: FetchPolicy, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        raw = _DeadlineSocketReader(self.fp.detach(), sock, clock, policy.read_timeout)
        self.fp = _GuardedReader(raw, policy)


class _PinnedHTTPConnection(http_client.HTTPConnection):
    """Connects to an address that was already checked, never to a fresh DNS answer."""

    def __init__(self, host: str, port: int, address: str, clock: _Clock, policy: FetchPolicy):
        super().__init__(host, port, timeout=policy.connect_timeout)
        self._address, self._clock = address, clock
        self.response_class = functools.partial(  # type: ignore[assignment]
            _DeadlineResponse, clock=clock, policy=policy
        )

    def connect(self) -> None:
        self.sock = _connect(
            self._address, self.port, self._clock.left(self.timeout or float("inf"))
        )


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def connect(self) -> None:
        sock = _connect(self._address, self.port, self._clock.left(self.timeout or float("inf")))
        try:
            context = ssl.create_default_context()
            tls = context.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
            # The handshake's timeout is a deadline for the whole handshake (not per read).
            tls.settimeout(self._clock.left())
            tls.do_handshake()
        except BaseException:
            sock.close()
            raise
        self.sock = tls


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _host_header(host: str, port: int, scheme: str) -> str:
    """The Host header as ``http.client`` writes it (IPv6 in brackets, port if not default)."""
    try:
        name = host.encode("ascii").decode()
    except UnicodeEncodeError:
        name = host.encode("idna").decode()
    name = f"[{name}]" if ":" in name else name
    default = 443 if scheme == "https" else 80
    return name if port == default else f"{name}:{port}"


# --- The fetch


_MESSAGES = {
    weburl.Reason.UNPARSABLE: "not a valid URL: {detail}",
    weburl.Reason.SCHEME: "only http and https links are checked, not {detail}",
    weburl.Reason.NO_HOST: "the URL has no host",
    weburl.Reason.SPACES: "the URL contains spaces or control characters",
}


def _validate(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) or ValueError with a message."""
    try:
        parsed = weburl.parse(url)
        if any(ord(ch) < 32 for ch in url):  # never on the request line, even if not space
            raise weburl.BadURL(weburl.Reason.SPACES)
    except weburl.BadURL as exc:
        detail = exc.detail or ("no scheme" if exc.reason == weburl.Reason.SCHEME else "")
        raise ValueError(_MESSAGES[exc.reason].format(detail=detail)) from None
    return parsed.scheme, parsed.host, parsed.effective_port, parsed.target


def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    resolver: safety.Resolver = safety.system_resolver,
    read: bool = True,
) -> FetchResult:
    """Fetch ``url`` following redirects; never raises for anything the network does.

    With ``read=False`` the body is kept and its text is left for ``read_text`` to read:
    CPU work that the link checks do after freeing the host's slot.
    """
    started = time.monotonic()
    clock = _Clock(policy.total_timeout)
    resolver = _within(clock, resolver)
    result = FetchResult(url=url)
    visited: set[str] = set()
    current = url
    try:
        for hop in range(policy.max_redirects + 1):
            try:
                scheme, host, port, target = _validate(current)
            except ValueError as exc:
                result.outcome = BLOCKED if hop else INVALID
                result.error = f"redirect to {current}: {exc}" if hop else str(exc)
                return result
            visited.add(current)
            try:
                destination = safety.check_destination(
                    host, port, allowed_hosts=policy.allowed_hosts, resolver=resolver
                )
            except safety.Blocked as exc:
                result.outcome = BLOCKED
                prefix = f"redirect to {current}: " if hop else ""
                result.error, result.error_detail = prefix + str(exc), prefix + exc.detail
                return result
            except safety.Unresolvable as exc:
                result.outcome = UNREACHABLE
                result.error = str(exc)
                result.transient = exc.transient
                return result
            answer = _request(scheme, destination, target, policy, clock)
            status, headers, body, truncated = (
                answer.status,
                answer.headers,
                answer.body,
                answer.truncated,
            )
            result.http_status = status
            location = headers.get("location")
            if status in REDIRECT_STATUSES and location:
                next_url = urljoin(current, location.strip())
                result.redirect_chain.append({"url": current, "status": status})
                if next_url in visited:
                    result.outcome = BROKEN
                    result.final_url = next_url
                    result.error = f"redirect loop: {next_url} was already visited"
                    return result
                current = next_url
                continue
            result.final_url = current
            if policy.keep_exchange:
                result.exchange = Exchange(
                    url=current,
                    request_target=target,
                    request_headers=answer.request_headers,
                    http_version=answer.http_version,
                    status=status,
                    reason=answer.reason,
                    response_headers=answer.header_list,
                    body=body,
                    truncated=truncated,
                )
            result.content_type = headers.get("content-type", "")[:200]
            declared = headers.get("content-length", "")
            result.content_length = (
                int(declared) if declared.isdigit() else (None if truncated else len(body))
            )
            result.body_truncated = truncated
            result.body_sha256 = sha256(body)
            result.charset = detect_charset(body, result.content_type)
            result.body = body
            if read:
                read_text(result, policy)
            if 200 <= status < 300:
                result.outcome = REDIRECTED if result.redirect_chain else OK
            else:
                result.outcome = BROKEN
                result.error = f"HTTP {status}"
                result.transient = status in TRANSIENT_STATUSES
                result.retry_after = parse_retry_after(headers.get("retry-after"))
            if truncated:
                result.error = (
                    result.error + "; " if result.error else ""
                ) + f"body cut at {policy.max_body_bytes} bytes"
            return result
        result.outcome = BROKEN
        # The last fetched URL: where the last redirect pointed was never checked (it could
        # name any host or scheme), so it goes into the message only.
        result.final_url = result.redirect_chain[-1]["url"] if result.redirect_chain else url
        result.error = f"more than {policy.max_redirects} redirects (the next was {current})"
        return result
    except (_Deadline, TimeoutError):
        result.outcome = TIMEOUT
        result.error = f"no complete answer within the time limit (at {current})"
        result.transient = True
        return result
    except (_HeadersTooLarge, http_client.LineTooLong) as exc:
        result.outcome = BROKEN
        result.error = f"the answer of {current} is malformed: {exc}"
        return result
    except (ConnectionResetError, ConnectionAbortedError, http_client.RemoteDisconnected) as exc:
        result.outcome = UNREACHABLE
        result.error = f"connection dropped by {current}: {exc.__class__.__name__}"
        result.transient = True
        return result
    except ssl.SSLError as exc:
        result.outcome = UNREACHABLE
        result.error = f"TLS failed for {current}: {exc.reason or exc}"
        return result
    except (OSError, http_client.HTTPException) as exc:
        result.outcome = UNREACHABLE
        result.error = f"could not connect to {current}: {exc.__class__.__name__}: {exc}"
        return result
    finally:
        result.response_ms = int((time.monotonic() - started) * 1000)


def read_text(result: FetchResult, policy: FetchPolicy) -> FetchResult:
    """The title, both texts and their hashes of a fetched body; the main text decides when
    there is one. Does nothing for a fetch that got no body (or was read already)."""
    if not result.charset or result.text_source:
        return result
    decoded = decode_body(result.body, result.charset)
    title, text = extract(decoded, result.content_type)
    result.page_title, result.text = title, text
    result.text_sha256 = sha256(text) if text else ""
    result.text_source = TextSource.VISIBLE if text else ""
    main = extract_main(decoded, result.content_type) if policy.main_text and text else None
    if main:
        # Its lines are normalised already: joined by single spaces they are what
        # ``normalise_text`` of the whole would give, without a third pass over the page.
        result.text = main.replace("\n", " ")
        result.main_text_sha256 = sha256(result.text)
        result.text_source = TextSource.MAIN
    return result


@dataclass
class _Answer:
    status: int
    reason: str
    http_version: str
    header_list: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names, the last of repeats
    body: bytes  # up to the cap
    truncated: bool
    request_headers: list[tuple[str, str]]


def _request(
    scheme: str,
    destination: safety.Destination,
    target: str,
    policy: FetchPolicy,
    clock: _Clock,
) -> _Answer:
    """One GET to the checked addresses: the status, headers and body up to the cap."""
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in destination.addresses:
        connection = connection_class(destination.host, destination.port, address, clock, policy)
        try:
            connection.connect()
        except (ConnectionRefusedError, OSError) as exc:
            if isinstance(exc, TimeoutError | socket.timeout):
                connection.close()
                raise
            last_error = exc
            connection.close()
            continue
        sock = connection.sock  # http.client lets go of it once a "close" response starts
        try:
            sock.settimeout(clock.left(policy.read_timeout))
            connection.putrequest("GET", target, skip_accept_encoding=True)
            sent = [
                ("User-Agent", policy.user_agent),
                ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
                ("Accept-Encoding", "identity"),
                ("Connection", "close"),
            ]
            for name, value in sent:
                connection.putheader(name, value)
            connection.endheaders()
            # putrequest wrote the Host header itself; the archive's copy of the request
            # spells it the same way.
            request_headers = [("Host", _host_header(destination.host, destination.port, scheme))]
            request_headers += sent
            response = connection.getresponse()
            response.fp.header_lines = None  # type: ignore[attr-defined]  # the headers are read; chunk-size lines keep the cap
            header_list = response.getheaders()
            headers = {name.lower(): value for name, value in header_list}
            chunks: list[bytes] = []
            size = 0
            truncated = False
            while True:
                clock.left()
                chunk = response.read1(min(CHUNK, policy.max_body_bytes - size + 1))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > policy.max_body_bytes:
                    truncated = True
                    break
            body = b"".join(chunks)[: policy.max_body_bytes]
            response.close()
            return _Answer(
                status=response.status,
                reason=response.reason,
                http_version="HTTP/1.0" if response.version == 10 else "HTTP/1.1",
                header_list=header_list,
                headers=headers,
                body=body,
                truncated=truncated,
                request_headers=request_headers,
            )
        finally:
            connection.close()
            sock.close()
    raise last_error or ConnectionError("no address to connect to")
