"""Importing claims from files: the desk's own exports, W3C Web Annotation, Label Studio, doccano.

One service for the command (``manage.py import_claims``) and the API (``POST
/api/v1/import/claims``). A file is read as a stream (``annotations.importers``) and written in
chunks, in one transaction: a real run is all or nothing, unless the caller asks to skip the
refused records; a dry run does the same work and rolls it back, so what it reports is exactly
what a real run would do.

Each claim keeps where it came from (``external_source``, ``external_id``), so importing the
same file again updates the claims instead of doubling them.
"""

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import IO, Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User as Account
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotations import anchoring
from annotations.importers import (
    FileNotice,
    ImportedClaim,
    ImportFileError,
    Item,
    Record,
    Unreadable,
)
from annotations.importers.desk import read_json, read_jsonl
from annotations.importers.doccano import read_doccano
from annotations.importers.label_studio import read_label_studio
from annotations.importers.w3c import read_w3c
from annotations.linkcheck.service import links_request_checks
from annotations.models import (
    Article,
    Assessment,
    Claim,
    Comment,
    Evidence,
    HistoryEntry,
    SourceLink,
    Stance,
    Verdict,
)
from annotations.services.errors import (
    MSG_DUPLICATE_SPAN,
    MSG_END_PAST_BODY,
    MSG_IMPORT_ARTICLE_UNKNOWN,
    MSG_IMPORT_CLAIM_DELETED,
    MSG_IMPORT_FORMAT_UNKNOWN,
    MSG_IMPORT_LABEL_MAP,
    MSG_IMPORT_LABEL_UNKNOWN,
    MSG_IMPORT_NOT_FOUND,
    MSG_IMPORT_USER_UNKNOWN,
    MSG_NO_RIGHT_IMPORT,
    MSG_START_NOT_BEFORE_END,
    MSG_UNKNOWN_STANCE,
    MSG_UNKNOWN_VERDICT,
    ErrorCode,
    invalid,
)
from annotations.services.evidence import normalise_url
from annotations.services.history import record_history
from annotations.services.roles import User, account, is_reviewer, require
from annotations.services.rows import insert_rows

READERS: dict[str, Callable[[IO[bytes]], Iterator[Item]]] = {
    "json": read_json,
    "jsonl": read_jsonl,
    "w3c": read_w3c,
    "label_studio": read_label_studio,
    "doccano": read_doccano,
}
FORMATS = tuple(READERS)
# The columns each new row is written with (insert_rows): the others get their defaults.
CLAIM_COLUMNS = (
    "article_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "verdict",
    "rationale",
    "created_by_id",
    "updated_by_id",
    "signed_off_by_id",
    "signed_off_at",
    "external_source",
    "external_id",
    "in_disagreement",
    "created_at",
    "updated_at",
    "rationale_language",
    "sign_off_withdrawn_at",
    "decided_by_id",
    "decided_at",
    "version",
)
ASSESSMENT_COLUMNS = (
    "claim_id",
    "analyst_id",
    "verdict",
    "rationale",
    "rationale_language",
    "version",
    "created_at",
    "updated_at",
)
EVIDENCE_COLUMNS = (
    "claim_id",
    "source_link_id",
    "url",
    "title",
    "excerpt",
    "note",
    "stance",
    "added_by_id",
    "created_at",
    "updated_at",
)
COMMENT_COLUMNS = ("claim_id", "author_id", "body", "created_at")
HISTORY_COLUMNS = ("claim_id", "claim_ref", "subject", "action", "changes", "actor_id", "at")
# Choices as sets, once: ``TextChoices.values`` builds a new list on every access.
VERDICTS = frozenset(Verdict.values)
STANCES = frozenset(Stance.values)
HISTORY_SUBJECTS = frozenset(HistoryEntry.Subject.values)
HISTORY_ACTIONS = frozenset(HistoryEntry.Action.values)
# Evidence URLs whose normal forms are kept between records (most files cite few sources).
CACHED_URLS = 10_000
# Articles whose bodies and taken spans are kept between chunks.
CACHED_ARTICLES = 200


class ImportOutcome(StrEnum):
    """What an import did (or, in a dry run, would do) with one record."""

    CREATED = "created"
    UPDATED = "updated"  # a claim imported before from the same source and id
    UNCHANGED = "unchanged"  # imported before and nothing differs
    PLACED_ELSEWHERE = "placed_elsewhere"  # created or updated, on a span the file did not give
    REFUSED = "refused"


