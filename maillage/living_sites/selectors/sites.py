"""Reads of sites for the list, the map, the exports and the API: one filter, one shape."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ...territory.text import normalize_search
from ..models import Site
from ..permissions import sites_visible_to


def sites_for_list(
    user: Any,
    *,
    department: str | None = None,
    kind: str | None = None,
    status: str | None = "open",
    light: str | None = None,
    q: str | None = None,
) -> QuerySet[Site]:
    """The sites the user may see, filtered, with their commune, department and latest update
    (``select_related``: the list, the map and the exports read them in one query)."""
    queryset = sites_visible_to(user).select_related("commune", "department", "latest_update", "organisation")
    if department:
        queryset = queryset.filter(department_id=department)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if light:
        queryset = queryset.filter(latest_update__conditions_light=light)
    if q:
        text = normalize_search(q)
        queryset = queryset.filter(Q(name__unaccent__icontains=q) | Q(commune__search_name__contains=text))
    return queryset.order_by("department_id", "commune__name", "name", "pk")
