"""The review queue: one admin page listing what needs a reviewer, most urgent first.

Served under the claim admin (``/admin/annotations/claim/review-queue/``) so it shares
the desk's sign-in, navigation and look; the rows come from ``selectors_review``.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse

from annotations import selectors_review, services
from annotations.linkcheck.archive import snapshot_archive_path
from annotations.models import Article


def annotator_url(article_id: int, claim_id: int) -> str:
    """The claim opened in the annotator (it reads ``#claim=N`` on load)."""
    return reverse("article-detail", args=[article_id]) + f"#claim={claim_id}"


def admin_claim_url(claim_id: int) -> str:
    return reverse("admin:annotations_claim_change", args=[claim_id])


@dataclass(frozen=True)
class QueueFilters:
    kind: str | None
    article_id: int | None
    assigned_to_me: bool
    page: int


def queue_filters(params: QueryDict) -> QueueFilters:
    """The queue's filters from a query string; what does not parse is left out, not a 500."""
    kinds = dict(selectors_review.QUEUE_KINDS)
    kind = params.get("kind") or None
    article = params.get("article", "")
    page = params.get("page", "")
    return QueueFilters(
        kind=kind if kind in kinds else None,
        article_id=int(article) if article.isdigit() and len(article) < 19 else None,
        assigned_to_me=params.get("assigned_to_me") in ("1", "true", "on"),
        page=int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1,
    )


def queue_for(request: HttpRequest, filters: QueueFilters) -> selectors_review.ReviewQueue:
    """The queue a reviewer asked for (the admin page and the API share it)."""
    if not services.can_assign(request.user):
        raise PermissionDenied(services.MSG_NO_RIGHT_REVIEW_QUEUE)
    return selectors_review.review_queue(
        kind=filters.kind,
        article_id=filters.article_id,
        assigned_to=request.user.pk if filters.assigned_to_me else None,
        page=filters.page,
    )


def review_queue_view(request: HttpRequest) -> HttpResponse:
    filters = queue_filters(request.GET)
    queue = queue_for(request, filters)
    article = None
    if filters.article_id is not None:
        article = Article.objects.filter(pk=filters.article_id).only("title").first()
    rows = [
        {
            "row": row,
            "annotator_url": annotator_url(row.article_id, row.claim_id),
            "admin_url": admin_claim_url(row.claim_id),
            "archive_url": (
                f"{snapshot_archive_path(row.archived_snapshot_id)}"
                f"?evidence={row.archived_evidence_id}"
                if row.archived_snapshot_id
                else ""
            ),
        }
        for row in queue.rows
    ]
    keep = request.GET.copy()
    keep.pop("page", None)
    kinds = [
        {"value": value, "label": label, "count": queue.counts[value]}
        for value, label in selectors_review.QUEUE_KINDS
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Review queue",
        "queue": queue,
        "rows": rows,
        "kinds": kinds,
        "filters": filters,
        "article": article,
        "query": keep.urlencode(),
    }
    return TemplateResponse(request, "admin/annotations/claim/review_queue.html", context)