@dataclass
class RecordResult:
    position: str
    outcome: ImportOutcome
    external_id: str = ""
    claim_id: int | None = None
    reason: str = ""
    code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "outcome": str(self.outcome),
            "external_id": self.external_id,
            "claim": self.claim_id,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass
class ClaimImport:
    """The report: counts per outcome, the records (the first ``IMPORT_REPORT_LIMIT``)."""

    format: str
    dry_run: bool
    skip_refused: bool
    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in ImportOutcome})
    records: list[RecordResult] = field(default_factory=list)
    records_left_off: int = 0
    file_error: str = ""
    file_error_code: str = ""
    # What the file says of itself that the importer should know (e.g. more pages elsewhere).
    notices: list[FileNotice] = field(default_factory=list)
    written: bool = False

    @property
    def refused(self) -> int:
        return self.counts[ImportOutcome.REFUSED]

    @property
    def ok(self) -> bool:
        return not self.file_error and (not self.refused or self.skip_refused)

    def add(self, result: RecordResult) -> None:
        self.counts[result.outcome] += 1
        if len(self.records) < settings.IMPORT_REPORT_LIMIT:
            self.records.append(result)
        else:
            self.records_left_off += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "skip_refused": self.skip_refused,
            "written": self.written,
            "counts": dict(self.counts),
            "file_error": self.file_error or None,
            "file_error_code": self.file_error_code or None,
            "notices": [{"message": n.message, "code": n.code} for n in self.notices],
            "records": [r.as_dict() for r in self.records],
            "records_left_off": self.records_left_off,
        }


class Refused(Exception):
    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


def detect_format(head: bytes, name: str = "") -> str | None:
    """A guess from the file name and its first bytes; None when it cannot tell."""
    lower = name.lower()
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if lower.endswith((".jsonl", ".ndjson")):
        first = text.split(b"\n", 1)[0]
        return "doccano" if b'"label"' in first or b'"entities"' in first else "jsonl"
    if lower.endswith(".jsonld") or b'"AnnotationCollection"' in text[:4096]:
        return "w3c"
    if b'"Annotation' in text[:4096] and b"anno.jsonld" in text[:4096]:
        return "w3c"
    if text.startswith(b"["):
        return "label_studio" if b'"annotations"' in text or b'"data"' in text else "json"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0]
        if b'"label"' in first or b'"entities"' in first:
            return "doccano"
        return "jsonl"
    return None


def validate_label_map(label_map: Mapping[str, str]) -> dict[str, str]:
    """LABEL -> verdict; an unknown verdict is refused before anything is read."""
    for label, verdict in label_map.items():
        if verdict not in Verdict.values:
            raise invalid(
                "label_map",
                MSG_IMPORT_LABEL_MAP.format(
                    label=label, value=verdict, choices=", ".join(Verdict.values)
                ),
                ErrorCode.UNKNOWN_VERDICT,
            )
    return dict(label_map)


def parse_label_map(pairs: Iterable[str]) -> dict[str, str]:
    """``["LABEL=verdict", ...]`` (the command line's and the API's form) as a checked map."""
    mapping = {}
    for pair in pairs:
        label, sep, verdict = pair.rpartition("=")
        if not sep or not label:
            raise invalid(
                "label_map",
                MSG_IMPORT_LABEL_MAP.format(
                    label=pair, value="", choices=", ".join(Verdict.values)
                ),
                ErrorCode.UNKNOWN_VERDICT,
            )
        mapping[label] = verdict.strip()
    return validate_label_map(mapping)


def _text_hash(text: str) -> str:
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def _utf16_to_code_points(text: str, offset: int) -> int | None:
    """A JavaScript (UTF-16) offset into ``text`` as a code-point offset, None if inside a pair."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


@dataclass
class _Placed:
    record: ImportedClaim
    article: Article
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    verdict: str
    moved: bool
    users: dict[str, int]
    links: list[tuple[str, Any]]  # (normalised URL, ImportedEvidence)
    existing: Claim | None = None


@dataclass(slots=True)
class _NewClaim:
    """What the writers of a new claim's assessments, evidence and history need of it."""

    pk: int
    start: int
    end: int
    quote: str
    verdict: str
    rationale: str
    rationale_language: str
    created_by_id: int
    created_at: datetime
    updated_at: datetime


class _ClaimLike(Protocol):
    """A new claim (``_NewClaim``) or one imported before (``Claim``), for the writers."""

    pk: Any
    created_by_id: Any
    created_at: Any


