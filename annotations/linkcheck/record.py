"""Recording what a check found: one LinkCheck row per attempt, the SourceLink's state
when the attempt is final, and the flags of the citations of a page that answered.

``check_state`` is the one mapping from a fetch result to the fields both models share
(``CheckState``); ``link_record`` applies one attempt to its link, so a batch is recorded
link by link in memory and written in a fixed number of queries.

"Changed" means the article's main text changed. Every check keeps both hashes (the visible
text's ``text_sha256`` and, when trafilatura found an article, ``main_text_sha256``), and
``text_changed`` compares like with like: the main texts when both sides have one, else the
visible texts. So the switch to main text flips nothing by itself: a link or citation whose
baseline predates it (a visible hash only) is compared by its visible text once more, and
from that check on it has a main-text baseline too and is compared by that. A page where
no article is found is compared by its visible text, as before.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from annotations.columns import column_field, column_name
from annotations.linkcheck import archive
from annotations.linkcheck.fetch import FetchResult
from annotations.models import CheckState, Evidence, LinkCheck, LinkOutcome, SourceLink

# Outcomes that say the page answered, so its text can be compared with what was cited.
ANSWERED = {LinkOutcome.OK, LinkOutcome.REDIRECTED}

STATE_FIELDS = [field.name for field in CheckState._meta.fields]
# A link keeps these from its last check that read a text (a 404 or a timeout reads none).
TEXT_FIELDS = ("text_sha256", "main_text_sha256", "text_source")


@dataclass(frozen=True)
class Attempt:
    link_id: int
    result: FetchResult
    attempt: int = 1
    will_retry: bool = False
    capture: archive.Capture | None = None  # the archived copy of the page, if one was read


def check_state(result: FetchResult) -> dict[str, Any]:
    """The ``CheckState`` fields for what one fetch found, cut to the columns' sizes."""
    return {
        "outcome": result.outcome,
        "http_status": result.http_status,
        "final_url": result.final_url[:2000],
        "redirect_chain": result.redirect_chain,
        "content_type": result.content_type,
        "page_title": result.page_title[:500],
        "content_length": result.content_length,
        "body_truncated": result.body_truncated,
        "body_sha256": result.body_sha256,
        "text_sha256": result.text_sha256,
        "main_text_sha256": result.main_text_sha256,
        "text_source": result.text_source,
        "response_ms": result.response_ms,
        "error": result.error,
        "error_detail": result.error_detail if result.error_detail != result.error else "",
    }


def text_changed(before_visible: str, before_main: str, after: FetchResult) -> bool:
    """Did the page's text change since the baseline (a visible and maybe a main hash)?"""
    if before_main and after.main_text_sha256:
        return before_main != after.main_text_sha256
    return bool(before_visible) and before_visible != after.text_sha256


def archive_retry_at(link: SourceLink, entry: Attempt, now: datetime) -> datetime | None:
    """When to check a link again whose page could not be archived (None: it was, or there
    was none to keep). Sooner than the regular re-check: the desk is missing a copy. The
    wait doubles with each failure in a row (the previous wait is what the link's fields
    still say), up to ``LINKCHECK_RECHECK_AGE``."""
    if entry.capture is None or not entry.capture.error:
        return None
    wait = float(settings.ARCHIVE_RETRY_DELAY)
    if link.archive_retry_at and link.last_checked_at:
        wait = max(wait, 2 * (link.archive_retry_at - link.last_checked_at).total_seconds())
    return now + timedelta(seconds=min(wait, float(settings.LINKCHECK_RECHECK_AGE)))


def link_record(link: SourceLink, entry: Attempt, now: datetime) -> bool:
    """Apply one attempt to its (locked) link in memory; True when the page's text was read.

    A transient failure that will be tried again only frees the lease: the desk's view of
    the link changes when an attempt is final, so a flapping server does not flap it.
    """
    link.checking_until = None
    link.attempts = entry.attempt
    if entry.will_retry:
        return False
    result = entry.result
    state = check_state(result)
    text_state = {name: state.pop(name) for name in TEXT_FIELDS}  # kept from the last read
    for name, value in state.items():
        setattr(link, name, value)
    link.archive_retry_at = archive_retry_at(link, entry, now)
    link.last_checked_at = now
    if result.outcome not in ANSWERED or not result.text_sha256:
        return False
    if text_changed(link.text_sha256, link.main_text_sha256, result):
        link.text_changed_at = now
    for name, value in text_state.items():
        setattr(link, name, value)
    return True


