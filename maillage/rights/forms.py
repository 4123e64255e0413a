"""Forms of the questionnaire: one per screen.

Bounds come from ``schema.py``: each screen checks its answers with the pydantic model of
its part (``Adult``, ``Child``…) and shows the errors by the question, so the web pages, the
API and the saved results refuse the same values.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ValidationError

from maillage.territory.models import Commune, Department
from maillage.territory.selectors import commune_search, normalize_query

from .enums import FrenchLevel, HealthCover, Housing, ResidenceStatus
from .schema import MAX_ADULTS, MAX_CHILDREN, Adult, Child

YES, NO, UNKNOWN = "yes", "no", "unknown"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]
YES_NO_UNKNOWN = [(YES, _("Yes")), (NO, _("No")), (UNKNOWN, _("I don't know"))]
COMMUNE_CHOICES_LIMIT = 8

RESIDENCE_HELP = {
    ResidenceStatus.FRENCH: _("You have French nationality."),
    ResidenceStatus.EU_CITIZEN: _("For example Romania, Bulgaria, Italy, Spain, Norway or Switzerland."),
    ResidenceStatus.EU_FAMILY: _("Husband, wife, child or parent of a citizen of the EU."),
    ResidenceStatus.REFUGEE: _("France (OFPRA or CNDA) gave you refugee status."),
    ResidenceStatus.SUBSIDIARY_PROTECTION: _("France gave you subsidiary protection."),
    ResidenceStatus.STATELESS: _("France recognised that no country considers you its citizen."),
    ResidenceStatus.ASYLUM_SEEKER: _("You asked for asylum and wait for the answer."),
    ResidenceStatus.RESIDENCE_PERMIT: _("You have a residence card or a long-stay visa."),
    ResidenceStatus.NO_PERMIT: _("You have no papers to stay in France, or they are out of date."),
}


class RadioChoices(forms.RadioSelect):
    """Radio buttons whose options may carry a short help text (rendered by our templates)."""

    def __init__(self, *args: Any, helps: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helps = helps or {}

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["help"] = self.helps.get(str(value), "")
        return option


class StepForm(forms.Form):
    """Base of the screens: pydantic errors by field, accessible descriptions."""

    template_name = "rights/includes/fields.html"

    def add_pydantic_errors(self, error: ValidationError, prefix: str = "") -> None:
        for item in error.errors():
            loc = [str(part) for part in item["loc"]]
            name = f"{prefix}{loc[0]}" if loc else ""
            self.add_error(name if name in self.fields else None, _clean_message(dict(item)))

    def describe(self) -> None:
        """Link each input to its help text and its errors (``aria-describedby``)."""
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_helptext")
            if self.is_bound and bound.errors:
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids and not isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["aria-describedby"] = " ".join(ids)


def _clean_message(item: dict[str, Any]) -> str:
    """A pydantic message for people: bounds say the allowed range."""
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if "ge" in ctx:
            return str(_("Enter a number of %(min)s or more.") % {"min": ctx["ge"]})
        if "le" in ctx:
            return str(_("Enter a number of %(max)s or less.") % {"max": ctx["le"]})
    if kind in ("too_long", "too_short"):
        return str(_("This number is not possible."))
    if kind in ("int_parsing", "float_parsing", "int_from_float"):
        return str(_("Enter a whole number."))
    if kind == "missing":
        return str(_("This answer is needed."))
    if kind == "enum" or kind == "literal_error":
        return str(_("Choose one of the answers."))
    message = str(item.get("msg", ""))
    return message.removeprefix("Value error, ")


def _check(model: type[BaseModel], data: dict[str, Any], form: StepForm, prefix: str = "") -> None:
    try:
        model.model_validate(data)
    except ValidationError as error:
        form.add_pydantic_errors(error, prefix)


def _department_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose…"))] + [(d.code, f"{d.code} – {d.name}") for d in Department.objects.order_by("code")]


class PlaceForm(StepForm):
    department = forms.ChoiceField(label=_("Department"), choices=[])
    commune = forms.CharField(
        label=_("Town or postal code"),
        max_length=100,
        required=False,
        help_text=_("For example Lille or 59000. Leave empty if you do not know."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices()  # type: ignore[attr-defined]
        self.resolved: Commune | None = None
        self.candidates: list[Commune] = []
        # "commune_code" (radio buttons) is added by ``clean`` when several towns match.

    def _offer(self, candidates: list[Commune]) -> None:
        self.candidates = candidates
        field = forms.ChoiceField(
            label=_("Which town?"),
            required=False,
            widget=RadioChoices,
            choices=[(c.code, _commune_label(c)) for c in candidates],
        )
        self.fields["commune_code"] = field

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        department = data.get("department")
        query = (data.get("commune") or "").strip()
        if not department or not query:
            data["commune_code"] = ""
            return data
        candidates = list(commune_search(query=query).filter(department_id=department)[:COMMUNE_CHOICES_LIMIT])
        chosen = self.data.get("commune_code") or ""
        if chosen and any(c.code == chosen for c in candidates):
            self.resolved = next(c for c in candidates if c.code == chosen)
        elif not candidates:
            self.add_error("commune", _("No town of this name or postal code in this department."))
        else:
            exact = [c for c in candidates if _exact(c, query)]
            if len(candidates) == 1 or len(exact) == 1:
                self.resolved = exact[0] if exact else candidates[0]
            else:
                self._offer(candidates)
                self.add_error("commune_code", _("Several towns match: choose yours."))
        if self.resolved is not None:
            data["commune_code"] = self.resolved.code
            data["commune"] = self.resolved.name
        return data


def _commune_label(commune: Commune) -> str:
    codes = ", ".join(commune.postal_codes[:3]) if commune.postal_codes else commune.code
    return f"{commune.name} ({codes})"


def _exact(commune: Commune, query: str) -> bool:
    raw = query.strip().upper()
    return commune.code == raw or raw in (commune.postal_codes or []) or commune.search_name == normalize_query(query)


class HouseholdForm(StepForm):
    adults = forms.IntegerField(
        label=_("How many adults live with you, you included?"),
        help_text=_("People of 16 or more. Count yourself."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    children = forms.IntegerField(
        label=_("How many children under 16 live with you?"),
        help_text=_("Write 0 if there are none."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        adults, children = data.get("adults"), data.get("children")
        if adults is not None and not 1 <= adults <= MAX_ADULTS:
            self.add_error("adults", _("Enter a number between 1 and %(max)s.") % {"max": MAX_ADULTS})
        if children is not None and not 0 <= children <= MAX_CHILDREN:
            self.add_error("children", _("Enter a number between 0 and %(max)s.") % {"max": MAX_CHILDREN})
        return data


def _yes_no(value: str) -> bool | None:
    return True if value == YES else False if value == NO else None


def _from_bool(value: bool | None) -> str:
    return YES if value is True else NO if value is False else UNKNOWN


class AdultForm(StepForm):
    age = forms.IntegerField(label=_("Age"), widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    residence_status = forms.ChoiceField(
        label=_("Papers to stay in France"),
        choices=ResidenceStatus.choices,
        widget=RadioChoices(helps={str(k): v for k, v in RESIDENCE_HELP.items()}),
    )
    permit_years = forms.IntegerField(
        label=_("For how many years have you had a residence permit?"),
        help_text=_("Only if you have a residence permit. Write 0 if less than a year."),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    permit_allows_work = forms.ChoiceField(
        label=_("Does your residence permit allow you to work?"),
        help_text=_("Only if you have a residence permit."),
        choices=YES_NO_UNKNOWN,
        required=False,
        widget=RadioChoices,
    )
    months_in_france = forms.IntegerField(
        label=_("For how many months have you lived in France?"),
        help_text=_("One year is 12 months."),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    months_unknown = forms.BooleanField(label=_("I don't know"), required=False)
    working = forms.ChoiceField(label=_("Do you work?"), choices=YES_NO, widget=RadioChoices)
    monthly_income_eur = forms.DecimalField(
        label=_("Money earned each month, in euros"),
        help_text=_("Your pay after tax. Write 0 if you earn nothing."),
        required=False,
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )
    french_level = forms.ChoiceField(
        label=_("Do you speak French?"),
        choices=FrenchLevel.choices,
        required=False,
        widget=RadioChoices,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        data["adult"] = adult = {
            "age": data["age"],
            "residence_status": data["residence_status"],
            "permit_years": data.get("permit_years") or 0,
            "permit_allows_work": data.get("permit_allows_work") == YES,
            "months_in_france": None if data.get("months_unknown") else data.get("months_in_france"),
            "working": data.get("working") == YES,
            "monthly_income_eur": float(data.get("monthly_income_eur") or 0),
            "french_level": data.get("french_level") or None,
        }
        _check(Adult, adult, self)
        return data

    @staticmethod
    def initial_from(adult: dict[str, Any] | None) -> dict[str, Any]:
        if not adult:
            return {}
        initial = dict(adult)
        if adult.get("permit_allows_work"):
            initial["permit_allows_work"] = YES
        elif adult.get("residence_status") == ResidenceStatus.RESIDENCE_PERMIT:
            initial["permit_allows_work"] = NO
        else:
            initial["permit_allows_work"] = ""
        initial["working"] = YES if adult.get("working") else NO
        initial["months_unknown"] = adult.get("months_in_france") is None
        return initial


class ChildrenForm(StepForm):
    def __init__(self, *args: Any, count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count
        for i in range(count):
            self.fields[f"child_{i}_age"] = forms.IntegerField(
                label=_("Age"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
            )
            self.fields[f"child_{i}_school"] = forms.ChoiceField(
                label=_("Goes to school or nursery school"), choices=YES_NO, widget=RadioChoices
            )

    def groups(self) -> list[dict[str, Any]]:
        return [
            {"number": i + 1, "fields": [self[f"child_{i}_age"], self[f"child_{i}_school"]]} for i in range(self.count)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        children = []
        for i in range(self.count):
            age = data.get(f"child_{i}_age")
            child = {"age": age, "in_school": data.get(f"child_{i}_school") == YES}
            if age is not None:
                _check(Child, child, self, prefix=f"child_{i}_")
            children.append(child)
        data["children_list"] = children
        return data

    @staticmethod
    def initial_from(children: list[dict[str, Any]]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for i, child in enumerate(children):
            initial[f"child_{i}_age"] = child.get("age")
            initial[f"child_{i}_school"] = YES if child.get("in_school") else NO
        return initial


class HousingForm(StepForm):
    housing = forms.ChoiceField(label=_("Where do you live now?"), choices=Housing.choices, widget=RadioChoices)
    rent_eur = forms.DecimalField(
        label=_("Rent each month, in euros"),
        help_text=_("Only if you rent your home. Without charges if you know."),
        required=False,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        rent = data.get("rent_eur")
        if data.get("housing") == Housing.RENTED and rent is not None:
            if rent < 0:
                self.add_error("rent_eur", _("Enter a number of %(min)s or more.") % {"min": 0})
            elif rent > 20_000:
                self.add_error("rent_eur", _("Enter a number of %(max)s or less.") % {"max": 20_000})
        data["rent"] = float(rent or 0) if data.get("housing") == Housing.RENTED else 0
        return data


class AddressForm(StepForm):
    has_address = forms.ChoiceField(
        label=_("Can you receive letters at an address?"),
        help_text=_("At your home, at someone's home, or at an association or a town hall office (domiciliation)."),
        choices=YES_NO_UNKNOWN,
        widget=RadioChoices,
    )


HEALTH_UNKNOWN = "unknown"


def _health_choices() -> list[tuple[str, Any]]:
    return [*HealthCover.choices, (HEALTH_UNKNOWN, _("I don't know"))]


class HealthForm(StepForm):
    health_cover = forms.ChoiceField(
        label=_("Which health cover do you have?"),
        help_text=_("The card or the paper that pays for the doctor and medicines."),
        choices=lazy(_health_choices, list)(),
        widget=RadioChoices,
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send the link once. We do not keep your address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


__all__ = [
    "AddressForm",
    "AdultForm",
    "ChildrenForm",
    "EmailForm",
    "HealthForm",
    "HouseholdForm",
    "HousingForm",
    "PlaceForm",
    "_from_bool",
    "_yes_no",
]
