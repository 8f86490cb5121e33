"""The claim list's own filters; the queries behind them are selectors."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from annotations import selectors_review
from annotations.selectors_review import LinkHealth


class SignedOffFilter(admin.SimpleListFilter):
    title = "sign-off"
    parameter_name = "signed_off"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "Signed off"), ("no", "Not signed off")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(signed_off_at__isnull=self.value() == "no")
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    """Live claims unless asked: deleted ones wait here, restorable, until the purge."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "Deleted (restorable)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(deleted_at__isnull=self.value() != "yes")


class LinkHealthFilter(admin.SimpleListFilter):
    title = "link health"
    parameter_name = "links"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            (LinkHealth.UNHEALTHY, "Has a broken, blocked or unreachable link"),
            (LinkHealth.PENDING, "Has a link not checked yet"),
            (LinkHealth.HEALTHY, "All links fine"),
            (LinkHealth.NONE, "No evidence"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return selectors_review.claims_by_link_health(queryset, self.value())