def links_check_record(*, attempts: list[Attempt]) -> list[LinkCheck]:
    """Record several attempts in a fixed number of queries (a batch checked by one task).

    The archived copies' files were written before (in the fetch threads); if recording
    fails and its transaction rolls back, they are removed, so no file outlives its rows.
    """
    try:
        return _record(attempts)
    except BaseException:
        archive.captures_discard(entry.capture for entry in attempts)
        raise


@transaction.atomic
def _record(attempts: list[Attempt]) -> list[LinkCheck]:
    links = SourceLink.objects.select_for_update().in_bulk([a.link_id for a in attempts])
    now = timezone.now()
    checks = LinkCheck.objects.bulk_create(
        LinkCheck(
            source_link_id=entry.link_id,
            checked_at=now,
            attempt=entry.attempt,
            will_retry=entry.will_retry,
            archive_error=entry.capture.error if entry.capture else "",
            **check_state(entry.result),
        )
        for entry in attempts
    )
    captured = [
        (check, entry.capture)
        for check, entry in zip(checks, attempts, strict=True)
        if entry.capture and not entry.capture.error
    ]
    if captured:
        archive.snapshots_record(captured, archive.ArchivePolicy.from_settings())
    answered = {
        entry.link_id: entry.result
        for entry in attempts
        if link_record(links[entry.link_id], entry, now)
    }
    fields = [
        "checking_until",
        "attempts",
        "last_checked_at",
        "text_changed_at",
        "archive_retry_at",
        *STATE_FIELDS,
    ]
    _update_rows(list(links.values()), fields)
    if answered:
        _update_citations(answered, now)
    return checks


def _update_rows(objects: Sequence[Model], fields: list[str]) -> None:
    """One parameterised UPDATE run for many rows (``executemany``).

    ``bulk_update`` builds a CASE expression per field and row; for a batch of checks that
    compiling cost more than the fetching.
    """
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [column_field(type(objects[0]), name) for name in fields]
    quote = db_connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(column_name(field))} = %s" for field in columns),
        quote(column_name(meta.pk)),
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), db_connection) for field in columns]
        + [obj.pk]
        for obj in objects
    ]
    with db_connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _update_citations(answered: dict[int, FetchResult], now: datetime) -> None:
    """Flag each citing evidence item whose source text changed or lost its excerpt.

    A citation's baseline is what the first read after citing found; one cited before main
    texts were hashed gets its main-text baseline from the first check that finds one, after
    that check compared the visible texts (``text_changed``).
    """
    fields = ["cited_text_sha256", "cited_main_text_sha256", "source_changed_at", "excerpt_found"]
    changed = []
    for evidence in Evidence.objects.filter(source_link_id__in=list(answered)).only(
        "id", "source_link_id", "excerpt", *fields
    ):
        result = answered[evidence.source_link_id]
        before = [getattr(evidence, name) for name in fields]
        if not evidence.cited_text_sha256:
            evidence.cited_text_sha256 = result.text_sha256
            evidence.cited_main_text_sha256 = result.main_text_sha256
        else:
            if not evidence.source_changed_at and text_changed(
                evidence.cited_text_sha256, evidence.cited_main_text_sha256, result
            ):
                evidence.source_changed_at = now
            if not evidence.cited_main_text_sha256:
                evidence.cited_main_text_sha256 = result.main_text_sha256
        evidence.excerpt_found = excerpt_found(
            evidence.excerpt, result.text, truncated=result.body_truncated
        )
        if before != [getattr(evidence, name) for name in fields]:
            changed.append(evidence)
    if changed:
        _update_rows(changed, fields)


_QUOTES = str.maketrans({c: '"' for c in "«»„“”‟″"} | {c: "'" for c in "‘’‚‛′"} | {"—": "-"})


def _for_search(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).replace("–", "-")
    return " ".join(text.casefold().split())


def excerpt_found(excerpt: str, text: str, *, truncated: bool = False) -> bool | None:
    """Is the cited excerpt still on the page? ``None`` when nobody can tell."""
    needle = _for_search(excerpt)
    if not needle or not text:
        return None
    if needle in _for_search(text):
        return True
    return None if truncated else False  # the rest of the page was not read
