"""Source links: their latest state, every check made, and a forced re-check."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from annotations import selectors_review, services
from annotations.linkcheck import service as linkcheck
from annotations.models import LinkCheck, Snapshot, SourceLink, WaybackCapture

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors_review import CitationCount


# Shown and read-only alike; a tuple, as both admin options accept one.
LINK_CHECK_FIELDS = (
    "checked_at",
    "outcome",
    "http_status",
    "final_url",
    "page_title",
    "response_ms",
    "text_source",
    "error",
    "attempt",
    "will_retry",
    "archive_error",
)


class LinkCheckInline(admin.TabularInline):
    model = LinkCheck
    extra = 0
    can_delete = False
    fields = LINK_CHECK_FIELDS
    readonly_fields = LINK_CHECK_FIELDS
    ordering = ["-checked_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _with_detail(request, list(LINK_CHECK_FIELDS))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


WAYBACK_CAPTURE_FIELDS = (
    "requested_at",
    "status",
    "memento",
    "archived_at",
    "attempts",
    "status_ext",
    "error",
    "finished_at",
)


class WaybackCaptureInline(admin.TabularInline):
    """Each submission to the Wayback Machine, read-only: the service writes them."""

    model = WaybackCapture
    extra = 0
    can_delete = False
    fields = WAYBACK_CAPTURE_FIELDS
    readonly_fields = WAYBACK_CAPTURE_FIELDS
    ordering = ["-requested_at", "-id"]
    verbose_name = "Wayback Machine submission"

    @admin.display(description="Wayback copy")
    def memento(self, obj: WaybackCapture) -> str:
        return _memento_link(obj.memento_url)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


SNAPSHOT_FIELDS = (
    "captured_at",
    "http_status",
    "content_type",
    "size",
    "truncated",
    "body_sha256",
    "stored",
    "pins",
)


class SnapshotInline(admin.TabularInline):
    """The link's archived copies, read-only (written by the checks alone)."""

    model = Snapshot
    fk_name = "source_link"
    extra = 0
    can_delete = False
    fields = SNAPSHOT_FIELDS
    readonly_fields = SNAPSHOT_FIELDS
    ordering = ["-captured_at", "-id"]
    verbose_name = "archived copy"
    verbose_name_plural = "archived copies"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(pin_count=Count("pinned_by"))

    @admin.display(description="stored as")
    def stored(self, obj: Snapshot) -> str:
        kind = f"revisit of #{obj.refers_to_id}" if obj.refers_to_id else "full copy"
        return format_html(
            '<a href="{}">#{}</a>: {}, {} B',
            reverse("archive-view", args=[obj.pk]),
            obj.pk,
            kind,
            obj.stored_bytes,
        )

    @admin.display(description="pinned to citations")
    def pins(self, obj: Any) -> int:
        return int(obj.pin_count)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SourceLink)
class SourceLinkAdmin(admin.ModelAdmin):
    list_display = ["url", "outcome", "http_status", "last_checked_at", "citations"]
    list_filter = ["outcome"]
    search_fields = ["url", "final_url", "page_title"]
    readonly_fields = [
        "url",
        "outcome",
        "http_status",
        "final_url",
        "page_title",
        "content_type",
        "text_source",
        "main_text_sha256",
        "text_sha256",
        "error",
        "last_checked_at",
        "created_at",
        "redirect_chain",
        "content_length",
        "body_truncated",
        "body_sha256",
        "response_ms",
        "text_changed_at",
        "check_requested_at",
        "attempts",
        "wayback_copy",
        "wayback_status",
        "wayback_archived_at",
    ]
    exclude = ["error_detail", "wayback_url"]
    inlines = [SnapshotInline, LinkCheckInline, WaybackCaptureInline]

    @admin.display(description="Wayback copy")
    def wayback_copy(self, obj: SourceLink) -> str:
        return _memento_link(obj.wayback_url)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["wayback_url"] if services.is_reviewer(request.user) else list(self.exclude)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return _with_detail(request, list(self.readonly_fields))

    actions = ["recheck_links"]

    @admin.action(description="Re-check selected links", permissions=["view"])
    def recheck_links(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = linkcheck.links_request_checks(
            links=list(queryset.values_list("pk", flat=True)), force=True
        )
        self.message_user(request, f"{queued} link check(s) queued.")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors_review.source_links_with_citation_counts(super().get_queryset(request))

    @admin.display(description="cited by", ordering="citation_count")
    def citations(self, obj: "WithAnnotations[SourceLink, CitationCount]") -> int:
        return obj.citation_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _with_detail(request: HttpRequest, fields: list[str]) -> list[str]:
    """Reviewers also see what a blocked host resolved to (``error_detail``), after the error."""
    if not services.is_reviewer(request.user):
        return fields
    at = fields.index("error") + 1
    return [*fields[:at], "error_detail", *fields[at:]]


def _memento_link(url: str) -> str:
    return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, url) if url else "-"
