"""Readable history (issue 11, defect 12): names, no no-ops, no reprs, whole evidence records.

The same lines reach the API (and so the annotator) and the admin's claim page.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotations import history_display, services
from annotations.models import HistoryEntry, Verdict

QUOTE = "президент Венесуэлы написал письмо для Владимира Путина"
URL = "https://example.org/letter"


@pytest.fixture
def named_reviewer(reviewer):
    reviewer.first_name, reviewer.last_name = "Iryna", "Koval"
    reviewer.save(update_fields=["first_name", "last_name"])
    return reviewer


@pytest.fixture
def signed_claim(make_claim, ru_article, named_reviewer):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)
    return services.claim_sign_off(claim=claim, reviewer=named_reviewer)


def cite(claim, actor):
    return services.evidence_add(
        claim=claim,
        actor=actor,
        url=URL,
        stance="refutes",
        excerpt="The letter was never sent.",
        note="Archived copy",
    )


def lines_of(claim):
    return history_display.claim_history_lines(claim.pk)


# --- what the services record


def test_sign_off_records_no_verdict_to_the_same_verdict(signed_claim, named_reviewer):
    entry = HistoryEntry.objects.filter(action=HistoryEntry.Action.SIGNED_OFF).get()
    assert set(entry.changes) == {"signed_off_by", "signed_off_at"}
    assert entry.changes["signed_off_by"] == [None, named_reviewer.pk]


def test_a_pair_that_changes_nothing_is_never_recorded(make_claim, ru_article, analyst):
    claim = make_claim(ru_article, QUOTE)
    entry = services.record_history(
        claim=claim,
        action=HistoryEntry.Action.UPDATED,
        actor=analyst,
        changes={"verdict": ["verified", "verified"], "rationale": ["", "why"]},
    )
    assert entry.changes == {"rationale": ["", "why"]}


def test_evidence_creation_is_recorded_whole(make_claim, ru_article, analyst):
    claim = make_claim(ru_article, QUOTE)
    cite(claim, analyst)
    entry = HistoryEntry.objects.get(subject="evidence", action="created")
    assert entry.changes == {
        "url": [None, URL],
        "stance": [None, "refutes"],
        "excerpt": [None, "The letter was never sent."],
        "note": [None, "Archived copy"],
    }


# --- how the lines read


def test_user_ids_become_names(signed_claim):
    line = lines_of(signed_claim)[0]
    assert line.actor == "Iryna Koval" and line.summary == "Claim signed off"
    by = next(c for c in line.changes if c.field == "signed_off_by")
    assert (by.label, by.before, by.after) == ("signed off by", None, "Iryna Koval")


def test_dates_and_codes_read_plainly(signed_claim):
    changes = {c.field: c for c in lines_of(signed_claim)[0].changes}
    at = signed_claim.signed_off_at
    assert changes["signed_off_at"].after == at.strftime("%Y-%m-%d %H:%M UTC")
    created = {c.field: c.after for c in lines_of(signed_claim)[-1].changes}
    assert created["verdict"] == "Verified"  # the label, not the code


def test_old_no_op_rows_are_not_shown(make_claim, ru_article, analyst):
    claim = make_claim(ru_article, QUOTE)
    # Rows written before the fix: a no-op update and a sign-off with "verified -> verified".
    HistoryEntry.objects.create(
        claim=claim, claim_ref=claim.pk, subject="claim", action="updated", actor=analyst,
        changes={"verdict": ["verified", "verified"]},
    )  # fmt: skip
    HistoryEntry.objects.create(
        claim=claim, claim_ref=claim.pk, subject="claim", action="signed_off", actor=analyst,
        changes={"signed_off_by": [None, analyst.pk], "verdict": ["verified", "verified"]},
    )  # fmt: skip
    lines = lines_of(claim)
    assert [line.action for line in lines] == ["signed_off", "created"]
    assert [c.field for c in lines[0].changes] == ["signed_off_by"]
    assert lines[0].changes[0].after == "olena"


def test_a_deleted_user_is_named_as_such(make_claim, ru_article, other_analyst):
    claim = make_claim(ru_article, QUOTE)
    HistoryEntry.objects.create(
        claim=claim, claim_ref=claim.pk, subject="claim", action="signed_off",
        changes={"signed_off_by": [None, 987654]},
    )  # fmt: skip
    line = lines_of(claim)[0]
    assert line.actor == "system" and line.changes[0].after == "a deleted user (#987654)"


def test_names_are_read_in_one_query_whatever_the_length(
    make_claim, ru_article, analyst, other_analyst, named_reviewer
):
    claim = make_claim(ru_article, QUOTE, verdict=Verdict.VERIFIED)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            lines_of(claim)
        return len(queries)

    short = count()
    for actor in (analyst, other_analyst, named_reviewer) * 3:
        services.claim_sign_off(claim=claim, reviewer=named_reviewer)
        services.claim_revoke_sign_off(claim=claim, reviewer=named_reviewer)
        HistoryEntry.objects.create(
            claim=claim, claim_ref=claim.pk, subject="claim", action="updated", actor=actor,
            changes={"rationale": ["", actor.username]},
        )  # fmt: skip
    assert len(lines_of(claim)) > 20
    assert short == count() == 2


# --- the API (read by the annotator) and the admin


def test_api_history_shows_names_and_plain_values(signed_claim, analyst):
    cite(signed_claim, analyst)
    client = APIClient()
    client.force_authenticate(analyst)
    history = client.get(f"/api/v1/claims/{signed_claim.pk}/history/").json()
    summaries = [h["summary"] for h in history]
    assert summaries == ["Evidence created", "Claim signed off", "Claim created"]
    assert set(history[0]) == {"at", "actor_id", "actor", "subject", "action", "summary", "changes"}
    assert history[0]["actor"] == "olena"
    assert {c["name"]: c["after"] for c in history[0]["changes"]} == {
        "url": URL,
        "stance": "Refutes",
        "excerpt": "The letter was never sent.",
        "note": "Archived copy",
    }
    signed = history[1]["changes"]
    assert {"name": "signed_off_by", "title": "signed off by", "before": None,
            "after": "Iryna Koval"} in signed  # fmt: skip
    assert "verdict" not in {c["name"] for c in signed}


def test_api_history_query_count_is_fixed(signed_claim, analyst, named_reviewer):
    client = APIClient()
    client.force_authenticate(analyst)
    url = f"/api/v1/claims/{signed_claim.pk}/history/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(5):
        services.claim_revoke_sign_off(claim=signed_claim, reviewer=named_reviewer)
        services.claim_sign_off(claim=signed_claim, reviewer=named_reviewer)
        cite(signed_claim, analyst)
    assert count() == few


def test_admin_history_shows_the_same_lines(client, signed_claim, named_reviewer, analyst):
    cite(signed_claim, analyst)
    client.force_login(named_reviewer)
    page = client.get(reverse("admin:annotations_claim_change", args=[signed_claim.pk]))
    table = page.content.decode().split("<th>changes</th>")[1].split("</table>")[0]
    assert "signed off by: <ins>Iryna Koval</ins>" in table
    assert "Archived copy" in table and "The letter was never sent." in table
    assert "stance: <ins>Refutes</ins>" in table
    assert f"[None, {named_reviewer.pk}]" not in table and "None" not in table
    assert "datetime" not in table and "&#x27;" not in table  # no Python reprs
    assert "Verified → Verified" not in table and "verified → verified" not in table
