"""Forms of appointments and visits; the service checks the organisation of households and staff."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ..enums import AppointmentKind, AppointmentStatus
from .plans import AssigneeChoiceField
from .sites import LivingSiteField

SITE_KINDS = frozenset({AppointmentKind.HOME_VISIT, AppointmentKind.WORKSHOP})


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class StaffField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email


class HouseholdsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        place = obj.living_site.name if obj.living_site_id else obj.living_site_ref
        site = f" – {place}" if place else ""
        return f"{obj.name} (#{obj.pk}){site}"


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AppointmentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeInput())
    location = forms.CharField(label=_("Place"), max_length=255, required=False)
    living_site = LivingSiteField(
        label=_("Living site"),
        required=False,
        help_text=_("For a home visit at a living site: the visit appears on the site's journal, without names."),
    )
    living_site_ref = forms.CharField(
        label=_("Other living place"),
        max_length=200,
        required=False,
        help_text=_("When the place of the visit is not in the list of living sites."),
    )
    staff = StaffField(label=_("Staff"), queryset=None, widget=forms.CheckboxSelectMultiple)
    other_households = HouseholdsField(
        label=_("Other households (home visits and workshops)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Households of the same living site or of the same referent."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, staff: QuerySet, other_households: QuerySet, living_sites: QuerySet, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["living_site"].queryset = living_sites  # type: ignore[attr-defined]
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["other_households"].queryset = other_households  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        if data.get("living_site") and data.get("kind") not in SITE_KINDS:
            self.add_error("living_site", _("Only home visits and workshops take place at a living site."))
        return data


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (AppointmentStatus.DONE, AppointmentStatus.DONE.label),
            (AppointmentStatus.MISSED, AppointmentStatus.MISSED.label),
            (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED.label),
        ],
    )
    note = forms.CharField(
        label=_("Note for the journal"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Written on each household's journal (general) when the appointment took place."),
    )


class CalendarForm(forms.Form):
    """Whose calendar: a colleague (me by default) or a whole team; which week."""

    user = AssigneeChoiceField(label=_("Referent"), queryset=None, required=False, empty_label=_("Me"))
    team = forms.TypedChoiceField(label=_("or the whole team of"), choices=(), coerce=int, required=False)
    week = forms.DateField(
        label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, colleagues: QuerySet, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = colleagues  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", _("No team")), *teams]  # type: ignore[attr-defined]


class RhythmForm(forms.Form):
    days = forms.IntegerField(label=_("Not seen for at least (days)"), min_value=1, max_value=365, initial=7)
    mine = forms.BooleanField(label=_("Only the households I follow"), required=False)
