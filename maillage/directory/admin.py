"""Technical admin of the directory, for repairs only.

The admin writes to the models directly: it bypasses the services, the audit journal and the
search columns. After an edit of a service's name, themes or description here, run
``refresh_search_vectors`` (or save the entry again from the site).
"""

from __future__ import annotations

from django.contrib import admin

from .models import Project, Referent, Service, Structure

BOOKKEEPING = ["created_at", "updated_at", "confirmed_at", "reminded_at"]


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["name", "kind", "is_active", "confirmed_at"]
    readonly_fields = ["name", "kind", "confirmed_at"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "commune", "source", "is_active", "confirmed_at"]
    list_filter = ["is_active", "source"]
    list_select_related = ["organisation", "commune"]
    search_fields = ["name", "siret", "source_id"]
    raw_id_fields = ["organisation", "commune"]
    readonly_fields = BOOKKEEPING
    date_hierarchy = "confirmed_at"
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "structure", "kind", "commune", "source", "is_active", "confirmed_at"]
    list_filter = ["kind", "is_active", "source", "fees", "course_type"]
    list_select_related = ["structure", "commune"]
    search_fields = ["name", "structure__name", "source_id"]
    raw_id_fields = ["structure", "commune"]
    readonly_fields = BOOKKEEPING
    date_hierarchy = "confirmed_at"


@admin.register(Referent)
class ReferentAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "organisation", "is_active", "confirmed_at"]
    list_filter = ["role", "is_active"]
    list_select_related = ["organisation"]
    search_fields = ["name", "email", "role_details"]
    raw_id_fields = ["organisation", "structure"]
    filter_horizontal = ["departments"]
    readonly_fields = BOOKKEEPING


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "evidence_level", "start_year", "is_active", "confirmed_at"]
    list_filter = ["evidence_level", "is_active"]
    list_select_related = ["organisation"]
    search_fields = ["title", "goal", "partners"]
    raw_id_fields = ["organisation"]
    filter_horizontal = ["departments"]
    readonly_fields = BOOKKEEPING
