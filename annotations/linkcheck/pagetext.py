"""A fetched page as text: the charset a browser would pick, the title, the visible text, and
the article's main text (``trafilatura``), whose hash says whether a source changed.

Both texts are whitespace-normalised. The visible text is every word a reader could see,
navigation, "most read" lists and ads included, so on a news page it changes every hour;
the main text is the article alone. A page where trafilatura finds no main text (a short
page, a list of links, plain text) is compared by its visible text.
"""

import codecs
import html
import re
import unicodedata
from html.parser import HTMLParser

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower())
    except LookupError:
        return None
    # As browsers do (WHATWG Encoding): a page that says latin-1 is read as windows-1252.
    return "cp1252" if codec.name in {"latin-1", "iso8859-1", "ascii"} else codec.name


def declared_charset(body: bytes, content_type: str) -> str | None:
    """The charset the body or its header names (BOM, header, meta tag); ``None`` if none."""
    for bom, bom_charset in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if body.startswith(bom):
            return bom_charset
    if body.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    match = _HEADER_CHARSET.search(content_type or "")
    if match and (name := _codec(match.group(1))):
        return name
    meta = _META_CHARSET.search(body[:4096])
    if meta and (name := _codec(meta.group(1).decode("ascii", "replace"))):
        return "utf-8" if name.startswith("utf-16") else name  # a meta tag cannot mean UTF-16
    return None


def detect_charset(body: bytes, content_type: str) -> str:
    """The charset a browser would use: BOM, then the header, then a meta tag, then UTF-8."""
    if declared := declared_charset(body, content_type):
        return declared
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # not just a sequence cut by the body cap
            return "cp1252"
    return "utf-8"


def decode_body(body: bytes, charset: str) -> str:
    # Incremental, so a multi-byte character cut by the body cap is dropped, not garbled.
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    text = decoder.decode(body, final=False)
    return text.lstrip("\ufeff")


def normalise_text(text: str) -> str:
    """NFC and single spaces: what decides whether a page's text changed.

    Works in slices, so a 2 MB page of short words does not become a list of a
    million strings (memory stays a small multiple of the body cap).
    """
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    space_before = False
    for i in range(0, len(text), 65536):
        chunk = text[i : i + 65536]
        words = " ".join(chunk.split())
        if not words:
            space_before = space_before or bool(chunk)
            continue
        if parts and (space_before or chunk[0].isspace()):
            parts.append(" ")
        parts.append(words)
        space_before = chunk[-1].isspace()
    return "".join(parts)


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self._in_title = False
        self._title_done = False
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "title" and not self._title_done:
            self._in_title = True
        elif tag in self.SKIP:
            self._skip_depth += 1
        elif tag in {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}:
            self.text_parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_done = True
        elif tag in self.SKIP and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self.text_parts.append(data)


def is_html(text: str, content_type: str) -> bool:
    """An HTML page by its media type, or by its start when it names none."""
    return _is_html(text, content_type)


def _is_html(text: str, content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime in {"text/html", "application/xhtml+xml", ""} or "<html" in text[:1024].lower()


def extract(text: str, content_type: str) -> tuple[str, str]:
    """(title, normalised visible text) of a decoded page."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if _is_html(text, content_type):
        parser = _TextExtractor()
        try:
            parser.feed(text)
            parser.close()
        except Exception:  # html.parser is lenient; a pathological page still gets a hash
            return "", normalise_text(html.unescape(re.sub(r"<[^>]*>", " ", text)))
        title = normalise_text("".join(parser.title_parts))[:500]
        return title, normalise_text("".join(parser.text_parts))
    if mime.startswith("text/") or mime in {"application/json", "application/xml"}:
        return "", normalise_text(text)
    return "", ""


def preload() -> None:
    """Import trafilatura now (a worker starting): its first use would pay a second or two of
    imports inside a link check, holding that batch's results and, under the GIL, the rest."""
    import trafilatura  # noqa: F401


def extract_main(text: str, content_type: str) -> str | None:
    """The main text of a decoded HTML page, a normalised line per paragraph; ``None`` when
    there is none. Its hash is taken over ``normalise_text`` of it, as for the visible text.

    Settings chosen for a stable hash: ``fast`` skips the fallback extractors, whose choice
    between candidates can flip with the page's churn; comments are not the article; and
    ``deduplicate`` stays off, as it remembers earlier pages (a second read of the same page
    would hash differently). ``favor_precision`` stays off: it drops a lone headline, which
    analysts quote.
    """
    if not text.strip() or not _is_html(text, content_type):
        return None
    import trafilatura  # on first use: it takes a second or two, which no web process needs

    try:
        found = trafilatura.extract(
            text,
            fast=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception:  # a page that breaks the extractor is compared by its visible text
        return None
    lines = (normalise_text(line) for line in (found or "").splitlines())
    return "\n".join(line for line in lines if line) or None


def main_text(body: bytes, content_type: str) -> str | None:
    """The article's main text of a fetched body, as the link check hashes it; ``None`` for a
    page that is not HTML or where none was found. For whoever shows a page's text (the
    archive viewer's "text" and "changes" tabs), so they show what the check compared.
    """
    return extract_main(decode_body(body, detect_charset(body, content_type)), content_type)
