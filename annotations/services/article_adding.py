"""Adding an article from the web UI or the API: from a link, an uploaded file or pasted text.

Every route ends in the importer's pipeline (``importing.parse_text``: NFC, scraper debris,
paragraphs, title, language) and its write (``article_import``: identity, update instead of
duplicate, re-anchored claims), so an article added here is the same as one imported by
``import_articles``. A route first makes an ``ArticleDraft`` (what would be saved), which the
user sees as a preview and may correct (title, language) before ``article_add`` saves it.

Identity: a link is its page's address (after redirects); a file is its name, as for the
importer; pasted text is its own hash, so pasting the same text again updates one article.

A link is fetched by a worker (``ArticleFetch``), through the link checks' fetcher and its
address policy, caps and time limits; the draft waits on the job until it is saved.
"""

import datetime
import hashlib
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations import importing, weburl
from annotations.languages import desk_languages
from annotations.linkcheck import fetch as fetcher
from annotations.linkcheck.pagetext import declared_charset, decode_body, detect_charset, is_html
from annotations.models import ArticleFetch, LinkOutcome
from annotations.services.articles import ArticleImport, article_import
from annotations.services.errors import (
    MSG_ARTICLE_LANGUAGE,
    MSG_ARTICLE_NO_SOURCE,
    MSG_ARTICLE_SOURCES,
    MSG_ARTICLE_TITLE_EMPTY,
    MSG_FETCH_NOT_READY,
    MSG_FILE_BINARY,
    MSG_FILE_ENCODING,
    MSG_FILE_NO_TYPE,
    MSG_FILE_TYPE,
    MSG_NO_RIGHT_ADD_ARTICLE,
    MSG_URL_FAILED,
    MSG_URL_INVALID,
    ErrorCode,
    invalid,
)
from annotations.services.roles import User, account, can_add_articles, require

UPLOAD_TYPES = {"txt": "text", "md": "markdown", "markdown": "markdown", "html": "html"}
UPLOAD_TYPES["htm"] = "html"
PASTED_NAME = "pasted text"
MSG_TEXT_EMPTY = "Paste the article's text first: this one is empty."
MSG_FETCH_CRASHED = "The page could not be read: the error has been logged."

log = logging.getLogger(__name__)

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$", re.MULTILINE)
# C0 controls other than tab, newline, carriage return and form feed: no text file has them.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ArticleDraft:
    """What saving would write: the cleaned text and what was found about it."""

    origin: str  # "url", "file" or "text"
    title: str
    body: str
    language: str
    language_confidence: float = 0.0
    language_candidates: list[tuple[str, float]] = field(default_factory=list)
    published_on: datetime.date | None = None
    source_name: str = ""
    author: str = ""
    source_url: str = ""
    source_file: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_on"] = self.published_on.isoformat() if self.published_on else None
        data["language_candidates"] = [list(pair) for pair in self.language_candidates]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ArticleDraft":
        published = data.get("published_on")
        return cls(
            **{
                **data,
                "published_on": datetime.date.fromisoformat(published) if published else None,
                "language_candidates": [tuple(pair) for pair in data["language_candidates"]],
            }
        )


def _draft(parsed: importing.ParsedArticle, **identity: str) -> ArticleDraft:
    return ArticleDraft(
        title=parsed.title,
        body=parsed.body,
        language=parsed.language,
        language_confidence=parsed.language_confidence,
        language_candidates=list(parsed.language_candidates),
        published_on=parsed.published_on,
        source_name=parsed.source_name,
        author=parsed.author,
        **identity,
    )


def _refused(error: importing.ArticleFileError, field_name: str) -> Exception:
    try:
        code = ErrorCode(error.code)
    except ValueError:
        code = ErrorCode.FILE_INVALID
    return invalid(field_name, str(error), code)


def article_draft_from_text(*, actor: User, text: str) -> ArticleDraft:
    """Pasted text, cleaned as the importer cleans a file; its hash is its identity."""
    require(can_add_articles(actor), MSG_NO_RIGHT_ADD_ARTICLE)
    if not text.strip():
        raise invalid("text", MSG_TEXT_EMPTY, ErrorCode.FILE_EMPTY)
    if len(text.encode("utf-8")) > importing.MAX_FILE_BYTES:
        message = f"the text is larger than {importing.MAX_FILE_BYTES} bytes."
        raise invalid("text", f"{PASTED_NAME}: {message}", ErrorCode.FILE_TOO_LARGE)
    try:
        parsed = importing.parse_text(text.replace("\x00", ""), filename=PASTED_NAME)
    except importing.ArticleFileError as error:
        raise _refused(error, "text") from None
    digest = hashlib.sha256(parsed.body.encode("utf-8")).hexdigest()
    return _draft(parsed, origin="text", source_file=f"pasted-{digest[:32]}.txt")


