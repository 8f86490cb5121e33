"""Turning scraped plain-text news files into articles, and re-importing them safely.

Scrapers leave debris: a stray `` date 2025-10-31`` before the first sentence,
an image URL above the headline, a dangling "Other news:" label at the end. The
parser removes it, finds what metadata the text gives, and produces the
canonical body (NFC, paragraphs separated by one blank line) that claim offsets
point into. Re-importing a file whose text changed re-anchors its claims.
"""

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from annotations import anchoring, services
from annotations.models import Article, Claim

MAX_FILE_BYTES = 5 * 1024 * 1024

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
_UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")
_RUSSIAN_LETTERS = set("ыэёъЫЭЁЪ")
_ATTRIBUTION = re.compile(
    r"(?:сообщает|сообщило|сообщил|пишет|передает|передаёт|повідомляє|повідомило|пише|"
    r"передає|according to|reports?)\s+(?:издание\s+|видання\s+|агентство\s+)?"
    r"(?P<name>[A-ZА-ЯЁІЇЄҐ0-9][\w&'’.-]*(?:[ \t]+[A-ZА-ЯЁІЇЄҐ0-9][\w&'’.-]*){0,4})"
)
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "yo",
        "є": "ye", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k",
        "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
        "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
        "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


class ArticleFileError(Exception):
    """A file that cannot be imported; says which file and, where known, which line."""

    def __init__(self, filename: str, message: str, line: int | None = None):
        self.filename, self.message, self.line = filename, message, line
        where = f"{filename}:{line}" if line else filename
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    body: str
    language: str
    published_on: datetime.date | None
    source_name: str


@dataclass
class ImportReport:
    article: Article
    created: bool
    body_changed: bool
    unchanged: int = 0
    moved: list[Claim] = field(default_factory=list)
    changed: list[Claim] = field(default_factory=list)
    orphaned: list[Claim] = field(default_factory=list)

    def summary(self) -> str:
        verb = "created" if self.created else ("updated" if self.body_changed else "unchanged")
        article = self.article
        text = f"{verb}: «{article.title}» ({article.language}, {len(article.body)} chars)"
        if self.body_changed and not self.created:
            text += (
                f"; claims re-anchored: {len(self.moved)} moved, {len(self.changed)} changed, "
                f"{len(self.orphaned)} lost and flagged, {self.unchanged} in place"
            )
        return text


def detect_language(text: str) -> str:
    """Tell Russian from Ukrainian by the letters only one of them has."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "und"
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in letters)
    if cyrillic * 2 < len(letters):
        latin = sum(ch.isascii() for ch in letters)
        return "en" if latin * 2 > len(letters) else "und"
    uk = sum(ch in _UKRAINIAN_LETTERS for ch in letters)
    ru = sum(ch in _RUSSIAN_LETTERS for ch in letters)
    return "uk" if uk > ru else "ru"


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
        raise ArticleFileError(filename, "the file is empty.")
    if len(raw) > MAX_FILE_BYTES:
        raise ArticleFileError(filename, f"the file is larger than {MAX_FILE_BYTES} bytes.")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ArticleFileError(filename, "a NUL byte: this is not a plain-text file.", line)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ArticleFileError(
            filename, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}).", line
        ) from None


def parse_article(raw: bytes, *, filename: str) -> ParsedArticle:
    """Clean one scraped file and find its title, date, source and language."""
    text = unicodedata.normalize("NFC", _decode(raw, filename))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    published_on = None
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ArticleFileError(filename, "the file is empty.")
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
    if not paragraphs:
        raise ArticleFileError(filename, "no article text is left once scraper debris is removed.")

    if _is_headline(paragraphs[0]) and len(paragraphs) > 1:
        title = paragraphs.pop(0)
    else:
        title = next((p for p in paragraphs if _is_headline(p)), None) or _first_sentence(
            paragraphs[0]
        )
    body = "\n\n".join(paragraphs)
    attribution = _ATTRIBUTION.search("\n".join(paragraphs[:3]))
    source_name = attribution.group("name").rstrip(".,;:") if attribution else ""
    return ParsedArticle(
        title=title,
        body=body,
        language=detect_language(title + "\n" + body),
        published_on=published_on,
        source_name=source_name,
    )


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title.lower().translate(_TRANSLIT))[:80].strip("-") or "article"
    slug, n = base, 2
    taken = Article.objects.exclude(pk=exclude_pk) if exclude_pk else Article.objects.all()
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _reanchor(article: Article, report: ImportReport) -> None:
    """Place every claim on the new body; two claims never end up on one span.

    Claims that stay where they were keep their spans first; the others take free spans
    in text order, and one whose place is taken is flagged as lost rather than dropped.
    """
    claims = list(article.claims.select_for_update().order_by("start", "id"))
    placed = {
        claim.pk: anchoring.locate(
            article.body,
            quote=claim.quote,
            prefix=claim.prefix,
            suffix=claim.suffix,
            start=claim.start,
            end=claim.end,
        )
        for claim in claims
    }

    def stays(claim: Claim) -> bool:
        anchor = placed[claim.pk]
        return (
            anchor is not None
            and anchor.placement == anchoring.Placement.UNCHANGED
            and not claim.is_orphaned
        )

    taken: set[tuple[int, int]] = set()
    spans: dict[int, tuple[int, int] | None] = {}
    for claim in sorted(claims, key=lambda c: (not stays(c), c.start, c.pk)):
        anchor = placed[claim.pk]
        span = (anchor.start, anchor.end) if anchor else None
        spans[claim.pk] = span if span not in taken else None
        taken.add(span)
    # Claims about to move are first set aside (orphaned claims are outside the unique-span
    # constraint), so that two claims trading places never collide on the way.
    moving = [c.pk for c in claims if not stays(c) and not c.is_orphaned]
    Claim.objects.filter(pk__in=moving).update(is_orphaned=True)
    buckets = {"moved": report.moved, "changed": report.changed, "orphaned": report.orphaned}
    for claim in claims:
        if claim.pk in moving:
            claim.is_orphaned = False  # as it was before being set aside
        result = services.claim_reanchor(claim=claim, body=article.body, span=spans[claim.pk])
        if result == "unchanged":
            if claim.pk in moving:  # found again at the same span after all
                Claim.objects.filter(pk=claim.pk).update(is_orphaned=False)
            report.unchanged += 1
        else:
            buckets[result].append(claim)


def import_article(raw: bytes, *, filename: str) -> ImportReport:
    """Create or update the article imported from ``filename``, in one transaction.

    The file's name is its identity: importing it again updates the same article.
    Claims on a changed text are placed again by quote and context; those that
    cannot be placed are flagged as orphaned, never dropped.
    """
    parsed = parse_article(raw, filename=filename)
    content_hash = hashlib.sha256(parsed.body.encode("utf-8")).hexdigest()
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(source_file=filename).first()
        created = article is None
        if created:
            article = Article(source_file=filename, slug=_unique_slug(parsed.title))
        body_changed = not created and article.content_hash != content_hash
        article.title = parsed.title
        article.body = parsed.body
        article.language = parsed.language
        article.published_on = parsed.published_on
        article.source_name = parsed.source_name
        article.content_hash = content_hash
        article.save()
        report = ImportReport(article=article, created=created, body_changed=body_changed)
        if body_changed:
            _reanchor(article, report)
    return report


def import_article_file(path: Path) -> ImportReport:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleFileError(str(path), f"cannot be read ({exc.strerror}).") from None
    return import_article(raw, filename=path.name)
