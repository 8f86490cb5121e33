"""Recording what a check found: one LinkCheck row per attempt, the SourceLink's state
when the attempt is final, and the flags of the citations of a page that answered.

``check_state`` is the one mapping from a fetch result to the fields both models share
(``CheckState``); ``link_record`` applies one attempt to its link, so a batch is recorded
link by link in memory and written in a fixed number of queries.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from annotations.columns import column_field, column_name
from annotations.linkcheck.fetch import FetchResult
from annotations.models import CheckState, Evidence, LinkCheck, LinkOutcome, SourceLink

# Outcomes that say the page answered, so its text can be compared with what was cited.
ANSWERED = {LinkOutcome.OK, LinkOutcome.REDIRECTED}

STATE_FIELDS = [field.name for field in CheckState._meta.fields]


@dataclass(frozen=True)
class Attempt:
    link_id: int
    result: FetchResult
    attempt: int = 1
    will_retry: bool = False


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
        "response_ms": result.response_ms,
        "error": result.error,
        "error_detail": result.error_detail if result.error_detail != result.error else "",
    }


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
    text_sha256 = state.pop("text_sha256")
    for name, value in state.items():
        setattr(link, name, value)
    link.last_checked_at = now
    if result.outcome not in ANSWERED or not text_sha256:
        return False
    if link.text_sha256 and link.text_sha256 != text_sha256:
        link.text_changed_at = now
    link.text_sha256 = text_sha256
    return True


@transaction.atomic
def links_check_record(*, attempts: list[Attempt]) -> list[LinkCheck]:
    """Record several attempts in a fixed number of queries (a batch checked by one task)."""
    links = SourceLink.objects.select_for_update().in_bulk([a.link_id for a in attempts])
    now = timezone.now()
    checks = LinkCheck.objects.bulk_create(
        LinkCheck(
            source_link_id=entry.link_id,
            checked_at=now,
            attempt=entry.attempt,
            will_retry=entry.will_retry,
            **check_state(entry.result),
        )
        for entry in attempts
    )
    answered = {
        entry.link_id: entry.result
        for entry in attempts
        if link_record(links[entry.link_id], entry, now)
    }
    fields = ["checking_until", "attempts", "last_checked_at", "text_changed_at", *STATE_FIELDS]
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
    """Flag each citing evidence item whose source text changed or lost its excerpt."""
    changed = []
    for evidence in Evidence.objects.filter(source_link_id__in=list(answered)).only(
        "id", "source_link_id", "excerpt", "cited_text_sha256", "source_changed_at", "excerpt_found"
    ):
        result = answered[evidence.source_link_id]
        before = (evidence.cited_text_sha256, evidence.source_changed_at, evidence.excerpt_found)
        if not evidence.cited_text_sha256:
            evidence.cited_text_sha256 = result.text_sha256
        elif evidence.cited_text_sha256 != result.text_sha256 and not evidence.source_changed_at:
            evidence.source_changed_at = now
        evidence.excerpt_found = excerpt_found(
            evidence.excerpt, result.text, truncated=result.body_truncated
        )
        if before != (
            evidence.cited_text_sha256,
            evidence.source_changed_at,
            evidence.excerpt_found,
        ):
            changed.append(evidence)
    if changed:
        _update_rows(changed, ["cited_text_sha256", "source_changed_at", "excerpt_found"])


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
