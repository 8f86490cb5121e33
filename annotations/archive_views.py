"""The archive viewer: a banner over a snapshot, its page in a sandboxed frame, its main text
and what changed in it since a citation pinned it.

The captured page itself (``archive_raw``) is served under a policy of its own: a CSP
``sandbox`` without ``allow-scripts`` or ``allow-same-origin``, nothing loaded but inline
styles and data images, so a page that tries to run script, call home, read the desk's
cookies or move the top window achieves none of it, even opened on its own.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from annotations import selectors_archive, services
from annotations.csp import content_security_policy
from annotations.linkcheck.archive import SnapshotUnavailable, snapshot_read
from annotations.models import Snapshot

RAW_CONTENT_SECURITY_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
TABS = ("page", "text", "changes")
MSG_NO_DESK_ROLE = "The archived copies are for the desk's analysts and reviewers."


def _snapshot(request: HttpRequest, pk: int) -> Snapshot:
    if not services.can_read_archive(request.user):
        raise PermissionDenied(MSG_NO_DESK_ROLE)
    return get_object_or_404(Snapshot.objects.select_related("source_link", "refers_to"), pk=pk)


def _kind(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    return "image" if media.startswith("image/") else "other"


@content_security_policy
@login_required
def archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = _snapshot(request, pk)
    tab = request.GET.get("tab", "page")
    tab = tab if tab in TABS else "page"
    evidence = selectors_archive.citation_of(snapshot, request.GET.get("evidence"))
    context: dict[str, object] = {
        "snapshot": snapshot,
        "tab": tab,
        "tabs": TABS,
        "evidence": evidence,
        "kind": _kind(snapshot.content_type),
        "query": f"evidence={evidence.pk}&" if evidence else "",
    }
    if tab == "text":
        text = selectors_archive.snapshot_main_text(snapshot)
        context["text"] = (
            selectors_archive.highlight(text, evidence.excerpt if evidence else "")
            if text is not None
            else None
        )
    elif tab == "changes":
        pinned = (evidence.pinned_snapshot if evidence else None) or snapshot
        latest = selectors_archive.latest_snapshot(snapshot) or snapshot
        context |= {
            "pinned": pinned,
            "latest": latest,
            "changes": selectors_archive.text_changes(
                selectors_archive.snapshot_main_text(pinned),
                selectors_archive.snapshot_main_text(latest),
            ),
        }
    return render(request, "annotations/archive_view.html", context)


@xframe_options_sameorigin
@login_required
def archive_raw(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = _snapshot(request, pk)
    try:
        content = snapshot_read(snapshot)
    except SnapshotUnavailable as exc:
        response = HttpResponse(str(exc), status=410, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(
            content.body, content_type=snapshot.content_type or "application/octet-stream"
        )
        if _kind(snapshot.content_type) == "other":
            response["Content-Disposition"] = f'attachment; filename="snapshot-{snapshot.pk}"'
    # Set, not defaulted: nothing later may widen what the captured page can do.
    response["Content-Security-Policy"] = RAW_CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private"
    return response
