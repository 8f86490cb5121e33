"""The Save Page Now 2 API, read into one kind of answer per documented response.

Two calls: ``submit`` (``POST /save``) and ``status`` (``GET /save/status/{job_id}``), both
with ``Authorization: LOW key:secret`` and ``Accept: application/json``. The host is the one
configured (``WAYBACK_API_URL``), never a cited URL, so the link checker's address policy
(``linkcheck.fetch``) has nothing to guard here; the standard library's HTTP client does.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

# Capture options SPN2 documents that a desk may want; credentials-bearing ones are left out.
CAPTURE_OPTIONS = frozenset(
    {
        "capture_all",
        "capture_outlinks",
        "capture_screenshot",
        "delay_wb_availability",
        "force_get",
        "skip_first_archive",
        "outlinks_availability",
        "js_behavior_timeout",
    }
)

# SPN2 errors its documentation puts on its own side or on load: worth another try later.
# Every other ``status_ext`` (not-found, blocked-url, invalid-url-syntax, no-access, ...) is
# about the page and final.
TRANSIENT_ERRORS = frozenset(
    {
        "error:bad-gateway",
        "error:bandwidth-limit-exceeded",
        "error:browsing-timeout",
        "error:cannot-fetch",
        "error:capture-location-error",
        "error:celery",
        "error:gateway-timeout",
        "error:internal-server-error",
        "error:invalid-server-response",
        "error:no-browsers-available",
        "error:proxy-error",
        "error:read-timeout",
        "error:redis-error",
        "error:service-unavailable",
        "error:soft-time-limit-exceeded",
    }
)
# The account's or the URL's budget is spent: wait, then try again.
RATE_LIMIT_ERRORS = frozenset(
    {"error:too-many-requests", "error:user-session-limit", "error:too-many-daily-captures"}
)
ACTIVE_SESSIONS_MESSAGE = "limit of active sessions"


class Kind(StrEnum):
    JOB = "job"  # submitted: poll this job id
    PENDING = "pending"  # the job is still running
    SUCCESS = "success"  # archived: timestamp (and original URL)
    RATE_LIMITED = "rate_limited"  # 429, or a budget error: again after a wait
    TRANSIENT = "transient"  # the service or the network failed: again later
    FAILED = "failed"  # the page cannot be archived (or the keys are refused): final


@dataclass(frozen=True)
class Answer:
    kind: Kind
    job_id: str = ""
    timestamp: str = ""
    original_url: str = ""
    status_ext: str = ""
    message: str = ""
    retry_after: float | None = None
    http_status: int | None = None


def capture_options() -> dict[str, str]:
    """``WAYBACK_CAPTURE_OPTIONS`` ("name=value,...") as form fields; unknown names are refused."""
    options: dict[str, str] = {}
    for item in settings.WAYBACK_CAPTURE_OPTIONS:
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in CAPTURE_OPTIONS:
            known = ", ".join(sorted(CAPTURE_OPTIONS))
            raise ImproperlyConfigured(f"WAYBACK_CAPTURE_OPTIONS: {name!r} is not one of {known}.")
        options[name] = value.strip() or "1"
    return options


def submit(url: str) -> Answer:
    """Ask SPN2 to capture ``url``, unless its copy is newer than WAYBACK_IF_NOT_ARCHIVED_WITHIN."""
    form = {"url": url, **capture_options()}
    if settings.WAYBACK_IF_NOT_ARCHIVED_WITHIN:
        form["if_not_archived_within"] = settings.WAYBACK_IF_NOT_ARCHIVED_WITHIN
    answer = _call("POST", "/save", urlencode(form).encode())
    if isinstance(answer, Answer):
        return answer
    if answer.get("job_id"):
        return Answer(Kind.JOB, job_id=str(answer["job_id"]), message=_text(answer, "message"))
    return _error(answer)


def status(job_id: str) -> Answer:
    """Where job ``job_id`` stands: pending, success (with its timestamp) or error."""
    answer = _call("GET", f"/save/status/{quote(job_id, safe='')}", None)
    if isinstance(answer, Answer):
        return answer
    state = answer.get("status")
    if state == "pending":
        return Answer(Kind.PENDING, job_id=job_id)
    if state == "success" and answer.get("timestamp"):
        return Answer(
            Kind.SUCCESS,
            job_id=job_id,
            timestamp=str(answer["timestamp"]),
            original_url=_text(answer, "original_url"),
            message=_text(answer, "message"),
        )
    return _error(answer, job_id)


def memento_url(timestamp: str, original_url: str) -> str:
    return f"{settings.WAYBACK_API_URL}/web/{timestamp}/{original_url}"


def archived_at(timestamp: str) -> datetime | None:
    """A Wayback timestamp (YYYYMMDDhhmmss, UTC) as an aware datetime; None if it is not one."""
    try:
        return datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _error(answer: dict[str, Any], job_id: str = "") -> Answer:
    status_ext = _text(answer, "status_ext")
    message = _text(answer, "message") or status_ext or "The Wayback Machine gave no reason."
    if status_ext in RATE_LIMIT_ERRORS or ACTIVE_SESSIONS_MESSAGE in message:
        kind = Kind.RATE_LIMITED
    elif status_ext in TRANSIENT_ERRORS or (not status_ext and answer.get("status") != "error"):
        kind = Kind.TRANSIENT  # no job and no error: an answer SPN2 does not document
    else:
        kind = Kind.FAILED
    return Answer(kind, job_id=job_id, status_ext=status_ext, message=message)


def _call(method: str, path: str, body: bytes | None) -> dict[str, Any] | Answer:
    """The decoded JSON object, or the Answer that an HTTP or network failure means."""
    headers = {
        "Accept": "application/json",
        "Authorization": f"LOW {settings.WAYBACK_ACCESS_KEY}:{settings.WAYBACK_SECRET_KEY}",
        "User-Agent": settings.WAYBACK_USER_AGENT,
    }
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = Request(settings.WAYBACK_API_URL + path, data=body, headers=headers, method=method)
    try:
        with urlopen(request, timeout=settings.WAYBACK_TIMEOUT) as response:
            raw = response.read(1024 * 1024)
            http_status = response.status
    except HTTPError as exc:
        return _http_error(exc)
    except (URLError, HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Answer(Kind.TRANSIENT, message=f"The Wayback Machine could not be reached: {reason}")
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        return Answer(
            Kind.TRANSIENT,
            message="The Wayback Machine answered without JSON.",
            http_status=http_status,
        )
    return decoded


def _http_error(exc: HTTPError) -> Answer:
    try:
        decoded = json.loads(exc.read(64 * 1024))
    except (ValueError, OSError):
        decoded = None
    message = _text(decoded, "message") if isinstance(decoded, dict) else ""
    retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
    if exc.code == 429:
        return Answer(
            Kind.RATE_LIMITED,
            message=message or "Too many requests to the Wayback Machine.",
            retry_after=retry_after,
            http_status=429,
        )
    if exc.code in (401, 403):
        return Answer(
            Kind.FAILED,
            status_ext=_text(decoded, "status_ext") if isinstance(decoded, dict) else "",
            message=message or "The Internet Archive refused the desk's keys (WAYBACK_ACCESS_KEY).",
            http_status=exc.code,
        )
    if exc.code >= 500 or exc.code == 408:
        return Answer(
            Kind.TRANSIENT,
            message=message or f"The Wayback Machine answered HTTP {exc.code}.",
            retry_after=retry_after,
            http_status=exc.code,
        )
    if isinstance(decoded, dict) and decoded.get("status_ext"):
        return _error(decoded)
    return Answer(
        Kind.FAILED,
        message=message or f"The Wayback Machine answered HTTP {exc.code}.",
        http_status=exc.code,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _text(answer: Any, key: str) -> str:
    value = answer.get(key) if isinstance(answer, dict) else None
    return str(value)[:2000] if value is not None else ""
