"""The filters of the list, the map and the exports (one form, the same GET parameters)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.territory.models import Department

from ..enums import Light, SiteKind, SiteStatus


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or commune"), required=False, max_length=100)
    department = forms.ChoiceField(label=_("Department"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *SiteKind.choices])
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("closed", _("Closed")), ("all", _("Open and closed"))],
    )
    light = forms.ChoiceField(label=_("Living conditions"), required=False, choices=[("", _("All")), *Light.choices])

    def __init__(self, *args: Any, departments: list[str] | None = None, **kwargs: Any) -> None:
        """``departments``: the codes the user may see (None: all, for administrators)."""
        super().__init__(*args, **kwargs)
        queryset = Department.objects.order_by("code")
        if departments is not None:
            queryset = queryset.filter(code__in=departments)
        self.fields["department"].choices = [("", _("All my departments"))] + [  # type: ignore[attr-defined]
            (d.code, f"{d.code} – {d.name}") for d in queryset
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of ``selectors.sites.sites_for_list`` (open sites when invalid)."""
        if not self.is_valid():
            return {"status": SiteStatus.OPEN}
        data = self.cleaned_data
        status = data.get("status") or SiteStatus.OPEN
        return {
            "q": data.get("q") or None,
            "department": data.get("department") or None,
            "kind": data.get("kind") or None,
            "status": None if status == "all" else status,
            "light": data.get("light") or None,
        }


def filter_form_for(user: Any, params: Any) -> SiteFilterForm:
    from ..permissions import site_scope

    scope = site_scope(user)
    return SiteFilterForm(params or None, departments=None if scope.is_admin else sorted(scope.departments))
