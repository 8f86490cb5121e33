"""Claim groups on the review desk: each group's appearances and its public page, and the
*Publish* / *Unpublish* actions. Reviewers only; linking and unlinking stay in the annotator
and the API. Writes go through ``services.claim_group_publish`` / ``claim_group_unpublish``."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from annotations import selectors_public, services
from annotations.models import Claim, ClaimGroup


def _error_text(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


@admin.register(ClaimGroup)
class ClaimGroupAdmin(admin.ModelAdmin):
    list_display = ["__str__", "appearances", "member_count", "public_page"]
    readonly_fields = ["appearances", "public_page", "created_by", "created_at"]
    fields = ("appearances", "public_page", "created_by", "created_at")
    actions = ["publish", "unpublish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        members = Claim.objects.select_related("article").order_by("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(live=Count("members", filter=Q(members__deleted_at__isnull=True)))
            .prefetch_related(Prefetch("members", queryset=members, to_attr="live_members"))
            .order_by("-pk")
        )

    # Reviewers see and publish groups; nobody edits one here (the annotator links claims).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return services.can_sign_off(request.user)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return services.can_sign_off(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_sign_off_permission(self, request: HttpRequest) -> bool:
        return services.can_sign_off(request.user)

    @admin.display(description="claims")
    def member_count(self, obj: ClaimGroup) -> int:
        return getattr(obj, "live", 0)

    @admin.display(description="appearances")
    def appearances(self, obj: ClaimGroup) -> str:
        members: list[Claim] = getattr(obj, "live_members", [])
        return format_html_join(
            "",
            '<div><a href="{}">claim {}</a> ({}, {}): «{}»{}</div>',
            (
                (
                    reverse("admin:annotations_claim_change", args=[m.pk]),
                    m.pk,
                    m.article.language,
                    m.article.title[:40],
                    m.quote[:60],
                    "" if m.is_signed_off else " — not signed off",
                )
                for m in members
            ),
        )

    @admin.display(description="public page")
    def public_page(self, obj: ClaimGroup) -> str:
        members: list[Claim] = getattr(obj, "live_members", [])
        if services.claim_group_is_public(obj, members):
            path = selectors_public.group_path(obj)
            return format_html('Public at <a href="{}">{}</a>', path, path)
        if obj.published_at is not None:
            return "Hidden (410): a claim changed since it was published; publish it again."
        if obj.public_slug:
            return "Taken down (its address answers 410)."
        return "Not published."

    @admin.action(description="Publish selected claim groups", permissions=["sign_off"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.claim_group_publish, "published")

    @admin.action(description="Unpublish selected claim groups", permissions=["sign_off"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.claim_group_unpublish, "unpublished")

    def _each(
        self, request: HttpRequest, queryset: QuerySet, write: Callable[..., ClaimGroup], done: str
    ) -> None:
        count, refused = 0, []
        for pk in queryset.values_list("pk", flat=True):
            try:
                write(group=pk, reviewer=request.user)
                count += 1
            except (PermissionDenied, ValidationError) as exc:
                refused.append(f"claim group {pk}: {_error_text(exc)}")
        if count:
            self.message_user(request, f"{count} claim group(s) {done}.")
        for reason in refused:
            self.message_user(request, f"Not {done}: {reason}", messages.ERROR)
