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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User as Account
from django.db import connection, transaction
from django.db.models import Model, Q
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
from annotations.linkcheck.service import link_check_request
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

READERS: dict[str, Callable[[IO[bytes]], Iterator[Item]]] = {
    "json": read_json,
    "jsonl": read_jsonl,
    "w3c": read_w3c,
    "label_studio": read_label_studio,
    "doccano": read_doccano,
}
FORMATS = tuple(READERS)
# Rows per UPDATE … FROM (VALUES …): within SQLite's and PostgreSQL's parameter limits.
STAMP_BATCH = 2000
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

    # -- one record --------------------------------------------------------------------------

    def verdict_of(self, record: ImportedClaim) -> str:
        if record.verdict is not None:
            verdict = record.verdict
        elif record.label is not None:
            mapped = self.label_map.get(record.label)
            if mapped is None and record.label.lower() in Verdict.values:
                mapped = record.label.lower()
            if mapped is None:
                raise Refused(
                    MSG_IMPORT_LABEL_UNKNOWN.format(label=record.label),
                    ErrorCode.IMPORT_LABEL_UNKNOWN,
                )
            verdict = mapped
        else:
            verdict = Verdict.PENDING
        if verdict not in Verdict.values:
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
            if item.stance not in Stance.values:
                raise Refused(
                    MSG_UNKNOWN_STANCE.format(value=item.stance, choices=", ".join(Stance.values)),
                    ErrorCode.UNKNOWN_STANCE,
                )
            try:
                links.append((normalise_url(item.url), item))
            except Exception as exc:  # ValidationError from the URL rules
                message = "; ".join(getattr(exc, "messages", [str(exc)]))
                raise Refused(f"evidence {item.url!r}: {message}", ErrorCode.URL_INVALID) from None
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
            query |= Q(external_source=source, external_id__in=ids)
        return {
            (claim.external_source, claim.external_id): claim
            for claim in Claim.with_deleted.select_for_update().filter(query)
        }

    def _create(self, items: list[_Placed]) -> list[Claim]:
        """The chunk's new claims and what they carry, a few bulk queries for the whole chunk."""
        if not items:
            return []
        now = timezone.now()
        claims = []
        for item in items:
            r = item.record
            signed_off_at = r.signed_off_at if r.signed_off_by else None
            decided_at = r.decided_at if r.decided_by else None
            claims.append(
                Claim(
                    article=item.article,
                    start=item.start,
                    end=item.end,
                    quote=item.quote,
                    prefix=item.prefix,
                    suffix=item.suffix,
                    verdict=item.verdict,
                    rationale=r.rationale,
                    rationale_language=r.rationale_language,
                    created_by_id=self.user(r.created_by),
                    updated_by_id=self.user(r.updated_by or r.created_by),
                    signed_off_by_id=self.user(r.signed_off_by) if signed_off_at else None,
                    signed_off_at=signed_off_at,
                    sign_off_withdrawn_at=None if signed_off_at else r.sign_off_withdrawn_at,
                    decided_by_id=self.user(r.decided_by) if decided_at else None,
                    decided_at=decided_at,
                    version=r.version or 1,
                    external_source=r.external_source,
                    external_id=r.external_id,
                    in_disagreement=(
                        _disagree(r) if r.in_disagreement is None else r.in_disagreement
                    ),
                )
            )
        claims = Claim.objects.bulk_create(claims)
        # auto_now(_add) stamps every row on insert: the file's own times are set afterwards.
        for claim, item in zip(claims, items, strict=True):
            claim.created_at = item.record.created_at or now
            claim.updated_at = item.record.updated_at or claim.created_at
        _restamp(Claim, claims, ["created_at", "updated_at"])
        for claim, item in zip(claims, items, strict=True):
            self.spans[item.article.pk][(item.start, item.end)] = claim.pk
        self._assessments(claims, items)
        self._evidence(claims, items)
        self._comments(claims, items)
        self._history(claims, items)
        return claims

    def _assessments(self, claims: list[Claim], items: list[_Placed]) -> None:
        rows = []
        for claim, item in zip(claims, items, strict=True):
            given = item.record.assessments
            if given is None:
                rows.append(
                    Assessment(
                        claim=claim,
                        analyst_id=claim.created_by_id,
                        verdict=claim.verdict,
                        rationale=claim.rationale,
                        rationale_language=claim.rationale_language,
                        created_at=claim.created_at,
                        updated_at=claim.updated_at,
                    )
                )
                continue
            for a in given:
                rows.append(
                    Assessment(
                        claim=claim,
                        analyst_id=item.users[a.analyst],
                        verdict=a.verdict if a.verdict in Verdict.values else Verdict.PENDING,
                        rationale=a.rationale,
                        rationale_language=a.rationale_language,
                        version=a.version,
                        created_at=a.created_at or claim.created_at,
                        updated_at=a.updated_at or a.created_at or claim.updated_at,
                    )
                )
        Assessment.objects.bulk_create(rows)

    def _links(self, urls: set[str]) -> dict[str, int]:
        found = dict(SourceLink.objects.filter(url__in=urls).values_list("url", "pk"))
        missing = urls - set(found)
        if missing:
            SourceLink.objects.bulk_create(
                [SourceLink(url=url) for url in sorted(missing)], ignore_conflicts=True
            )
            new = dict(SourceLink.objects.filter(url__in=missing).values_list("url", "pk"))
            for pk in new.values():
                link_check_request(link=pk)  # queued once the import commits
            found |= new
        return found

    def _evidence(self, claims: list[Claim], items: list[_Placed]) -> None:
        urls = {url for item in items for url, _ in item.links}
        if not urls:
            return
        links = self._links(urls)
        rows, stamps = [], []
        for claim, item in zip(claims, items, strict=True):
            for url, e in item.links:
                rows.append(
                    Evidence(
                        claim=claim,
                        source_link_id=links[url],
                        url=e.url.strip(),
                        title=e.title,
                        excerpt=e.excerpt,
                        note=e.note,
                        stance=e.stance,
                        added_by_id=item.users.get(e.added_by or "", claim.created_by_id),
                    )
                )
                created = e.created_at or claim.created_at
                stamps.append((created, e.updated_at or created))
        rows = Evidence.objects.bulk_create(rows)
        for row, (created, updated) in zip(rows, stamps, strict=True):
            row.created_at, row.updated_at = created, updated
        _restamp(Evidence, rows, ["created_at", "updated_at"])

    def _comments(self, claims: list[Claim], items: list[_Placed]) -> None:
        rows, mentions = [], []
        for claim, item in zip(claims, items, strict=True):
            for c in item.record.comments:
                rows.append(
                    Comment(
                        claim=claim,
                        author_id=item.users.get(c.author or "", self.actor.pk),
                        body=c.body,
                        created_at=c.created_at or claim.created_at,
                    )
                )
                mentions.append(c.mentions)
        if not rows:
            return
        rows = Comment.objects.bulk_create(rows)
        through = Comment.mentions.through
        links = [
            through(comment_id=row.pk, user_id=self.users[name])
            for row, names in zip(rows, mentions, strict=True)
            for name in names
            if self.users.get(name)  # a mention of somebody not on this desk stays as text
        ]
        through.objects.bulk_create(links)

    def _history(self, claims: list[Claim], items: list[_Placed]) -> None:
        rows, stamps = [], []
        for claim, item in zip(claims, items, strict=True):
            for h in item.record.history:
                rows.append(
                    HistoryEntry(
                        claim=claim,
                        claim_ref=claim.pk,
                        subject=h.subject if h.subject in HistoryEntry.Subject.values else "claim",
                        action=h.action if h.action in HistoryEntry.Action.values else "updated",
                        changes=h.changes,
                        actor_id=item.users.get(h.actor or "") if h.actor else None,
                    )
                )
                stamps.append(h.at)
            if item.record.history:
                # The file's trail already tells who created the claim and when; an entry
                # saying the importer created it would be false (the claim's external_source
                # and external_id say it was imported).
                continue
            rows.append(
                HistoryEntry(
                    claim=claim,
                    claim_ref=claim.pk,
                    subject=HistoryEntry.Subject.CLAIM,
                    action=HistoryEntry.Action.CREATED,
                    changes={
                        "start": [None, claim.start],
                        "end": [None, claim.end],
                        "quote": [None, claim.quote],
                        "verdict": [None, claim.verdict],
                        "rationale": [None, claim.rationale],
                    },
                    actor_id=self.actor.pk,
                )
            )
            stamps.append(None)
        rows = HistoryEntry.objects.bulk_create(rows)
        dated = []
        for row, at in zip(rows, stamps, strict=True):
            if at is not None:
                row.at = at
                dated.append(row)
        if dated:
            _restamp(HistoryEntry, dated, ["at"])

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


def _restamp(model: type[Model], rows: list[Any], fields: list[str]) -> None:
    """Give inserted rows the file's own times: ``auto_now(_add)`` stamped them on insert.

    One ``UPDATE … FROM (VALUES …)`` per batch (SQLite 3.33+ and PostgreSQL name the
    columns column1, column2…): ``bulk_update``'s CASE per field costs more than the insert.
    """
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(name)} = v.column{i + 2}" for i, name in enumerate(fields))
    with connection.cursor() as cursor:
        for at in range(0, len(rows), STAMP_BATCH):
            batch = rows[at : at + STAMP_BATCH]
            row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
            params: list[Any] = []
            for row in batch:
                params.append(row.pk)
                params.extend(adapt(getattr(row, name)) for name in fields)
            cast = "::timestamptz" if connection.vendor == "postgresql" else ""
            sets_sql = (
                sets
                if not cast
                else ", ".join(
                    f"{quote(name)} = v.column{i + 2}{cast}" for i, name in enumerate(fields)
                )
            )
            cursor.execute(
                f"UPDATE {table} SET {sets_sql} FROM (VALUES {', '.join([row_sql] * len(batch))})"
                f" AS v WHERE {table}.{quote('id')} = v.column1",
                params,
            )


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
