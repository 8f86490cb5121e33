"""Fetch one source link, politely and safely, and describe what came back.

Plain ``http.client`` with our own connection classes: each hop is resolved and
checked by ``safety.check_destination`` and the socket connects to the checked
address (TLS still verifies the certificate against the host name), so the
address policy holds at every redirect hop and against DNS rebinding.

The checker sends GET only. A HEAD request would save nothing here: every check
needs the body anyway (the title and the text hash), and servers that refuse HEAD
(405) or answer it differently from GET would cost a second request.
"""

import hashlib
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import client as http_client
from urllib.parse import urljoin

from annotations import weburl
from annotations.linkcheck import safety
from annotations.linkcheck.pagetext import decode_body, detect_charset, extract
from annotations.models import LinkOutcome

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
        )


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
    text_sha256: str = ""
    text: str = ""  # whitespace-normalised, for the excerpt search; not stored
    response_ms: int | None = None
    error: str = ""
    transient: bool = False  # worth trying again later
    retry_after: float | None = None  # seconds, from a Retry-After header


class _Deadline(Exception):
    pass


def _connect(address: str, port: int, timeout: float | None) -> socket.socket:
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


class _PinnedHTTPConnection(http_client.HTTPConnection):
    """Connects to an address that was already checked, never to a fresh DNS answer."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self.timeout)


class _PinnedHTTPSConnection(http_client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()  # kept: the base class's `_context` is private
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = _connect(self._address, self.port, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


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
) -> FetchResult:
    """Fetch ``url`` following redirects; never raises for anything the network does."""
    started = time.monotonic()
    deadline = started + policy.total_timeout
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
                result.error = f"redirect to {current}: {exc}" if hop else str(exc)
                return result
            except safety.Unresolvable as exc:
                result.outcome = UNREACHABLE
                result.error = str(exc)
                result.transient = exc.transient
                return result
            status, headers, body, truncated = _request(
                scheme, destination, target, policy, deadline
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
            result.content_type = headers.get("content-type", "")[:200]
            declared = headers.get("content-length", "")
            result.content_length = (
                int(declared) if declared.isdigit() else (None if truncated else len(body))
            )
            result.body_truncated = truncated
            result.body_sha256 = sha256(body)
            result.charset = detect_charset(body, result.content_type)
            title, text = extract(decode_body(body, result.charset), result.content_type)
            result.page_title, result.text = title, text
            result.text_sha256 = sha256(text) if text else ""
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


def _remaining(deadline: float, limit: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Deadline
    return min(left, limit)


def _request(
    scheme: str,
    destination: safety.Destination,
    target: str,
    policy: FetchPolicy,
    deadline: float,
) -> tuple[int, dict[str, str], bytes, bool]:
    """One GET to the checked addresses: (status, headers, body up to the cap, cut?)."""
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in destination.addresses:
        connection = connection_class(
            destination.host,
            destination.port,
            address,
            timeout=_remaining(deadline, policy.connect_timeout),
        )
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
            sock.settimeout(_remaining(deadline, policy.read_timeout))
            connection.putrequest("GET", target, skip_accept_encoding=True)
            connection.putheader("User-Agent", policy.user_agent)
            connection.putheader("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            connection.putheader("Accept-Encoding", "identity")
            connection.putheader("Connection", "close")
            connection.endheaders()
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            chunks: list[bytes] = []
            size = 0
            truncated = False
            while True:
                sock.settimeout(_remaining(deadline, policy.read_timeout))
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
            return response.status, headers, body, truncated
        finally:
            connection.close()
            sock.close()
    raise last_error or ConnectionError("no address to connect to")
