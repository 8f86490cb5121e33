"""Articles: read-only where the importer owns them, with their claims counted per verdict."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from annotations import selectors, services
from annotations.models import Article, Verdict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors import ArticleClaimCounts


def desk_members() -> QuerySet:
    """The people an article can go to: active accounts with a desk role."""
    roles = Q(groups__name__in=[services.ANALYST, services.REVIEWER]) | Q(is_superuser=True)
    return get_user_model().objects.filter(roles, is_active=True).distinct().order_by("username")


class AssignForm(forms.Form):
    analysts = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Each gets every selected article; an article already theirs stays as it is.",
    )

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["analysts"].queryset = desk_members()  # type: ignore[attr-defined]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "published_on", "source_name", "claim_counts"]
    actions = ["assign", "blind_review_on", "blind_review_off", "blind_review_default"]
    list_filter = ["language", "published_on", "blind_review"]
    search_fields = ["title", "body", "source_name"]
    # What the importer owns is read-only here: the next import would overwrite it anyway.
    readonly_fields = [
        "title",
        "body",
        "claim_counts",
        "language",
        "published_on",
        "source_name",
        "content_hash",
        "source_file",
        "created_at",
        "updated_at",
        "assigned_to",
        "blind_review",  # set by the actions below, through its service
    ]
    fields = [
        "title",
        "slug",
        "language",
        "published_on",
        "source_name",
        "source_url",
        "blind_review",
        "claim_counts",
        "assigned_to",
        "body",
        "source_file",
        "content_hash",
        ("created_at", "updated_at"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.articles_with_claim_counts(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # articles come from `manage.py import_articles`, which keeps claims anchored

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False  # it would take claims and evidence with it, past the history

    @admin.display(description="claims by verdict")
    def claim_counts(self, obj: "WithAnnotations[Article, ArticleClaimCounts]") -> str:
        counts = [{"verdict": v, "n": getattr(obj, f"count_{v.value}")} for v in Verdict]
        return render_to_string(
            "admin/annotations/article/claim_counts.html",
            {"counts": counts, "orphaned": obj.count_orphaned},
        )

    @admin.display(description="assigned to")
    def assigned_to(self, obj: Article) -> str:
        return render_to_string(
            "admin/annotations/article/assignments.html",
            {"assignments": selectors.article_assignments(obj)},
        )

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return services.can_assign(request.user)

    @admin.action(description="Assign to analysts", permissions=["assign"])
    def assign(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """An intermediate page asks whom to; the service refuses anyone without a desk role."""
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            people = list(form.cleaned_data["analysts"])
            made = 0
            try:
                for article in queryset:
                    made += len(
                        services.article_assign(
                            article=article, analysts=people, reviewer=request.user
                        )
                    )
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"Nothing more was assigned: {exc}", messages.ERROR)
                return None
            names = ", ".join(p.get_username() for p in people)
            self.message_user(
                request,
                f"{made} new assignment(s) to {names} on {queryset.count()} article(s).",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign articles",
            "form": form,
            "articles": queryset.only("title"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/annotations/article/assign.html", context)

    def has_blind_review_permission(self, request: HttpRequest) -> bool:
        return services.can_decide(request.user)

    def _set_blind_review(
        self, request: HttpRequest, queryset: QuerySet, blind_review: bool | None, said: str
    ) -> None:
        try:
            for article in queryset:
                services.article_set_blind_review(
                    article=article, actor=request.user, blind_review=blind_review
                )
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} article(s) {said}.", messages.SUCCESS)

    @admin.action(description="Blind review: on", permissions=["blind_review"])
    def blind_review_on(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blind_review(request, queryset, True, "now under blind review")

    @admin.action(description="Blind review: off", permissions=["blind_review"])
    def blind_review_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blind_review(request, queryset, False, "no longer under blind review")

    @admin.action(description="Blind review: the desk default", permissions=["blind_review"])
    def blind_review_default(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blind_review(request, queryset, None, "back to the desk default")
