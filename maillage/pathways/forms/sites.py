"""The choice of a living site (``living_sites.Site``) in the household and appointment forms.

The list holds the open sites the user sees (``living_sites.permissions.sites_choosable_by``),
labelled with their commune; a site outside it is refused by the field (and by the services).
An edit form also keeps the site already chosen, even if it closed since.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from maillage.living_sites.models import Site
from maillage.living_sites.permissions import sites_choosable_by


class LivingSiteField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Site.objects.none())
        kwargs.setdefault("empty_label", "—")
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} – {obj.commune.name}"


def living_sites_for(user: Any, current_id: int | None = None) -> QuerySet[Site]:
    """The sites offered to ``user``: the open sites they see, and the current one if any."""
    condition = Q(pk__in=sites_choosable_by(user).values("pk"))
    if current_id:
        condition |= Q(pk=current_id)
    return (
        Site.objects.filter(condition)
        .select_related("commune")
        .only("pk", "name", "commune__name")
        .order_by("commune__name", "name", "pk")
    )
