"""Evidence on the claim page: an inline whose rows are saved by the claim admin's services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html_join

from annotations import services
from annotations.models import Claim, Evidence, LinkOutcome

DEAD = set(LinkOutcome.gone())


class EvidenceInlineForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = ["url", "title", "stance", "excerpt", "note"]
        widgets = {
            "excerpt": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            services.normalise_url(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from None
        return url


class EvidenceInline(admin.StackedInline):
    model = Evidence
    form = EvidenceInlineForm
    extra = 0
    fields = [
        "url",
        "link_state",
        "archived_copy",
        "source_flags",
        "title",
        "stance",
        "excerpt",
        "note",
        "added_by",
    ]
    readonly_fields = ["link_state", "archived_copy", "source_flags", "added_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("source_link", "added_by", "pinned_snapshot")
        )

    @admin.display(description="archived copy")
    def archived_copy(self, obj: Evidence) -> str:
        """The copy pinned at citation; in a dead link's place, and beside a changed text."""
        snapshot = obj.pinned_snapshot if obj.pk else None
        if snapshot is None:
            return "–"
        view = reverse("archive-view", args=[snapshot.pk]) + f"?evidence={obj.pk}"
        when = f"{snapshot.captured_at:%Y-%m-%d %H:%M}"
        dead = obj.source_link.outcome in DEAD
        links = [(view, f"archived copy from {when}" if dead else f"view the copy of {when}")]
        if obj.source_changed_at:
            links.append((view + "&tab=changes", "what changed"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description="link state")
    def link_state(self, obj: Evidence) -> str:
        if not obj.pk:
            return "–"
        return render_to_string(
            "admin/annotations/evidence/link_state.html", {"link": obj.source_link}
        )

    @admin.display(description="source since cited")
    def source_flags(self, obj: Evidence) -> str:
        if not obj.pk:
            return "–"
        flags = []
        if obj.source_changed_at:
            flags.append(f"text changed {obj.source_changed_at:%Y-%m-%d %H:%M}")
        if obj.excerpt_found is False:
            flags.append("excerpt no longer found")
        elif obj.excerpt_found:
            flags.append("excerpt found")
        return "; ".join(flags) or "no change seen"

    def has_change_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or services.can_edit_claim(request.user, obj)
        )

    has_add_permission = has_delete_permission = has_change_permission
