from typing import Any

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the journal is append-only (a database trigger refuses changes)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "via"]
    list_filter = ["action", "object_type", "via"]
    search_fields = ["actor_label", "object_id", "object_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
