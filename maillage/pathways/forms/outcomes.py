"""Forms of the outcomes: a positive exit, and the result of a follow-up."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import FollowUpSituation, FollowUpStatus, OutcomeKind
from ..models import Household, Person
from .journal import PersonChoiceField


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Outcome"), choices=OutcomeKind.choices)
    person = PersonChoiceField(
        label=_("Person"), queryset=Person.objects.none(), required=False, empty_label=_("The household")
    )
    achieved_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    detail = forms.CharField(
        label=_("Detail"),
        required=False,
        max_length=255,
        help_text=_("The job, the training, the housing… Follow-ups are scheduled at 3, 6 and 12 months."),
    )

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = household.members.current().order_by("pk")  # type: ignore[attr-defined]

    def clean_achieved_on(self) -> Any:
        value = self.cleaned_data["achieved_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Result"),
        choices=[(FollowUpStatus.DONE, _("Contact made")), (FollowUpStatus.LOST, _("Lost contact"))],
        initial=FollowUpStatus.DONE,
    )
    situation = forms.ChoiceField(
        label=_("Situation"),
        choices=[("", "—"), *FollowUpSituation.choices],
        required=False,
    )
    done_on = forms.DateField(
        label=_("Date of the follow-up"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == FollowUpStatus.DONE and not data.get("situation"):
            self.add_error("situation", _("Tell the person's situation."))
        return data
