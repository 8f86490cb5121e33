"""The exported claim record, declared once (``CLAIM_RECORD``).

Everything else derives from this declaration (see ``fields``): the ``values()`` paths of
the Python path, its builder ``claim_record``, ``CSV_COLUMNS`` and the CSV cells, the
PostgreSQL query ``RECORD.sql`` that builds the same JSON next to the data, and the ``COPY``
``RECORD.csv_sql()`` that writes the same CSV rows.
"""

from annotations.exports.fields import (
    ApiUrl,
    ArchiveUrl,
    Col,
    Count,
    Field,
    Group,
    IsSet,
    JsonItems,
    Many,
    Names,
    One,
    Row,
    Spaced,
    Urls,
    compile_record,
    user,
)
from annotations.models import Claim

# The claim's own columns that the API's claim shape shows too, under the same names.
CLAIM_COLUMNS = (
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "verdict",
    "rationale",
    "version",
    "is_orphaned",
)
# A source link's latest check, as every claim, evidence and link response shows it.
LINK_FIELDS = (
    "id",
    "url",
    "outcome",
    "http_status",
    "final_url",
    "page_title",
    "last_checked_at",
    "text_changed_at",
    "error",
)

# The archived copy a citation is pinned to (what the analyst saw), as the API shows it too.
PINNED_SNAPSHOT_FIELDS: tuple[Field, ...] = (
    Col("id"),
    Col("captured_at"),
    Col("sha256", column="body_sha256"),
    ArchiveUrl("archive_url"),
    Col("status", column="http_status"),
)
# The link's Wayback Machine copy; null until a submission gave one.
MEMENTO = Group(
    "memento",
    (
        Col("memento_url", column="wayback_url"),
        Col("archived_at", column="wayback_archived_at"),
    ),
    present="wayback_url",
    relation="source_link",
)


# CSV: each citation's details as one JSON array (a cell holds any text losslessly).
EVIDENCE_DETAILS = JsonItems(
    "evidence_details",
    (
        ("url", "url"),
        ("title", "title"),
        ("excerpt", "excerpt"),
        ("stance", "stance"),
        ("link_outcome", "source_link__outcome"),
        ("link_http_status", "source_link__http_status"),
    ),
)


CLAIM_RECORD: tuple[Field, ...] = (
    Col("id"),
    ApiUrl("url", "claims"),
    One(
        "article",
        (
            Col("id", csv="article_id"),
            Col("slug", csv="article_slug"),
            Col("title", csv="article_title"),
            Col("language", csv="article_language"),
            ApiUrl("url", "articles", csv="article_url"),
            Col("source_name", csv=False),
            Col("source_url", csv=False),
            Col("published_on", csv=False),
            Col("content_hash", csv=False),
        ),
    ),
    *(Col(name) for name in CLAIM_COLUMNS),
    # The claim group's id (the same claim in other articles, one shared verdict), or null.
    Col("group", column="group_id"),
    user("created_by"),
    user("updated_by"),
    Col("created_at"),
    Col("updated_at"),
    IsSet("signed_off", "signed_off_at"),
    user("signed_off_by"),
    Col("signed_off_at"),
    Many(
        "evidence",
        (
            Col("id"),
            Col("url"),
            Col("title"),
            Col("excerpt"),
            Col("note"),
            Col("stance"),
            user("added_by", csv=False),
            Col("created_at"),
            Col("updated_at"),
            One("link", tuple(Col(name) for name in LINK_FIELDS), relation="source_link"),
            One("pinned_snapshot", PINNED_SNAPSHOT_FIELDS, relation="pinned_snapshot"),
            MEMENTO,
        ),
        order=("created_at", "id"),
        summaries=(
            Count("evidence_count"),
            Spaced("evidence_urls", "url"),
            Spaced("evidence_stances", "stance"),
            Spaced("link_outcomes", "source_link__outcome"),
            EVIDENCE_DETAILS,
        ),
    ),
)


# The claim's discussion: in json and jsonl only (CSV keeps one flat row per claim, and
# the formats that publish verdicts have no place for it).
COMMENTS = Many(
    "comments",
    (user("author"), Col("body"), Col("created_at"), Names("mentions", "username")),
    order=("created_at", "id"),
)

# The desk's working state behind its verdict, in json and jsonl only: what the import needs
# to give back the same desk (CSV is the desk verdict for spreadsheets; the publishing
# formats publish the verdict, not how it was reached). Exports list only the claims whose
# judgments the reader may see (``selectors.claims_judged_visible_to``), so the other
# analysts' assessments here are ones the reader may read on the claim's page too.
DESK_STATE: tuple[Field, ...] = (
    Col("rationale_language"),
    Col("in_disagreement"),
    user("decided_by"),
    Col("decided_at"),
    # Set when a change withdrew the sign-off (signed_off_by is null then).
    Col("sign_off_withdrawn_at"),
)
ASSESSMENTS = Many(
    "assessments",
    (
        user("analyst"),
        Col("verdict"),
        Col("rationale"),
        Col("rationale_language"),
        Col("version"),
        Col("created_at"),
        Col("updated_at"),
    ),
    order=("created_at", "id"),
)
# The claim's audit trail, with ``history=true``: a claim's history outgrows the claim
# itself, and most consumers of an export do not want it.
HISTORY_LIST = Many(
    "history",
    (Col("subject"), Col("action"), Col("changes"), user("actor"), Col("at")),
    order=("at", "id"),
)

# Compiled at import: this module is imported once the models are loaded (from the API).
RECORD = compile_record(Claim, CLAIM_RECORD)
CSV_COLUMNS = RECORD.csv_columns
# What json and jsonl write: the claim record, the desk's state, assessments and discussion.
JSON_FIELDS: tuple[Field, ...] = (*CLAIM_RECORD, *DESK_STATE, ASSESSMENTS, COMMENTS)
JSON_RECORD = compile_record(Claim, JSON_FIELDS)
# The same with each claim's history (``history=true``): what a lossless round trip reads.
JSON_HISTORY_RECORD = compile_record(Claim, (*JSON_FIELDS, HISTORY_LIST))


def claim_record(row: Row, urls: Urls) -> Row:
    """One claim for json/jsonl (an export binds ``JSON_RECORD.builder`` once instead)."""
    return JSON_RECORD.builder(urls)(row)
