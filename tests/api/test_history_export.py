"""The ``history`` export: the exported claims' audit trail, one entry a line."""

import json

from annotations import services
from annotations.models import Claim, HistoryEntry
from tests.api.conftest import bulk_claims
from tests.api.test_exports import EXPORT, fetch, queries_for


def lines(client, query: str) -> list[dict]:
    response, content = fetch(client, query)
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="claims.history.jsonl"'
    return [json.loads(line) for line in content.decode().splitlines()]


def test_history_lines_are_the_entries_oldest_first(
    reviewer_api, ru_article, uk_article, make_claim, analyst, reviewer
):
    claim = make_claim(
        ru_article, "Венесуэла просит Россию", verdict="disputed", rationale="Почему?"
    )
    evidence = services.evidence_add(claim=claim, actor=analyst, url="https://example.org/a")
    services.claim_sign_off(claim=claim, reviewer=reviewer)
    other = make_claim(uk_article, "Мадуро")
    entries = list(HistoryEntry.objects.filter(claim=claim).order_by("id"))
    exported = lines(reviewer_api, f"format=history&article={ru_article.pk}")
    assert [line["id"] for line in exported] == [e.pk for e in entries]
    assert {line["claim"] for line in exported} == {claim.pk}  # the filters apply
    created, cited, signed = exported[0], exported[1], exported[-1]
    assert created["action"] == "created" and created["subject"] == "claim"
    assert created["actor"] == {"id": analyst.pk, "username": analyst.username}
    assert created["changes"] == entries[0].changes
    assert cited["subject"] == "evidence" and cited["evidence"] == evidence.pk
    assert signed["action"] == "signed_off" and signed["actor"]["username"] == reviewer.username
    assert signed["at"] == entries[-1].at.isoformat().replace("+00:00", "Z")
    everything = lines(reviewer_api, "format=history")
    assert {line["claim"] for line in everything} == {claim.pk, other.pk}


def test_history_summary_line(reviewer_api, ru_article, make_claim):
    make_claim(ru_article, "Венесуэла")
    _, content = fetch(reviewer_api, "format=history&summary=true")
    *records, last = content.decode().splitlines()
    summary = json.loads(last)["export_summary"]
    assert summary["records"] == len(records) == 1


def test_history_queries_do_not_grow(reviewer_api, ru_article, analyst, settings):
    settings.EXPORT_CHUNK_SIZE = 5000

    def with_history(n):
        Claim.objects.all().delete()
        HistoryEntry.objects.all().delete()
        bulk_claims(ru_article, n, analyst)
        HistoryEntry.objects.bulk_create(
            HistoryEntry(claim=c, claim_ref=c.pk, subject="claim", action="created", actor=analyst)
            for c in Claim.objects.all()
            for _ in range(3)
        )

    with_history(5)
    small = queries_for(reviewer_api, f"{EXPORT}?format=history")
    with_history(500)
    assert HistoryEntry.objects.count() == 1500
    assert queries_for(reviewer_api, f"{EXPORT}?format=history") == small