class _Importer:
    """The state of one file's import: caches of articles, users and taken spans."""

    def __init__(
        self,
        *,
        actor: Account,
        report: ClaimImport,
        label_map: Mapping[str, str],
        article: Article | None,
        on_record: Callable[[RecordResult], None] | None,
    ):
        self.actor = actor
        self.report = report
        self.label_map = label_map
        self.article = article
        self.on_record = on_record
        self.articles: dict[tuple[str, str], Article | None] = {}
        self.users: dict[str, int | None] = {actor.username: actor.pk}
        self.spans: dict[int, dict[tuple[int, int], int | None]] = {}
        self.known_urls: dict[int, set[str]] = {}
        self.known_comments: dict[int, set[tuple[int, str]]] = {}
        self.urls: dict[str, str | Refused] = {}

    # -- reads -------------------------------------------------------------------------------

    def _article_by(self, key: str, value: str) -> Article | None:
        if not value:
            return None
        cache_key = (key, value)
        if cache_key not in self.articles:
            self.articles[cache_key] = Article.objects.filter(**{key: value}).first()
        return self.articles[cache_key]

    def find_article(self, record: ImportedClaim) -> Article | None:
        """Desk formats: slug, then source URL, then text hash. W3C: the target's scope or
        source as an article's source URL, a slug in the source's path, else the one article
        whose text holds the quote in its context. Label Studio, doccano: the task's text,
        else the article the caller named."""
        ref = record.article
        found = (
            self._article_by("slug", ref.slug)
            or self._article_by("source_url", ref.source_url)
            or self._article_by("content_hash", ref.content_hash)
        )
        if found:
            return found
        if ref.text is not None:
            return self._article_by("content_hash", _text_hash(ref.text)) or self.article
        if ref.iri:
            found = self._article_by("source_url", ref.iri)
            for part in ref.iri.rstrip("/").split("/")[-2:]:
                found = found or self._article_by("slug", part.rsplit(".", 1)[0])
            if found:
                return found
            if ("iri", ref.iri) in self.articles:
                return self.articles[("iri", ref.iri)]
            found = self.article or self._article_holding(record)
            self.articles[("iri", ref.iri)] = found
            return found
        return self.article

    def _article_holding(self, record: ImportedClaim) -> Article | None:
        needle = f"{record.prefix}{record.quote or ''}{record.suffix}"
        matches = list(
            Article.objects.filter(body__contains=needle).only("id", "body", "content_hash")[:2]
        )
        return matches[0] if len(matches) == 1 else None

    def prefetch(self, claims: list[ImportedClaim]) -> None:
        """The chunk's articles named by slug, source URL or text hash, and the spans taken on
        them, in two queries for the whole chunk; ``find_article`` and ``taken_spans`` then
        answer from the caches (other ways of naming an article still query one by one)."""
        wanted: dict[str, set[str]] = {"slug": set(), "source_url": set(), "content_hash": set()}
        for record in claims:
            ref = record.article
            for key, value in (
                ("slug", ref.slug),
                ("source_url", ref.source_url),
                ("content_hash", ref.content_hash),
            ):
                if value and (key, value) not in self.articles:
                    wanted[key].add(value)
        if any(wanted.values()):
            query = Q()
            for key, values in wanted.items():
                if values:
                    query |= Q(**{f"{key}__in": values})
            for key, values in wanted.items():
                for value in values:
                    self.articles[(key, value)] = None
            # In the model's ordering, so that the first match is the one ``.first()`` gives.
            for found in Article.objects.filter(query):
                for key in wanted:
                    value = getattr(found, key)
                    if value in wanted[key] and self.articles[(key, value)] is None:
                        self.articles[(key, value)] = found
        pks = set()
        for record in claims:
            ref = record.article
            for key, value in (
                ("slug", ref.slug),
                ("source_url", ref.source_url),
                ("content_hash", ref.content_hash),
            ):
                article = self.articles.get((key, value)) if value else None
                if article is not None:
                    if article.pk not in self.spans:
                        pks.add(article.pk)
                    break
        if pks:
            for pk in pks:
                self.spans[pk] = {}
            for article_id, start, end, claim_id in Claim.objects.filter(
                article_id__in=pks, is_orphaned=False
            ).values_list("article_id", "start", "end", "pk"):
                self.spans[article_id][(start, end)] = claim_id

    def load_users(self, names: set[str]) -> None:
        missing = names - set(self.users)
        if not missing:
            return
        found = dict(Account.objects.filter(username__in=missing).values_list("username", "pk"))
        for name in missing:
            self.users[name] = found.get(name)

    def user(self, name: str | None) -> int:
        """The id of the desk member called ``name``; the importer when the file names none."""
        if name is None or name == "":
            return self.actor.pk
        pk = self.users.get(name)
        if pk is None:
            raise Refused(
                MSG_IMPORT_USER_UNKNOWN.format(username=name), ErrorCode.IMPORT_USER_UNKNOWN
            )
        return pk

    def taken_spans(self, article: Article) -> dict[tuple[int, int], int | None]:
        if article.pk not in self.spans:
            self.spans[article.pk] = {
                (start, end): pk
                for start, end, pk in Claim.objects.filter(
                    article=article, is_orphaned=False
                ).values_list("start", "end", "pk")
            }
        return self.spans[article.pk]

    def normal_url(self, url: str) -> str:
        """``normalise_url``, remembered: a file cites the same few sources again and again."""
        known = self.urls.get(url)
        if known is None:
            if len(self.urls) > CACHED_URLS:
                self.urls.clear()
            try:
                known = normalise_url(url)
            except Exception as exc:  # ValidationError from the URL rules
                message = "; ".join(getattr(exc, "messages", [str(exc)]))
                known = Refused(f"evidence {url!r}: {message}", ErrorCode.URL_INVALID)
            self.urls[url] = known
        if isinstance(known, Refused):
            raise Refused(known.reason, known.code)
        return known

    # -- one record --------------------------------------------------------------------------

    def verdict_of(self, record: ImportedClaim) -> str:
        if record.verdict is not None:
            verdict = record.verdict
        elif record.label is not None:
            mapped = self.label_map.get(record.label)
            if mapped is None and record.label.lower() in VERDICTS:
                mapped = record.label.lower()
            if mapped is None:
                raise Refused(
                    MSG_IMPORT_LABEL_UNKNOWN.format(label=record.label),
                    ErrorCode.IMPORT_LABEL_UNKNOWN,
                )
            verdict = mapped
        else:
            verdict = Verdict.PENDING
        if verdict not in VERDICTS:
            raise Refused(
                MSG_UNKNOWN_VERDICT.format(value=verdict, choices=", ".join(Verdict.values)),
                ErrorCode.UNKNOWN_VERDICT,
            )
        return verdict

    def span_of(
        self, record: ImportedClaim, article: Article
    ) -> tuple[int, int, str, str, str, bool]:
        """(start, end, quote, prefix, suffix, moved): the span the record gives when the text
        there is its quote, else where its quote and context are found (``anchoring.locate``,
        as a re-imported article re-anchors)."""
        body = article.body
        start, end, quote = record.start, record.end, record.quote
        prefix, suffix = record.prefix, record.suffix
        task_text = record.article.text
        if task_text is not None:
            if (
                record.utf16_offsets_possible
                and quote is not None
                and task_text[start:end] != quote
            ):
                s16 = _utf16_to_code_points(task_text, start)
                e16 = _utf16_to_code_points(task_text, end)
                if s16 is not None and e16 is not None and task_text[s16:e16] == quote:
                    start, end = s16, e16
            self._check_range(start, end, len(task_text))
            quote = task_text[start:end]
            prefix, suffix = anchoring.context_around(task_text, start, end)
        if quote is None:
            self._check_range(start, end, len(body))
            quote = body[start:end]
        if 0 <= start < end <= len(body) and body[start:end] == quote:
            prefix, suffix = anchoring.context_around(body, start, end)
            return start, end, quote, prefix, suffix, False
        same_text = bool(record.article.content_hash) and (
            record.article.content_hash == article.content_hash
        )
        anchor = None
        if not same_text:  # the text changed since the export: find the quote again
            anchor = anchoring.locate(
                body,
                quote=quote,
                prefix=prefix,
                suffix=suffix,
                start=max(start, 0),
                end=max(end, 0),
            )
        if anchor is None:
            if start >= 0:
                self._check_range(start, end, len(body))
            shown = quote if len(quote) <= 60 else quote[:59] + "…"
            raise Refused(MSG_IMPORT_NOT_FOUND.format(quote=shown), ErrorCode.IMPORT_NOT_FOUND)
        new_prefix, new_suffix = anchoring.context_around(body, anchor.start, anchor.end)
        return (
            anchor.start,
            anchor.end,
            body[anchor.start : anchor.end],
            new_prefix,
            new_suffix,
            True,
        )

    @staticmethod
    def _check_range(start: int, end: int, length: int) -> None:
        if start < 0 or start >= end:
            raise Refused(MSG_START_NOT_BEFORE_END, ErrorCode.START_NOT_BEFORE_END)
        if end > length:
            raise Refused(MSG_END_PAST_BODY.format(end=end, length=length), ErrorCode.END_PAST_BODY)

    def place(self, record: ImportedClaim, existing: Claim | None) -> _Placed:
        article = self.find_article(record)
        if article is None:
            raise Refused(MSG_IMPORT_ARTICLE_UNKNOWN, ErrorCode.IMPORT_ARTICLE_UNKNOWN)
        if existing is not None and existing.deleted_at is not None:
            raise Refused(
                MSG_IMPORT_CLAIM_DELETED.format(claim=existing.pk), ErrorCode.IMPORT_CLAIM_DELETED
            )
        verdict = self.verdict_of(record)
        start, end, quote, prefix, suffix, moved = self.span_of(record, article)
        taken = self.taken_spans(article)
        holder = taken.get((start, end), 0)
        if holder != 0 and (existing is None or holder != existing.pk):
            other = f" (claim {holder})" if holder else " (an earlier record of this file)"
            raise Refused(
                MSG_DUPLICATE_SPAN.format(start=start, end=end) + other, ErrorCode.DUPLICATE_SPAN
            )
        users = {}
        names = [record.created_by, record.updated_by, record.signed_off_by, record.decided_by]
        names += [item.added_by for item in record.evidence]
        names += [item.author for item in record.comments]
        names += [item.analyst for item in record.assessments or []]
        names += [item.actor for item in record.history]
        for name in names:
            if name:
                users[name] = self.user(name)
        links = []
        for item in record.evidence:
            if item.stance not in STANCES:
                raise Refused(
                    MSG_UNKNOWN_STANCE.format(value=item.stance, choices=", ".join(Stance.values)),
                    ErrorCode.UNKNOWN_STANCE,
                )
            links.append((self.normal_url(item.url), item))
        if existing is not None and (existing.start, existing.end) != (start, end):
            taken.pop((existing.start, existing.end), None)
        taken[(start, end)] = existing.pk if existing else None
        return _Placed(
            record=record,
            article=article,
            start=start,
            end=end,
            quote=quote,
            prefix=prefix,
            suffix=suffix,
            verdict=verdict,
            moved=moved,
            users=users,
            links=links,
            existing=existing,
        )

    # -- one chunk ---------------------------------------------------------------------------

    def run(self, chunk: list[Record]) -> None:
        # Between chunks every span placed so far is in the database: the caches may go, so
        # that memory stays flat over millions of records (exports list claims by article).
        if len(self.spans) > CACHED_ARTICLES:
            self.spans.clear()
        if len(self.articles) > CACHED_ARTICLES:
            self.articles.clear()
        claims = [r for r in chunk if isinstance(r, ImportedClaim)]
        names: set[str] = set()
        for record in claims:
            names.update(
                n
                for n in (
                    record.created_by,
                    record.updated_by,
                    record.signed_off_by,
                    record.decided_by,
                    *(e.added_by for e in record.evidence),
                    *(c.author for c in record.comments),
                    *(a.analyst for a in record.assessments or []),
                    *(h.actor for h in record.history),
                )
                if n
            )
            for comment in record.comments:
                names.update(comment.mentions)
        self.load_users(names)
        self.prefetch(claims)
        existing = self._existing(claims)
        placed: list[_Placed] = []
        results: list[RecordResult] = []
        for entry in chunk:
            if isinstance(entry, Unreadable):
                results.append(
                    RecordResult(
                        entry.position,
                        ImportOutcome.REFUSED,
                        entry.external_id,
                        reason=entry.reason,
                        code=entry.code,
                    )
                )
                continue
            record = entry
            try:
                item = self.place(
                    record, existing.get((record.external_source, record.external_id))
                )
            except Refused as exc:
                results.append(
                    RecordResult(
                        record.position,
                        ImportOutcome.REFUSED,
                        record.external_id,
                        reason=exc.reason,
                        code=exc.code,
                    )
                )
                continue
            placed.append(item)
            results.append(RecordResult(record.position, ImportOutcome.CREATED, record.external_id))
        by_record = {id(item.record): item for item in placed}
        new = [item for item in placed if item.existing is None]
        created = self._create(new)
        outcomes: dict[int, tuple[ImportOutcome, int]] = {}
        for item, claim in zip(new, created, strict=True):
            outcome = ImportOutcome.PLACED_ELSEWHERE if item.moved else ImportOutcome.CREATED
            outcomes[id(item.record)] = (outcome, claim.pk)
        updating = [item.existing.pk for item in placed if item.existing is not None]
        self.known_urls, self.known_comments = {}, {}
        if updating:
            for claim_id, url in Evidence.objects.filter(claim_id__in=updating).values_list(
                "claim_id", "source_link__url"
            ):
                self.known_urls.setdefault(claim_id, set()).add(url)
            for claim_id, author_id, body in Comment.objects.filter(
                claim_id__in=updating
            ).values_list("claim_id", "author_id", "body"):
                self.known_comments.setdefault(claim_id, set()).add((author_id, body))
        for item in placed:
            if item.existing is not None:
                outcome = self._update(item)
                if item.moved and outcome != ImportOutcome.UNCHANGED:
                    outcome = ImportOutcome.PLACED_ELSEWHERE
                outcomes[id(item.record)] = (outcome, item.existing.pk)
        for entry, result in zip(chunk, results, strict=True):
            if id(entry) in by_record:
                result.outcome, result.claim_id = outcomes[id(entry)]
                done = by_record[id(entry)]
                if result.outcome == ImportOutcome.PLACED_ELSEWHERE:
                    result.reason = (
                        f"placed at {done.start}-{done.end} (the file gave "
                        f"{done.record.start}-{done.record.end})"
                    )
            self.report.add(result)
            if self.on_record is not None:
                self.on_record(result)

    def _existing(self, claims: list[ImportedClaim]) -> dict[tuple[str, str], Claim]:
        keys = {(r.external_source, r.external_id) for r in claims}
        if not keys:
            return {}
        query = Q()
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, []).append(external_id)
        for source, ids in by_source.items():
            # ``~Q(external_id="")`` repeats the unique index's condition: without it neither
            # SQLite nor PostgreSQL (for more than 100 ids) can use that partial index, and each
            # chunk scans every claim.
            given = [i for i in ids if i]
            if given:
                query |= Q(external_source=source, external_id__in=given) & ~Q(external_id="")
            if len(given) < len(ids):
                query |= Q(external_source=source, external_id="")
        return {
            (claim.external_source, claim.external_id): claim
            for claim in Claim.with_deleted.select_for_update().filter(query)
        }

    def _create(self, items: list[_Placed]) -> list[_NewClaim]:
        """The chunk's new claims and what they carry, a few queries for the whole chunk, each
        row inserted once with its final times (the file's, else now)."""
        if not items:
            return []
        now = timezone.now()
        rows, claims = [], []
        for item in items:
            r = item.record
            signed_off_at = r.signed_off_at if r.signed_off_by else None
            decided_at = r.decided_at if r.decided_by else None
            created_by = self.user(r.created_by)
            created_at = r.created_at or now
            claim = _NewClaim(
                pk=0,
                start=item.start,
                end=item.end,
                quote=item.quote,
                verdict=item.verdict,
                rationale=r.rationale,
                rationale_language=r.rationale_language,
                created_by_id=created_by,
                created_at=created_at,
                updated_at=r.updated_at or created_at,
            )
            claims.append(claim)
            rows.append(
                (
                    item.article.pk,
                    item.start,
                    item.end,
                    item.quote,
                    item.prefix,
                    item.suffix,
                    item.verdict,
                    r.rationale,
                    created_by,
                    self.user(r.updated_by or r.created_by),
                    self.user(r.signed_off_by) if signed_off_at else None,
                    signed_off_at,
                    r.external_source,
                    r.external_id,
                    _disagree(r) if r.in_disagreement is None else r.in_disagreement,
                    claim.created_at,
                    claim.updated_at,
                    r.rationale_language,
                    None if signed_off_at else r.sign_off_withdrawn_at,
                    self.user(r.decided_by) if decided_at else None,
                    decided_at,
                    r.version or 1,
                )
            )
        ids = insert_rows(Claim, CLAIM_COLUMNS, rows, returning_ids=True)
        for claim, pk, item in zip(claims, ids, items, strict=True):
            claim.pk = pk
            self.spans[item.article.pk][(item.start, item.end)] = pk
        self._assessments(claims, items)
        self._evidence(claims, items)
        self._comments(claims, items)
        self._history(claims, items, now)
        return claims

    def _assessments(self, claims: list[_NewClaim], items: list[_Placed]) -> None:
        rows: list[tuple[Any, ...]] = []
        for claim, item in zip(claims, items, strict=True):
            given = item.record.assessments
            if given is None:
                rows.append(
                    (
                        claim.pk,
                        claim.created_by_id,
                        claim.verdict,
                        claim.rationale,
                        claim.rationale_language,
                        1,
                        claim.created_at,
                        claim.updated_at,
                    )
                )
                continue
            for a in given:
                rows.append(
                    (
                        claim.pk,
                        item.users[a.analyst],
                        a.verdict if a.verdict in VERDICTS else Verdict.PENDING,
                        a.rationale,
                        a.rationale_language,
                        a.version,
                        a.created_at or claim.created_at,
                        a.updated_at or a.created_at or claim.updated_at,
                    )
                )
        insert_rows(Assessment, ASSESSMENT_COLUMNS, rows)

    def _links(self, urls: set[str]) -> dict[str, int]:
        found = dict(SourceLink.objects.filter(url__in=urls).values_list("url", "pk"))
        missing = urls - set(found)
        if missing:
            SourceLink.objects.bulk_create(
                [SourceLink(url=url) for url in sorted(missing)], ignore_conflicts=True
            )
            new = dict(SourceLink.objects.filter(url__in=missing).values_list("url", "pk"))
            links_request_checks(links=sorted(new.values()))  # queued once the import commits
            found |= new
        return found

    def _evidence(self, claims: Sequence[_ClaimLike], items: list[_Placed]) -> None:
        urls = {url for item in items for url, _ in item.links}
        if not urls:
            return
        links = self._links(urls)
        rows = []
        for claim, item in zip(claims, items, strict=True):
            for url, e in item.links:
                created = e.created_at or claim.created_at
                rows.append(
                    (
                        claim.pk,
                        links[url],
                        e.url.strip(),
                        e.title,
                        e.excerpt,
                        e.note,
                        e.stance,
                        item.users.get(e.added_by or "", claim.created_by_id),
                        created,
                        e.updated_at or created,
                    )
                )
        insert_rows(Evidence, EVIDENCE_COLUMNS, rows)

    def _comments(self, claims: Sequence[_ClaimLike], items: list[_Placed]) -> None:
        rows, mentions = [], []
        for claim, item in zip(claims, items, strict=True):
            for c in item.record.comments:
                rows.append(
                    (
                        claim.pk,
                        item.users.get(c.author or "", self.actor.pk),
                        c.body,
                        c.created_at or claim.created_at,
                    )
                )
                mentions.append(c.mentions)
        if not rows:
            return
        ids = insert_rows(Comment, COMMENT_COLUMNS, rows, returning_ids=True)
        links = [
            (pk, self.users[name])
            for pk, names in zip(ids, mentions, strict=True)
            for name in names
            if self.users.get(name)  # a mention of somebody not on this desk stays as text
        ]
        insert_rows(Comment.mentions.through, ["comment_id", "user_id"], links)

    def _history(self, claims: list[_NewClaim], items: list[_Placed], now: datetime) -> None:
        rows: list[tuple[Any, ...]] = []
        for claim, item in zip(claims, items, strict=True):
            for h in item.record.history:
                rows.append(
                    (
                        claim.pk,
                        claim.pk,
                        h.subject if h.subject in HISTORY_SUBJECTS else "claim",
                        h.action if h.action in HISTORY_ACTIONS else "updated",
                        h.changes,
                        item.users.get(h.actor or "") if h.actor else None,
                        h.at or now,
                    )
                )
            if item.record.history:
                # The file's trail already tells who created the claim and when; an entry
                # saying the importer created it would be false (the claim's external_source
                # and external_id say it was imported).
                continue
            rows.append(
                (
                    claim.pk,
                    claim.pk,
                    HistoryEntry.Subject.CLAIM,
                    HistoryEntry.Action.CREATED,
                    {
                        "start": [None, claim.start],
                        "end": [None, claim.end],
                        "quote": [None, claim.quote],
                        "verdict": [None, claim.verdict],
                        "rationale": [None, claim.rationale],
                    },
                    self.actor.pk,
                    now,
                )
            )
        insert_rows(HistoryEntry, HISTORY_COLUMNS, rows)

    def _update(self, item: _Placed) -> ImportOutcome:
        """A claim imported before: its span, verdict, reasoning and sign-off follow the file;
        evidence and comments it does not have yet are added (nothing is removed)."""
        claim, r = item.existing, item.record
        assert claim is not None
        signed_off_by = self.user(r.signed_off_by) if r.signed_off_by else None
        values: dict[str, Any] = {
            "start": item.start,
            "end": item.end,
            "quote": item.quote,
            "prefix": item.prefix,
            "suffix": item.suffix,
            "verdict": item.verdict,
            "rationale": r.rationale,
            "is_orphaned": False,
            "signed_off_by": signed_off_by,
            "signed_off_at": r.signed_off_at if signed_off_by else None,
        }
        if r.decided_by:  # a file that names no decision leaves the desk's standing
            values["decided_by"] = self.user(r.decided_by)
            values["decided_at"] = r.decided_at
        if r.rationale_language:
            values["rationale_language"] = r.rationale_language
        changes: dict[str, list[Any]] = {}
        for name, value in values.items():
            current = getattr(claim, f"{name}_id" if name.endswith("_by") else name)
            if current != value:
                changes[name] = [current, value]
        known_urls = self.known_urls.get(claim.pk, set())
        new_links = [(url, e) for url, e in item.links if url not in known_urls]
        known_comments = self.known_comments.get(claim.pk, set())
        new_comments = [
            c
            for c in r.comments
            if (item.users.get(c.author or "", self.actor.pk), c.body) not in known_comments
        ]
        if not changes and not new_links and not new_comments:
            return ImportOutcome.UNCHANGED
        if changes:
            for name, (_, value) in changes.items():
                setattr(claim, f"{name}_id" if name.endswith("_by") else name, value)
            claim.updated_by_id = self.user(r.updated_by or r.created_by)
            claim.version += 1
            claim.save()
            Claim.with_deleted.filter(pk=claim.pk).update(updated_at=r.updated_at or timezone.now())
            if r.assessments is None:  # the desk verdict is its author's, as at creation
                Assessment.objects.filter(claim=claim, analyst_id=claim.created_by_id).update(
                    verdict=claim.verdict, rationale=claim.rationale
                )
            # Times as text, as the services write them: the entry's changes are JSON.
            logged = {
                name: [v.isoformat() if isinstance(v, datetime) else v for v in pair]
                for name, pair in changes.items()
            }
            record_history(
                claim=claim, action=HistoryEntry.Action.UPDATED, actor=self.actor, changes=logged
            )
        sub = _Placed(**{**item.__dict__, "links": new_links})
        sub.record = ImportedClaim(**{**r.__dict__, "comments": new_comments})
        self._evidence([claim], [sub])
        self._comments([claim], [sub])
        return ImportOutcome.UPDATED


