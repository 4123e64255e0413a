"""Forms of the needs assessment and the plan. They validate the input; the services decide
(dates, blockers, conflicts) and their errors are shown on the form (``add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ..enums import ActionStatus, Domain, GoalStatus, NeedLevel
from ..models import Household, Person


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.first_name} {obj.last_name}".strip()


def household_persons(household: Household) -> QuerySet[Person]:
    return household.members.current().order_by("pk")


class NeedAssessmentForm(forms.Form):
    """One level (and a note) per domain; domains left "not assessed" add no row."""

    person = PersonChoiceField(
        label=_("Assessment of"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("The whole household"),
    )
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput())

    def __init__(self, *args: Any, household: Household, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = household_persons(household)  # type: ignore[attr-defined]
        if creating:  # a new goal has no version yet; an update must send the one it read
            del self.fields["version"]
        level_choices = [("", _("Not assessed")), *[(str(v), label) for v, label in NeedLevel.choices]]
        for domain, label in Domain.choices:
            self.fields[f"level_{domain}"] = forms.TypedChoiceField(
                label=_("Level"), choices=level_choices, coerce=int, required=False, empty_value=None
            )
            self.fields[f"note_{domain}"] = forms.CharField(
                label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"level_{domain}"].domain_label = label  # type: ignore[attr-defined]

    def domains(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(label, self[f"level_{domain}"], self[f"note_{domain}"]) for domain, label in Domain.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"level_{d}") is not None for d in Domain.values):
            raise forms.ValidationError(_("Give a level for at least one domain."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        levels = {d: data[f"level_{d}"] for d in Domain.values if data.get(f"level_{d}") is not None}
        return {
            "person": data.get("person"),
            "assessed_on": data["assessed_on"],
            "levels": levels,
            "notes": {d: data.get(f"note_{d}", "") for d in levels},
        }


class GoalForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    title = forms.CharField(label=_("Goal"), max_length=255)
    person = PersonChoiceField(
        label=_("For"), queryset=Person.objects.none(), required=False, empty_label=_("The whole household")
    )
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices, initial=GoalStatus.OPEN)
    version = forms.IntegerField(widget=forms.HiddenInput, required=True, min_value=1)

    def __init__(self, *args: Any, household: Household, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = household_persons(household)  # type: ignore[attr-defined]
        if creating:  # a new goal has no version yet; an update must send the one it read
            del self.fields["version"]

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class AssigneeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=255)
    assignee = AssigneeChoiceField(
        label=_("Who acts: a member of the organisation"),
        queryset=None,
        required=False,
        empty_label=_("Nobody of the organisation"),
    )
    actor_label = forms.CharField(
        label=_("Who acts: someone else"),
        max_length=200,
        required=False,
        help_text=_("For example “the person”, “the school”, a partner."),
    )
    due_on = forms.DateField(
        label=_("Due on"), required=False, widget=DateInput(), help_text=_("A past date is shown as overdue.")
    )
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.TODO)
    blocker = forms.CharField(
        label=_("What blocks it"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the action is blocked."),
    )
    done_on = forms.DateField(
        label=_("Done on"), required=False, widget=DateInput(), help_text=_("Today if left empty.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=True, min_value=1)

    def __init__(self, *args: Any, assignees: QuerySet, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees  # type: ignore[attr-defined]
        if creating:  # a new action has no version yet; an update must send the one it read
            del self.fields["version"]

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ColleagueForm(forms.Form):
    """Whose next steps (managers choose a colleague of their organisations)."""

    user = AssigneeChoiceField(label=_("Referent"), queryset=None, required=False, empty_label=_("Me"))
    days = forms.TypedChoiceField(
        label=_("Due within"),
        choices=[(7, _("7 days")), (14, _("14 days")), (30, _("30 days"))],
        coerce=int,
        initial=14,
        required=False,
        empty_value=14,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, colleagues: QuerySet | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if colleagues is None:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = colleagues  # type: ignore[attr-defined]
