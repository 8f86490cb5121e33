"""The desk's own exports import back losslessly (issue 14 §1): json and jsonl, with and without
``history=true``, and the ``history`` export of the imported claims.

A desk with analysts who disagree, a reviewer's decision, sign-offs (one withdrawn), evidence,
comments with mentions, history, rationale languages, Cyrillic and emoji is exported, emptied
of its claims (the articles, users and source links stay), imported, and exported again: the
records must be equal but for ids and API addresses.
"""

import io
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotations import services
from annotations.models import Assessment, Claim, HistoryEntry
from tests.conftest import span_of

EXPORT = "/api/v1/export/claims"
# The history export's ids: of the entry, and of the claim, evidence and assessment it names.
HISTORY_IDS = ("id", "claim", "evidence", "assessment")


@pytest.fixture
def desk(ru_article, uk_article, analyst, other_analyst, reviewer, settings):
    def claim(article, quote, who, **kwargs):
        start, end = span_of(article, quote)
        return services.claim_create(
            article=article, start=start, end=end, quote=quote, author=who, **kwargs
        )

    # Disagreement, decided by the reviewer (with a comment), then signed off.
    decided = claim(
        ru_article,
        "Венесуэла просит Россию",
        analyst,
        verdict="disputed",
        rationale="Документы не подтверждают «просьбу» 🙂.",
    )
    services.evidence_add(
        claim=decided,
        actor=analyst,
        url="https://example.org/doc?id=1",
        title="Документ 📄",
        excerpt="выдержка",
        note="стр. 2",
        stance="refutes",
    )
    services.assessment_submit(
        claim=decided, analyst=other_analyst, verdict="verified", rationale="Так, правда 👍"
    )
    services.evidence_add(claim=decided, actor=other_analyst, url="https://example.org/second")
    settings.RATIONALE_LANGUAGE = "uk"  # the reviewer writes in another language
    services.claim_decide(
        claim=decided,
        reviewer=reviewer,
        verdict="unsourced",
        reason="Источник не найден 🔍",
        comment="Решено, @olena @pavlo",
    )
    services.claim_sign_off(claim=decided, reviewer=reviewer)
    # Signed off, then withdrawn by a change of the analyst's reasoning.
    withdrawn = claim(ru_article, "The Washington Post", analyst, verdict="verified")
    services.claim_sign_off(claim=withdrawn, reviewer=reviewer)
    services.assessment_submit(claim=withdrawn, analyst=analyst, rationale="Газета это писала.")
    services.comment_add(claim=withdrawn, author=other_analyst, body="Проверю ещё @olena 🙂")
    # In disagreement, not decided.
    disputed = claim(uk_article, "Мадуро", other_analyst, verdict="verified", rationale="-1 та @")
    services.assessment_submit(claim=disputed, analyst=analyst, verdict="disputed")
    # Pending, one analyst, no rationale.
    claim(uk_article, "Венесуел", analyst)
    claims = {c.quote: c for c in Claim.objects.all()}
    assert claims["Венесуэла просит Россию"].decided_by_id == reviewer.pk
    assert claims["The Washington Post"].sign_off_withdrawn_at is not None
    assert claims["Мадуро"].in_disagreement
    return claims


def export(user: Any, query: str) -> bytes:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def records(data: bytes, fmt: str) -> list[dict[str, Any]]:
    if fmt == "json":
        return json.loads(data)
    return [json.loads(line) for line in data.splitlines()]


def without_ids(value: Any) -> Any:
    """The record with every id and API address left out (a new desk gives new ones)."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "url")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def history_by_claim(data: bytes, claim_ids: list[int]) -> list[list[dict[str, Any]]]:
    """The history export's entries per claim (in ``claim_ids`` order), without their ids."""
    entries: dict[int, list[dict[str, Any]]] = {pk: [] for pk in claim_ids}
    for line in data.splitlines():
        entry = json.loads(line)
        entries[entry["claim"]].append({k: v for k, v in entry.items() if k not in HISTORY_IDS})
    return [entries[pk] for pk in claim_ids]


def empty_desk() -> None:
    Claim.with_deleted.all().delete()
    HistoryEntry.objects.all().delete()  # kept by a deletion; an empty desk has none


def import_file(data: bytes, fmt: str, actor: Any) -> services.ClaimImport:
    report = services.claims_import(stream=io.BytesIO(data), format=fmt, actor=actor)
    assert report.written, report.as_dict()
    return report


