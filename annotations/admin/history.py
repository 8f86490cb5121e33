"""The history of every claim and its evidence: read-only, as an audit trail must be."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from annotations.models import HistoryEntry


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "subject", "action", "claim_ref", "evidence_ref"]
    list_filter = ["subject", "action"]
    list_select_related = ["actor"]
    search_fields = ["claim_ref"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
