"""Forms of the actions: the action, its fundings, its indicators, and the list's filters.

The forms offer only what the user may choose (departments where they edit, their own
organisations as lead); the services check the rules of the data (dates, years, sites in the
department, duplicates) and their errors come back on the form (``add_service_errors``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation
from maillage.territory.models import Department

from ..enums import ActionDomain, FunderKind, SiteStatus
from ..models import Site, SiteAction
from ..permissions import EDITING_ROLES, site_scope, sites_visible_to
from ..services.actions import action_years
from .fields import DateInput, OrganisationChoiceField, OrganisationsChoiceField


class SiteChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label = f"{obj.name} – {obj.commune.name}"
        if obj.status == SiteStatus.CLOSED:
            label += " " + str(_("(closed)"))
        return label


class SiteFilterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} – {obj.commune.name}"


def lead_organisation_ids(user: Any, department: str) -> list[int]:
    """The user's organisations with an editing role in the department."""
    return sorted(org for org, role in site_scope(user).roles_in(department).items() if role in EDITING_ROLES)


class ActionForm(forms.Form):
    """Create (``action`` None: the department is chosen among ``departments``) or edit an
    action (its department is kept)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    domain = forms.ChoiceField(label=_("Domain"), choices=ActionDomain.choices)
    department = forms.ChoiceField(label=_("Department"))
    sites = SiteChoiceField(
        label=_("Sites"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for an action around the sites of the department."),
    )
    lead_organisation = OrganisationChoiceField(label=_("Lead organisation"), queryset=Organisation.objects.none())
    partners = OrganisationsChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    started_on = forms.DateField(label=_("Start"), widget=DateInput())
    ended_on = forms.DateField(label=_("End"), required=False, widget=DateInput(), help_text=_("Empty if ongoing."))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is done, for whom, how. No names of people."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        user: Any,
        departments: list[str] | None = None,
        action: SiteAction | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.action = action
        if action is not None:
            del self.fields["department"]
            codes = [action.department_id]
            lead_ids = [*lead_organisation_ids(user, action.department_id), action.lead_organisation_id]
        else:
            codes = list(departments or [])
            self.fields["department"].choices = [  # type: ignore[attr-defined]
                (d.code, f"{d.code} – {d.name}") for d in Department.objects.filter(code__in=codes).order_by("code")
            ]
            lead_ids = sorted({org for code in codes for org in lead_organisation_ids(user, code)})
            if len(codes) == 1:
                self.fields["department"].initial = codes[0]
            if len(lead_ids) == 1:
                self.fields["lead_organisation"].initial = lead_ids[0]
        self.fields["sites"].queryset = (  # type: ignore[attr-defined]
            sites_visible_to(user)
            .filter(department_id__in=codes)
            .select_related("commune")
            .order_by("status", "name", "pk")
        )
        self.fields["lead_organisation"].queryset = Organisation.objects.filter(pk__in=lead_ids).order_by(  # type: ignore[attr-defined]
            "name", "pk"
        )
        partners = Organisation.objects.filter(departments__code__in=codes).filter(is_active=True)
        if action is not None:
            partners = Organisation.objects.filter(
                Q(pk__in=partners.values("pk")) | Q(pk__in=action.partners.values("pk"))
            )
        self.fields["partners"].queryset = partners.distinct().order_by("name", "pk")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead_organisation")
        department = self.action.department_id if self.action is not None else data.get("department")
        if lead is not None and department:
            allowed = lead_organisation_ids(self.user, department)
            if self.action is not None:
                allowed.append(self.action.lead_organisation_id)
            if lead.pk not in allowed:
                self.add_error(
                    "lead_organisation",
                    _("Choose one of your organisations working in this department, with an editing role."),
                )
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = ["title", "domain", "description", "sites", "lead_organisation", "partners", "started_on", "ended_on"]
        values = {name: data.get(name) for name in names}
        values["sites"] = list(values["sites"] or [])
        values["partners"] = list(values["partners"] or [])
        values["description"] = values["description"] or ""
        if self.action is None:
            values["department"] = data["department"]
        return values


def _year_choices(action: SiteAction) -> list[tuple[int, int]]:
    first, last = action_years(action.started_on, action.ended_on)
    return [(year, year) for year in range(first, last + 1)]


def _default_year(action: SiteAction) -> int:
    first, last = action_years(action.started_on, action.ended_on)
    return min(max(timezone.localdate().year, first), last)


class FundingForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    funder_kind = forms.ChoiceField(label=_("Type of funder"), choices=FunderKind.choices)
    funder = forms.CharField(label=_("Funder"), max_length=200, help_text=_("E.g. DIHAL, ARS, European Social Fund+."))
    amount = forms.DecimalField(label=_("Amount (€)"), min_value=0, max_digits=12, decimal_places=2)

    def __init__(self, *args: Any, action: SiteAction, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "funding")
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(action)  # type: ignore[attr-defined]
        self.fields["year"].initial = _default_year(action)


class IndicatorForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    label = forms.CharField(
        label=_("Indicator"),
        max_length=200,
        help_text=_("E.g. children enrolled in school. The same year and indicator updates the figures."),
    )
    code = forms.SlugField(
        label=_("Code in the indicators catalogue"), max_length=60, required=False, help_text=_("Optional.")
    )
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False, initial="people")
    planned = forms.IntegerField(label=_("Planned"), min_value=0, required=False)
    achieved = forms.IntegerField(label=_("Achieved"), min_value=0, required=False)

    def __init__(self, *args: Any, action: SiteAction, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "indicator")
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(action)  # type: ignore[attr-defined]
        self.fields["year"].initial = _default_year(action)


class ActionFilterForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), required=False)
    domain = forms.ChoiceField(
        label=_("Domain"), required=False, choices=[("", _("All domains")), *ActionDomain.choices]
    )
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=2000, max_value=2100, help_text=_("Actions running that year.")
    )
    site = SiteFilterChoiceField(
        label=_("Site"), required=False, queryset=Site.objects.none(), empty_label=_("All sites")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = site_scope(user)
        departments: QuerySet[Department] = Department.objects.order_by("code")
        if not scope.is_admin:
            departments = departments.filter(code__in=sorted(scope.departments))
        self.fields["department"].choices = [("", _("All my departments"))] + [  # type: ignore[attr-defined]
            (d.code, f"{d.code} – {d.name}") for d in departments
        ]
        self.fields["site"].queryset = sites_visible_to(user).select_related("commune").order_by("name", "pk")  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of ``selectors.actions.actions_for_list``; invalid filters are ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        site = data.get("site")
        return {
            "department": data.get("department") or None,
            "domain": data.get("domain") or None,
            "year": data.get("year") or None,
            "site": site.pk if site is not None else None,
        }
