"""Placing claims again after an import changed their article's text."""

from typing import Any

from annotations.anchoring import context_around
from annotations.models import Claim, HistoryEntry
from annotations.services.history import diff, record_history
from annotations.services.sign_off import withdraw_sign_off


def claim_reanchor(*, claim: Claim, body: str, span: tuple[int, int] | None) -> str:
    """Record where an import of changed text put a claim, or that it lost its place.

    Called by the importer inside its transaction, with the article and claims locked.
    Returns ``unchanged``, ``moved`` (same quote elsewhere), ``changed`` (the text of the
    quote itself changed) or ``orphaned``. A moved quote keeps its sign-off; a changed or
    lost one does not, since the reviewer vouched for other words.
    """
    if span is None:
        if claim.is_orphaned:
            return "unchanged"
        changes: dict[str, list[Any]] = {"is_orphaned": [False, True]}
        claim.is_orphaned = True
        action, result = HistoryEntry.Action.ORPHANED, "orphaned"
        withdraw_sign_off(claim, changes)
    else:
        start, end = span
        quote = body[start:end]
        prefix, suffix = context_around(body, start, end)
        changes = diff(claim, {"start": start, "end": end, "quote": quote, "is_orphaned": False})
        if not changes:
            if (claim.prefix, claim.suffix) != (prefix, suffix):
                claim.prefix, claim.suffix = prefix, suffix
                claim.save(update_fields=["prefix", "suffix"])
            return "unchanged"
        result = "changed" if "quote" in changes else "moved"
        if result == "changed":
            withdraw_sign_off(claim, changes)
        claim.start, claim.end, claim.quote, claim.is_orphaned = start, end, quote, False
        claim.prefix, claim.suffix = prefix, suffix
        action = HistoryEntry.Action.REANCHORED
    claim.version += 1
    claim.save()
    record_history(claim=claim, action=action, actor=None, changes=changes)
    return result
