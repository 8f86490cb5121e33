"""Turning scraped plain-text news files into articles, and re-importing them safely.

Scrapers leave debris: a stray `` date 2025-10-31`` before the first sentence,
an image URL above the headline, a dangling "Other news:" label at the end. The
parser removes it, finds what metadata the text gives, and produces the
canonical body (NFC, paragraphs separated by one blank line) that claim offsets
point into. Re-importing a file whose text changed re-anchors its claims.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from annotations import services
from annotations.languages import guess_language

MAX_FILE_BYTES = 5 * 1024 * 1024
LANGUAGE_SAMPLE_CHARS = 2000

_DATE_PREFIX = re.compile(r"^\s*date\s+(\S+)\s*")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_DEBRIS = re.compile(
    r"^[\s/!\[\]()]*(?:https?(?::|%3A)(?://|%2F%2F)|www\.)\S*$"
    r"|^\S*\.(?:jpe?g|png|gif|webp|svg)\)?$",
    re.IGNORECASE,
)
_DANGLING_LABEL = re.compile(r"^[^.!?]{1,40}:$")
_SPACES = re.compile(r"[ \t\u00a0]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")
_ATTRIBUTION = re.compile(
    r"(?:сообщает|сообщило|сообщил|пишет|передает|передаёт|повідомляє|повідомило|пише|"
    r"передає|according to|reports?)\s+(?:издание\s+|видання\s+|агентство\s+)?"
    r"(?P<name>[A-ZА-ЯЁІЇЄҐ0-9][\w&'’.-]*(?:[ \t]+[A-ZА-ЯЁІЇЄҐ0-9][\w&'’.-]*){0,4})"
)


class ArticleFileError(Exception):
    """A file that cannot be imported; says which file and, where known, which line.

    ``code`` is for programs (the API passes it on), as the services' error codes are.
    """

    def __init__(
        self, filename: str, message: str, line: int | None = None, code: str = "file_invalid"
    ):
        self.filename, self.message, self.line, self.code = filename, message, line, code
        where = f"{filename}:{line}" if line else filename
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    body: str
    language: str
    published_on: datetime.date | None
    source_name: str
    author: str = ""
    language_confidence: float = 0.0
    language_candidates: tuple[tuple[str, float], ...] = ()


def detect_language(text: str) -> str:
    """The article's language among the desk's (``ARTICLE_LANGUAGES``), by ``lingua``."""
    return guess_language(text).code


def _is_headline(paragraph: str) -> bool:
    return (
        "\n" not in paragraph
        and 3 <= len(paragraph) <= 200
        and len(paragraph.split()) >= 2
        and paragraph[-1] not in ".,;:…"
        and paragraph[0] not in '–—-"«„'
    )


def _first_sentence(paragraph: str, limit: int = 200) -> str:
    sentence = _SENTENCE_END.split(paragraph, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def _decode(raw: bytes, filename: str) -> str:
    if not raw.strip():
        raise ArticleFileError(filename, "the file is empty.", code="file_empty")
    if len(raw) > MAX_FILE_BYTES:
        raise ArticleFileError(
            filename, f"the file is larger than {MAX_FILE_BYTES} bytes.", code="file_too_large"
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ArticleFileError(
            filename, "a NUL byte: this is not a plain-text file.", line, code="file_binary"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ArticleFileError(
            filename,
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}).",
            line,
            code="file_encoding",
        ) from None


def parse_article(raw: bytes, *, filename: str) -> ParsedArticle:
    """Clean one scraped file and find its title, date, source and language."""
    return parse_text(_decode(raw, filename), filename=filename)


def parse_text(
    text: str,
    *,
    filename: str,
    title: str = "",
    published_on: datetime.date | None = None,
    source_name: str = "",
    author: str = "",
) -> ParsedArticle:
    """The importer's cleaning (NFC, debris, paragraphs, title, language) of a decoded text.

    Every route in (a file on the server, an upload, pasted text, a fetched page) goes
    through it. A ``title`` known from elsewhere (a page's metadata) is kept, and a first
    paragraph repeating it is dropped rather than guessed at as a headline.
    """
    text = unicodedata.normalize("NFC", text)
    title = _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ArticleFileError(filename, "the file is empty.", code="file_empty")
    if match := _DATE_PREFIX.match(lines[first]):
        value = match.group(1)
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            published_on = datetime.date.fromisoformat(value)
        except ValueError:
            raise ArticleFileError(
                filename, f"«date {value}» is not a date in the form YYYY-MM-DD.", first + 1
            ) from None
        lines[first] = lines[first][match.end() :]
    while first < len(lines) and (not lines[first].strip() or _URL_DEBRIS.match(lines[first])):
        first += 1
    lines = lines[first:]
    while lines and not lines[-1].strip():
        lines.pop()

    # With blank lines between paragraphs, lines inside one are hard wraps; without any, every
    # line is a paragraph (the second seed's layout).
    if any(not line.strip() for line in lines):
        blocks, current = [], []
        for line in lines:
            if line.strip():
                current.append(line.strip())
            elif current:
                blocks.append(" ".join(current))
                current = []
        if current:
            blocks.append(" ".join(current))
    else:
        blocks = [line.strip() for line in lines]
    paragraphs = [_SPACES.sub(" ", block).strip() for block in blocks if block.strip()]
    while paragraphs and _DANGLING_LABEL.match(paragraphs[-1]):
        paragraphs.pop()
    if title and len(paragraphs) > 1 and paragraphs[0].rstrip(".") == title.rstrip("."):
        paragraphs.pop(0)
    if not paragraphs:
        raise ArticleFileError(
            filename, "no article text is left once scraper debris is removed.", code="no_text"
        )

    if title:
        pass
    elif _is_headline(paragraphs[0]) and len(paragraphs) > 1:
        title = paragraphs.pop(0)
    else:
        title = next((p for p in paragraphs if _is_headline(p)), None) or _first_sentence(
            paragraphs[0]
        )
    body = "\n\n".join(paragraphs)
    if not source_name:
        attribution = _ATTRIBUTION.search("\n".join(paragraphs[:3]))
        source_name = attribution.group("name").rstrip(".,;:") if attribution else ""
    # The first few thousand characters settle the language; the rest only costs time.
    guess = guess_language(title + "\n" + body[:LANGUAGE_SAMPLE_CHARS])
    return ParsedArticle(
        title=title[:500],
        body=body,
        language=guess.code,
        published_on=published_on,
        source_name=source_name[:200],
        author=author[:200],
        language_confidence=guess.confidence,
        language_candidates=guess.candidates,
    )


def parse_html(html: str, *, filename: str, url: str = "") -> ParsedArticle:
    """A page's main text, title, author, date and site name (``trafilatura``), then cleaned
    as any other text. No main text is an ``ArticleFileError`` (code ``no_text``)."""
    import trafilatura  # on first use: it takes a second or two, which no web process needs

    try:
        found = trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception:  # a page that breaks the extractor has no text we can use
        found = None
    meta: dict = {}
    if found is not None:
        meta = found if isinstance(found, dict) else found.as_dict()
    text = meta.get("text") or ""
    if not text.strip():
        raise ArticleFileError(
            filename, "no article text could be found in this page.", code="no_text"
        )
    published_on = None
    date = meta.get("date") or ""
    if _ISO_DATE.match(date[:10]):
        try:
            published_on = datetime.date.fromisoformat(date[:10])
        except ValueError:
            published_on = None
    # trafilatura gives a paragraph a line; the importer's paragraphs are split by blank lines.
    return parse_text(
        "\n\n".join(text.splitlines()),
        filename=filename,
        title=meta.get("title") or "",
        published_on=published_on,
        source_name=meta.get("sitename") or "",
        author=meta.get("author") or "",
    )


def import_article(raw: bytes, *, filename: str) -> "services.ArticleImport":
    """Parse ``filename`` and create or update its article (the file's name is its identity).

    A changed text re-anchors the article's claims; a file that cannot be parsed changes
    nothing.
    """
    parsed = parse_article(raw, filename=filename)
    return services.article_import(
        source_file=filename,
        title=parsed.title,
        body=parsed.body,
        language=parsed.language,
        published_on=parsed.published_on,
        source_name=parsed.source_name,
    )


def import_article_file(path: Path) -> "services.ArticleImport":
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleFileError(str(path), f"cannot be read ({exc.strerror}).") from None
    return import_article(raw, filename=path.name)
