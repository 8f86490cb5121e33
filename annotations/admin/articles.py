"""Articles: read-only where the importer owns them, with their claims counted per verdict."""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string

from annotations import selectors
from annotations.models import Article, Verdict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from annotations.selectors import ArticleClaimCounts


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "published_on", "source_name", "claim_counts"]
    list_filter = ["language", "published_on"]
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
    ]
    fields = [
        "title",
        "slug",
        "language",
        "published_on",
        "source_name",
        "source_url",
        "claim_counts",
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
