"""History rows as people read them: names for user ids, labels for codes, plain dates.

The one rendering of a claim's history, used by the API's history endpoint (which the
annotator reads) and by the admin's claim page, so the two never tell the story apart.
Old rows are cleaned up as they are shown: a pair that changes nothing is left out.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from annotations.models import Assessment, Claim, Evidence, HistoryEntry, Stance, Verdict

SYSTEM = "system"
# Codes shown by their label; any other field ending in "_by" holds a user id.
LABELLED_VALUES = {
    "verdict": dict(Verdict.choices),
    "desk_verdict": dict(Verdict.choices),
    "stance": dict(Stance.choices),
}
# An assessment's entry also says how it moved the claim's desk verdict.
DESK_LABELS = {"desk_verdict": "desk verdict", "desk_rationale": "desk reasoning"}


@dataclass(frozen=True)
class ChangeLine:
    field: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor_id: int | None
    actor: str
    subject: str
    action: str
    summary: str
    changes: list[ChangeLine] = field(default_factory=list)


def user_name(user: Any) -> str:
    """How the desk names a person: the full name when there is one, else the login."""
    return user.get_full_name().strip() or user.get_username()


# What an entry says about the desk's judgment rather than the actor's own work: left out
# for a reader who may not see the judgments yet (blind double-checking).
DESK_CHANGES = frozenset(
    {
        "in_disagreement",
        "decided_by",
        "decided_at",
        "signed_off_by",
        "signed_off_at",
        "sign_off_withdrawn_at",
    }
)


def claim_history_lines(claim_id: int, *, only_by: Any = None) -> list[HistoryLine]:
    """The claim's story, newest first, in two queries whatever its length.

    With ``only_by`` (a reader who may not see the judgments yet), only that person's own
    entries, without what they did to the desk verdict.
    """
    entries = HistoryEntry.objects.filter(claim_ref=claim_id).order_by("-at", "-id")
    if only_by is None:
        return history_lines(list(entries))
    own = []
    for entry in entries.filter(actor_id=only_by.pk):
        entry.changes = {
            name: pair
            for name, pair in entry.changes.items()
            if not name.startswith("desk_") and name not in DESK_CHANGES
        }
        own.append(entry)
    return history_lines(own)


def history_lines(entries: list[HistoryEntry]) -> list[HistoryLine]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    for entry in entries:
        for name, pair in entry.changes.items():
            if name.endswith("_by") and isinstance(pair, list):
                ids.update(v for v in pair if isinstance(v, int))
    users = get_user_model().objects.filter(pk__in=ids) if ids else []
    names = {user.pk: user_name(user) for user in users}
    lines = []
    for entry in entries:
        changes = _change_lines(entry, names)
        if entry.action == HistoryEntry.Action.UPDATED and not changes:
            continue  # an old no-op row: nothing to tell
        lines.append(
            HistoryLine(
                at=entry.at,
                actor_id=entry.actor_id,
                actor=names.get(entry.actor_id, SYSTEM) if entry.actor_id else SYSTEM,
                subject=entry.subject,
                action=entry.action,
                summary=f"{entry.get_subject_display()} {entry.get_action_display().lower()}",
                changes=changes,
            )
        )
    return lines


def _change_lines(entry: HistoryEntry, names: dict[int, str]) -> list[ChangeLine]:
    model: type[Model] = {
        HistoryEntry.Subject.EVIDENCE: Evidence,
        HistoryEntry.Subject.ASSESSMENT: Assessment,
    }.get(HistoryEntry.Subject(entry.subject), Claim)
    lines = []
    for name, pair in entry.changes.items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        before, after = (_show(name, v, names) for v in (old, new))
        if before == after:
            continue
        lines.append(ChangeLine(field=name, label=_label(model, name), before=before, after=after))
    return lines


def _label(model: type[Model], name: str) -> str:
    if name in DESK_LABELS:
        return DESK_LABELS[name]
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _show(name: str, value: Any, names: dict[int, str]) -> str | None:
    """A stored value as plain text; None and the empty string both mean "nothing"."""
    if value is None or value == "":
        return None
    if name.endswith("_by") and isinstance(value, int):
        return names.get(value, f"a deleted user (#{value})")
    if name in LABELLED_VALUES and isinstance(value, str):
        return str(LABELLED_VALUES[name].get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _plain_date(value) or value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _plain_date(value: str) -> str | None:
    if len(value) < 19 or value[4] != "-" or value[10] not in "T ":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