def _disagree(record: ImportedClaim) -> bool:
    verdicts = {a.verdict for a in record.assessments or [] if a.verdict != Verdict.PENDING}
    return len(verdicts) > 1


def _records(items: Iterable[Item], report: ClaimImport) -> Iterator[Record]:
    """The records of a reader's items; its notices go into the report."""
    for item in items:
        if isinstance(item, FileNotice):
            report.notices.append(item)
        else:
            yield item


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def claims_import(
    *,
    stream: IO[bytes],
    format: str,
    actor: User,
    dry_run: bool = False,
    skip_refused: bool = False,
    label_map: Mapping[str, str] | None = None,
    article: Article | None = None,
    on_record: Callable[[RecordResult], None] | None = None,
) -> ClaimImport:
    """Import the claims of one file, in one transaction; the report says what happened to each.

    Refused records (and a file that is not the format) leave the desk as it was, unless
    ``skip_refused``: then the others are written. ``dry_run`` writes nothing and reports the
    same outcomes a real run would give. Only reviewers import: a file may set verdicts and
    sign-offs on anybody's behalf.
    """
    require(is_reviewer(actor), MSG_NO_RIGHT_IMPORT)
    if format not in READERS:
        raise invalid(
            "format",
            MSG_IMPORT_FORMAT_UNKNOWN.format(value=format, choices=", ".join(FORMATS)),
            ErrorCode.IMPORT_FORMAT_UNKNOWN,
        )
    mapping = validate_label_map(label_map or {})
    report = ClaimImport(format=format, dry_run=dry_run, skip_refused=skip_refused)
    with transaction.atomic():
        importer = _Importer(
            actor=account(actor),
            report=report,
            label_map=mapping,
            article=article,
            on_record=on_record,
        )
        try:
            records = _records(READERS[format](stream), report)
            for chunk in _chunks(records, settings.IMPORT_CHUNK_SIZE):
                importer.run(chunk)
        except ImportFileError as exc:
            report.file_error, report.file_error_code = exc.message, exc.code
        except UnicodeDecodeError as exc:
            report.file_error = f"The file is not UTF-8 ({exc.reason} at byte {exc.start})."
            report.file_error_code = "not_utf8"
        if dry_run or not report.ok:
            transaction.set_rollback(True)
        else:
            report.written = True
    return report


__all__ = [
    "FORMATS",
    "ClaimImport",
    "ImportOutcome",
    "RecordResult",
    "claims_import",
    "detect_format",
    "parse_label_map",
    "validate_label_map",
]