@pytest.mark.parametrize("history", [True, False], ids=["with-history", "without-history"])
@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_an_export_imported_into_an_empty_desk_exports_the_same_records(
    desk, reviewer, fmt, history
):
    query = f"format={fmt}" + ("&history=true" if history else "")
    data = export(reviewer, query)
    before = records(data, fmt)
    history_before = history_by_claim(export(reviewer, "format=history"), [r["id"] for r in before])
    assert len(before) == 4
    empty_desk()

    report = import_file(data, fmt, reviewer)

    assert report.counts["created"] == 4, report.as_dict()
    after = records(export(reviewer, query), fmt)
    assert without_ids(after) == without_ids(before)
    # What the comparison sees is what the desk holds: the state is back, not only its text.
    decided = Claim.objects.get(quote="Венесуэла просит Россию")
    assert decided.decided_by == reviewer and not decided.in_disagreement
    assert decided.rationale_language == "uk" and decided.is_signed_off
    assert Claim.objects.get(quote="Мадуро").in_disagreement
    assert Assessment.objects.filter(claim=decided).count() == 2
    history_after = history_by_claim(export(reviewer, "format=history"), [r["id"] for r in after])
    if history:
        # The file's trail is the claim's trail: no entry saying the importer created it.
        assert history_after == history_before
        assert not HistoryEntry.objects.filter(actor=reviewer, action="created").exists()
    else:
        assert [len(h) for h in history_after] == [1, 1, 1, 1]  # the import's own entry
    # A second import of the same file changes nothing.
    again = services.claims_import(stream=io.BytesIO(data), format=fmt, actor=reviewer)
    assert again.counts["unchanged"] == 4, again.as_dict()


def _dump(items: list[dict[str, Any]], fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(items, ensure_ascii=False).encode()
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items).encode()


def test_a_decision_by_an_unknown_reviewer_is_reported_in_the_dry_run(desk, reviewer):
    data = records(export(reviewer, "format=jsonl"), "jsonl")
    for record in data:
        if record["decided_by"]:
            record["decided_by"] = {"id": 999, "username": "nobody-here"}
    empty_desk()

    report = services.claims_import(
        stream=io.BytesIO(_dump(data, "jsonl")), format="jsonl", actor=reviewer, dry_run=True
    )

    refused = [r for r in report.records if r.outcome == "refused"]
    assert [(r.code, "nobody-here" in r.reason) for r in refused] == [("import_user_unknown", True)]
    assert not Claim.objects.exists()


def test_a_bad_version_is_refused_with_its_field(desk, reviewer):
    (first, *_) = data = records(export(reviewer, "format=jsonl"), "jsonl")
    first["assessments"][0]["version"] = 0
    empty_desk()

    report = services.claims_import(
        stream=io.BytesIO(_dump(data, "jsonl")), format="jsonl", actor=reviewer
    )

    assert not report.written and report.records[0].code == "record_shape"
    assert "assessments.version" in report.records[0].reason


def test_a_decision_made_since_the_last_import_updates_the_claim(desk, reviewer):
    data = records(export(reviewer, "format=jsonl"), "jsonl")
    decided = next(r for r in data if r["decided_by"])
    undecided = [{**r, "decided_by": None, "decided_at": None} for r in data]
    empty_desk()
    import_file(_dump(undecided, "jsonl"), "jsonl", reviewer)
    claim = Claim.objects.get(quote=decided["quote"])
    assert claim.decided_at is None

    report = import_file(_dump(data, "jsonl"), "jsonl", reviewer)

    assert report.counts["updated"] == 1 and report.counts["unchanged"] == 3, report.as_dict()
    claim.refresh_from_db()
    assert claim.decided_by == reviewer
    assert (
        records(export(reviewer, "format=jsonl"), "jsonl")[0]["decided_at"]
        == (decided["decided_at"])
    )
    entry = HistoryEntry.objects.filter(claim=claim, action="updated").latest("id")
    assert entry.changes["decided_by"] == [None, reviewer.pk]
    # The decision is the desk's: the analysts' own assessments stay what the file says.
    assert [(a.verdict, a.rationale) for a in claim.assessments.order_by("created_at", "id")] == [
        (a["verdict"], a["rationale"]) for a in decided["assessments"]
    ]


def test_a_sign_off_given_since_the_last_import_updates_the_claim(desk, reviewer):
    """The update's history entry holds the times as text (a datetime there failed the write)."""
    data = records(export(reviewer, "format=jsonl"), "jsonl")
    signed = next(r for r in data if r["signed_off_by"])
    unsigned = [{**r, "signed_off_by": None, "signed_off_at": None} for r in data]
    empty_desk()
    import_file(_dump(unsigned, "jsonl"), "jsonl", reviewer)

    report = import_file(_dump(data, "jsonl"), "jsonl", reviewer)

    assert report.counts["updated"] == 1, report.as_dict()
    claim = Claim.objects.get(quote=signed["quote"])
    assert claim.signed_off_by == reviewer
    entry = HistoryEntry.objects.filter(claim=claim, action="updated").latest("id")
    assert entry.changes["signed_off_at"] == [None, claim.signed_off_at.isoformat()]
