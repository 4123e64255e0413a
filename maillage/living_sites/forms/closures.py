"""Forms of the closure page: the preparation, the households concerned, and the record of
the closure (with a confirmation step). The services check the rules of the data; their
errors come back on the form (``add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.pathways.models import Household

from ..enums import ClosureReason, Solution
from ..models import ClosureHousehold
from ..services.closures import UNCHANGED
from .fields import DateInput

KEEP = "keep"


class ClosurePrepareForm(forms.Form):
    planned_on = forms.DateField(label=_("Planned for"), required=False, widget=DateInput())
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The preparation: meetings, offers made, deadlines. No names here."),
    )


class ClosureHouseholdForm(forms.Form):
    """A household concerned by the closure. ``households``: the Pathways households the user
    may link ({pk: Household}), ``choices``: their labels (computed once for all the rows);
    ``row``: the row edited, whose link the user may not see (then offered as "keep")."""

    label = forms.CharField(
        label=_("Reference"),
        max_length=100,
        help_text=_(
            "A reference, not a name: e.g. “family 7, caravan 3”. Names appear only through the "
            "household followed in Pathways, to those allowed to see it."
        ),
    )
    people = forms.IntegerField(label=_("People"), min_value=1, max_value=100, required=False)
    household = forms.ChoiceField(
        label=_("Household followed in Pathways"),
        required=False,
        help_text=_("Only the households you follow in Pathways that live on this site."),
    )
    solution = forms.ChoiceField(label=_("Solution"), choices=Solution.choices, initial=Solution.UNKNOWN)
    solution_detail = forms.CharField(
        label=_("Detail of the solution"),
        max_length=255,
        required=False,
        help_text=_("E.g. the shelter or the housing programme. No names."),
    )

    def __init__(
        self,
        *args: Any,
        households: dict[int, Household],
        choices: list[tuple[str, str]],
        row: ClosureHousehold | None = None,
        **kwargs: Any,
    ) -> None:
        if row is not None:
            kwargs.setdefault("prefix", f"row{row.pk}")
            kwargs.setdefault(
                "initial",
                {
                    "label": row.label,
                    "people": row.people,
                    "household": (
                        ""
                        if row.household_id is None
                        else str(row.household_id)
                        if row.household_id in households
                        else KEEP
                    ),
                    "solution": row.solution,
                    "solution_detail": row.solution_detail,
                },
            )
        else:
            kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        self.households = households
        options = [("", str(_("None")))]
        if row is not None and row.household_id is not None and row.household_id not in households:
            organisation = getattr(getattr(row, "linked_organisation", None), "name", "")
            options.append(
                (KEEP, str(_("Household followed by %(organisation)s (kept)") % {"organisation": organisation}))
            )
        self.fields["household"].choices = options + choices  # type: ignore[attr-defined]

    def clean_household(self) -> Any:
        value = self.cleaned_data.get("household") or ""
        if value == KEEP:
            return UNCHANGED
        if not value:
            return None
        household = self.households.get(int(value)) if value.isdigit() else None
        if household is None:
            raise forms.ValidationError(_("Choose a household you follow in Pathways that lives on this site."))
        return household


class SiteCloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.ChoiceField(label=_("Reason of the closure"), choices=[("", "—"), *ClosureReason.choices])
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
