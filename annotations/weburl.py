"""Web addresses, parsed once: for citations (``services.normalise_url``) and for the
link checker (``linkcheck.fetch``), so both agree on what a usable link is.

Each caller words the one set of reasons (``Reason``) in its own vocabulary: the desk gets
a form message and an error code, the check history gets a technical explanation.
"""

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit, urlunsplit

MAX_LENGTH = 2000  # SourceLink.url and Evidence.url
DEFAULT_PORTS = {"http": 80, "https": 443}


class Reason(StrEnum):
    UNPARSABLE = "unparsable"
    SCHEME = "scheme"
    NO_HOST = "no_host"
    SPACES = "spaces"
    HOST_ENCODING = "host_encoding"
    TOO_LONG = "too_long"


class BadURL(ValueError):
    """Why a URL cannot be cited or fetched; ``detail`` says what was found."""

    def __init__(self, reason: Reason, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class WebURL:
    parts: SplitResult
    scheme: str  # lower case
    host: str  # as ``urlsplit`` gives it: lower case, no brackets
    port: int | None  # as written; None when none is given

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.scheme]

    @property
    def target(self) -> str:
        """What goes on the request line: the path (``/`` at least) and the query."""
        return (self.parts.path or "/") + (f"?{self.parts.query}" if self.parts.query else "")


def parse(url: str) -> WebURL:
    """An http(s) URL with a host and no white space, or ``BadURL``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadURL(Reason.UNPARSABLE, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(Reason.SCHEME, scheme)
    if not parts.hostname:
        raise BadURL(Reason.NO_HOST)
    if any(ch.isspace() for ch in url):
        raise BadURL(Reason.SPACES)
    return WebURL(parts=parts, scheme=scheme, host=parts.hostname, port=port)


def normalise(url: str) -> str:
    """The canonical form under which citations share one SourceLink.

    Lower-case scheme and host (IDNA-encoded), no default port, no fragment, and a
    ``/`` path when none is given. The query string stays: it often names the page.
    """
    url = (url or "").strip()
    if len(url) > MAX_LENGTH:
        raise BadURL(Reason.TOO_LONG, str(len(url)))
    parsed = parse(url)
    host = parsed.host
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise BadURL(Reason.HOST_ENCODING, str(exc)) from None
    if ":" in host:
        host = f"[{host}]"
    port = parsed.port
    netloc = host if port in (None, DEFAULT_PORTS[parsed.scheme]) else f"{host}:{port}"
    parts = parsed.parts
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    normalised = urlunsplit((parsed.scheme, netloc, parts.path or "/", parts.query, ""))
    if len(normalised) > MAX_LENGTH:  # IDNA encoding can make a host longer than it was typed
        raise BadURL(Reason.TOO_LONG, str(len(normalised)))
    return normalised
