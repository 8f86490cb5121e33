"""What the archive viewer shows of a snapshot: its main text, the excerpt in it, and how the
main text moved between the copy a citation pinned and the link's latest copy."""

import difflib
import re
from dataclasses import dataclass

from annotations.linkcheck.archive import SnapshotUnavailable, snapshot_read
from annotations.linkcheck.pagetext import main_text
from annotations.models import Evidence, Snapshot


@dataclass(frozen=True)
class Highlighted:
    """The main text cut around the excerpt's first occurrence (``match`` empty: not found)."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "gap"
    text: str


def snapshot_main_text(snapshot: Snapshot) -> str | None:
    """The main text the link check compared, or None (not HTML, none found, file gone)."""
    try:
        content = snapshot_read(snapshot)
    except SnapshotUnavailable:
        return None
    return main_text(content.body, snapshot.content_type)


def highlight(text: str, excerpt: str) -> Highlighted:
    """Find the excerpt as the check does, whitespace-insensitively, and keep the text's own
    line breaks around it."""
    words = [re.escape(w) for w in excerpt.split()]
    if not words:
        return Highlighted(text, "", "")
    found = re.search(r"\s+".join(words), text, flags=re.IGNORECASE)
    if found is None:
        return Highlighted(text, "", "")
    return Highlighted(text[: found.start()], found.group(0), text[found.end() :])


def latest_snapshot(snapshot: Snapshot) -> Snapshot | None:
    return (
        Snapshot.objects.filter(source_link_id=snapshot.source_link_id)
        .select_related("refers_to")
        .order_by("-captured_at", "-pk")
        .first()
    )


def text_changes(old: str | None, new: str | None) -> list[DiffLine] | None:
    """A paragraph-line diff of two main texts (three lines of context); None when either
    page has no main text (not HTML), so the viewer says there is no text diff."""
    if old is None or new is None:
        return None
    lines: list[DiffLine] = []
    a, b = old.splitlines(), new.splitlines()
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(3):
        if lines:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", line) for line in a[i1:i2]]
                continue
            lines += [DiffLine("removed", line) for line in a[i1:i2]]
            lines += [DiffLine("added", line) for line in b[j1:j2]]
    return lines


def citation_of(snapshot: Snapshot, evidence_id: str | None) -> Evidence | None:
    """The citation the viewer was opened from, if it cites this snapshot's link."""
    if not evidence_id or not evidence_id.isdigit():
        return None
    return (
        Evidence.objects.select_related("pinned_snapshot__refers_to")
        .filter(pk=int(evidence_id), source_link_id=snapshot.source_link_id)
        .first()
    )
