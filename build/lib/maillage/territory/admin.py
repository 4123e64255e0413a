"""Read-only admin: the referential is only written by ``manage.py load_territory``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from maillage.territory.models import EPCI, Commune, Department, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["code", "name"]


@admin.register(EPCI)
class EPCIAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "population",
        "latitude",
        "longitude",
        "coordinates_approximate",
    ]
    list_filter = ["coordinates_approximate", "department__region", "department"]
    list_select_related = ["department"]
    search_fields = ["=code", "name", "search_name"]
    search_help_text = _("Name, INSEE code or postal code.")
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Commune], search_term: str
    ) -> tuple[QuerySet[Commune], bool]:
        term = search_term.strip()
        if term.isdigit() and len(term) == 5:
            return queryset.filter(Q(code=term) | Q(postal_codes__contains=[term])), False
        return super().get_search_results(request, queryset, search_term)