def _decode_upload(raw: bytes, name: str, kind: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or the charset an HTML file declares."""
    if not raw.strip():
        raise importing.ArticleFileError(name, "the file is empty.", code="file_empty")
    if len(raw) > importing.MAX_FILE_BYTES:
        message = f"the file is larger than {importing.MAX_FILE_BYTES} bytes."
        raise importing.ArticleFileError(name, message, code="file_too_large")
    declared = declared_charset(raw[:4], "")  # a byte-order mark only
    if declared is None and kind == "html":
        declared = declared_charset(raw, "")
    if declared is None and b"\x00" in raw:
        message = MSG_FILE_BINARY.format(reason="it has NUL bytes")
        raise importing.ArticleFileError(name, message, code="file_binary")
    try:
        text = raw.decode(declared or "utf-8-sig")
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = raw[:start].count(b"\n") + 1
        message = MSG_FILE_ENCODING.format(byte=raw[start])
        raise importing.ArticleFileError(name, message, line, code="file_encoding") from None
    controls = len(_CONTROL.findall(text[:65536]))
    if controls > max(2, len(text[:65536]) // 1000):
        message = MSG_FILE_BINARY.format(reason=f"{controls} control characters")
        raise importing.ArticleFileError(name, message, code="file_binary")
    return text.lstrip("\ufeff")


def _markdown_to_text(text: str) -> str:
    """The words of a Markdown file, without its markup (headings stay paragraphs)."""
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub(r"\n\1\n", text)
    text = _MD_RULE.sub("", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def article_draft_from_upload(*, actor: User, name: str, raw: bytes) -> ArticleDraft:
    """An uploaded .txt, .md or .html file; its name is its identity, as for the importer."""
    require(can_add_articles(actor), MSG_NO_RIGHT_ADD_ARTICLE)
    name = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    kind = UPLOAD_TYPES.get(ext)
    if kind is None:
        message = MSG_FILE_TYPE.format(name=name, ext=ext) if ext else MSG_FILE_NO_TYPE
        raise invalid("file", message.format(name=name), ErrorCode.FILE_TYPE)
    try:
        text = _decode_upload(raw, name, kind)
        if kind == "html":
            parsed = importing.parse_html(text, filename=name)
        else:
            parsed = importing.parse_text(
                _markdown_to_text(text) if kind == "markdown" else text, filename=name
            )
    except importing.ArticleFileError as error:
        raise _refused(error, "file") from None
    return _draft(parsed, origin="file", source_file=name)


def article_draft_from_page(
    *, url: str, body: bytes, content_type: str, truncated: bool, limit: int
) -> ArticleDraft:
    """A fetched page: refused unless it is whole HTML with a main text."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if truncated:
        message = MSG_URL_FAILED["url_too_large"].format(limit=limit)
        raise invalid("url", message, ErrorCode.URL_TOO_LARGE)
    decoded = decode_body(body, detect_charset(body, content_type))
    if mime not in {"text/html", "application/xhtml+xml"} and not (
        not mime and is_html(decoded, "")
    ):
        message = MSG_URL_FAILED["url_not_html"].format(content_type=mime or "no media type")
        raise invalid("url", message, ErrorCode.URL_NOT_HTML)
    try:
        parsed = importing.parse_html(decoded, filename=url, url=url)
    except importing.ArticleFileError:
        raise invalid("url", MSG_URL_FAILED["url_no_text"], ErrorCode.URL_NO_TEXT) from None
    return _draft(parsed, origin="url", source_url=url)


def _checked_language(language: str) -> str:
    choices = desk_languages()
    if language not in choices:
        message = MSG_ARTICLE_LANGUAGE.format(value=language, choices=", ".join(choices))
        raise invalid("language", message, ErrorCode.ARTICLE_LANGUAGE)
    return language


def article_add(
    *, actor: User, draft: ArticleDraft, title: str | None = None, language: str | None = None
) -> ArticleImport:
    """Save a draft, with the user's title and language if given: created, or updated when
    its identity (link, file name, pasted text) is already an article."""
    require(can_add_articles(actor), MSG_NO_RIGHT_ADD_ARTICLE)
    if title is not None:
        title = " ".join(title.split())[:500]
        if not title:
            raise invalid("title", MSG_ARTICLE_TITLE_EMPTY, ErrorCode.ARTICLE_TITLE_EMPTY)
        draft = replace(draft, title=title)
    if language is not None or draft.language not in desk_languages():
        draft = replace(draft, language=_checked_language(language or draft.language))
    return article_import(
        source_file=draft.source_file,
        source_url=draft.source_url,
        title=draft.title,
        body=draft.body,
        language=draft.language,
        published_on=draft.published_on,
        source_name=draft.source_name,
        author=draft.author,
    )


def article_sources_check(*, url: str, text: str, has_file: bool) -> str:
    """Which one route a request names ("url", "text" or "file"); two or none is refused."""
    given = [name for name, there in (("url", url), ("text", text), ("file", has_file)) if there]
    if not given:
        raise invalid("non_field_errors", MSG_ARTICLE_NO_SOURCE, ErrorCode.ARTICLE_NO_SOURCE)
    if len(given) > 1:
        message = MSG_ARTICLE_SOURCES.format(names=" and ".join(given))
        raise invalid("non_field_errors", message, ErrorCode.ARTICLE_SOURCES)
    return given[0]


# --- From a link, in a worker


def article_fetch_request(*, actor: User, url: str, save_when_ready: bool) -> ArticleFetch:
    """Record a link to fetch and queue it once committed; a malformed link is refused now."""
    require(can_add_articles(actor), MSG_NO_RIGHT_ADD_ARTICLE)
    try:
        url = weburl.normalise(url)
    except weburl.BadURL:
        raise invalid("url", MSG_URL_INVALID, ErrorCode.URL_INVALID) from None
    job = ArticleFetch.objects.create(
        requested_by=account(actor), url=url, save_when_ready=save_when_ready
    )
    transaction.on_commit(lambda: _send(job.pk))
    return job


def _send(job_id: int) -> None:
    from annotations.tasks import send_article_fetch

    if not send_article_fetch(job_id):
        ArticleFetch.objects.filter(pk=job_id, status=ArticleFetch.Status.QUEUED).update(
            status=ArticleFetch.Status.FAILED,
            error="The link could not be queued (the task broker is unreachable); try again.",
            error_code="not_queued",
            finished_at=timezone.now(),
        )


def article_fetch_of(job_id: int, viewer: User) -> ArticleFetch:
    """The viewer's own fetch (``DoesNotExist`` for anyone else's)."""
    return ArticleFetch.objects.select_related("article").get(
        pk=job_id, requested_by_id=getattr(viewer, "pk", None)
    )


_FAILURES = {
    LinkOutcome.BLOCKED: ErrorCode.URL_BLOCKED,
    LinkOutcome.INVALID: ErrorCode.URL_BLOCKED,
    LinkOutcome.TIMEOUT: ErrorCode.URL_TIMEOUT,
    LinkOutcome.UNREACHABLE: ErrorCode.URL_UNREACHABLE,
    LinkOutcome.BROKEN: ErrorCode.URL_HTTP_ERROR,
}


def _fetch_draft(url: str) -> ArticleDraft:
    """Fetch ``url`` under the link checks' policy and make a draft of it, or refuse it."""
    policy = replace(fetcher.FetchPolicy.from_settings(), main_text=False, keep_exchange=False)
    result = fetcher.fetch(url, policy, read=False)
    if result.outcome not in (LinkOutcome.OK, LinkOutcome.REDIRECTED):
        code = _FAILURES.get(LinkOutcome(result.outcome), ErrorCode.URL_UNREACHABLE)
        raise invalid("url", MSG_URL_FAILED[code].format(error=result.error), code)
    return article_draft_from_page(
        url=result.final_url or url,
        body=result.body,
        content_type=result.content_type,
        truncated=result.body_truncated,
        limit=policy.max_body_bytes,
    )


def article_fetch_run(job_id: int) -> ArticleFetch:
    """Fetch the job's link and keep its draft (and save it, if asked). Safe to run twice."""
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        job = ArticleFetch.objects.select_for_update().get(pk=job_id)
        if job.status != ArticleFetch.Status.QUEUED:
            return job
        job.status, job.started_at = ArticleFetch.Status.FETCHING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        draft = _fetch_draft(job.url)
        job.draft = draft.as_json()
        status = ArticleFetch.Status.READY
        if job.save_when_ready:
            job.article = article_add(actor=job.requested_by, draft=draft).article
            status = ArticleFetch.Status.DONE
    except ValidationError as error:
        job.error = " ".join(error.messages)
        job.error_code = next(
            (e.code for errors in error.error_dict.values() for e in errors if e.code), ""
        )
        status = ArticleFetch.Status.FAILED
    except Exception:
        log.exception("Fetching %s for article fetch %s failed", job.url, job.pk)
        job.error, job.error_code = MSG_FETCH_CRASHED, "fetch_failed"
        status = ArticleFetch.Status.FAILED
    job.status, job.finished_at = status, timezone.now()
    job.save()
    return job


def article_fetch_save(
    *, actor: User, job: ArticleFetch, title: str | None = None, language: str | None = None
) -> ArticleImport:
    """Save a fetched link's draft, corrected; saving it again updates the same article."""
    require(can_add_articles(actor), MSG_NO_RIGHT_ADD_ARTICLE)
    if job.status not in (ArticleFetch.Status.READY, ArticleFetch.Status.DONE) or not job.draft:
        message = MSG_FETCH_NOT_READY.format(status=job.get_status_display().lower())
        raise invalid("fetch", message, ErrorCode.FETCH_NOT_READY)
    with transaction.atomic():
        result = article_add(
            actor=actor, draft=ArticleDraft.from_json(job.draft), title=title, language=language
        )
        ArticleFetch.objects.filter(pk=job.pk).update(
            status=ArticleFetch.Status.DONE, article=result.article
        )
    job.status, job.article = ArticleFetch.Status.DONE, result.article
    return result
