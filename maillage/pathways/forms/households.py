"""Forms of the households area: caseload filters, household and person forms, documents, merges.

They validate the input; the writes go through ``services/households.py`` whose
``ValidationError`` the views show on the form. The edit forms carry the household's
``version`` (optimistic locking).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.postgres.forms import SimpleArrayField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation

from .. import enums
from ..models import Household, Person, ResidenceDocument
from .sites import LivingSiteField, living_sites_for

User = get_user_model()

HOUSEHOLD_FORM_FIELDS = (
    "name",
    "referent",
    "living_place",
    "address",
    "commune_code",
    "domiciliation",
    "living_site",
    "living_site_ref",
)
PERSON_FORM_FIELDS = (
    "first_name",
    "last_name",
    "aliases",
    "birth_date",
    "birth_year",
    "sex",
    "languages",
    "french_level",
    "residence_status",
    "phone",
    "email",
)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _user_label(user: Any) -> str:
    return user.get_full_name() or user.email


class ReferentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _user_label(obj)


def staff_of(organisation_ids: list[int]) -> Any:
    return (
        User.objects.filter(memberships__organisation_id__in=organisation_ids, memberships__is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


class CaseloadFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Spelling variants are found too."),
    )
    mine = forms.BooleanField(label=_("Only the households I am the referent of"), required=False)
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("All")), *organisations]  # type: ignore[attr-defined]
        statuses = [
            (value, label)
            for value, label in enums.HouseholdStatus.choices
            if value not in (enums.HouseholdStatus.MERGED, enums.HouseholdStatus.ANONYMISED)
        ]
        self.fields["status"].choices = [("", _("All")), *statuses]  # type: ignore[attr-defined]


class PersonFieldsMixin(forms.Form):
    """The fields of a person, shared by the creation of a household and the member forms."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    aliases = forms.CharField(
        label=_("Other names or spellings"),
        required=False,
        max_length=600,
        help_text=_("Separated by commas, e.g. the spelling on an identity document."),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE_WIDGET)
    birth_year = forms.IntegerField(
        label=_("Birth year"), required=False, help_text=_("When the exact date is not known.")
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=enums.Sex.choices)
    languages = SimpleArrayField(
        forms.CharField(max_length=10),
        label=_("Languages spoken"),
        required=False,
        help_text=_("Language codes separated by commas, e.g. ro, rom, fr."),
    )
    french_level = forms.ChoiceField(
        label=_("French level"), required=False, choices=[("", "—"), *enums.FrenchLevel.choices]
    )
    residence_status = forms.ChoiceField(
        label=_("Residence status"), required=False, choices=[("", "—"), *enums.ResidenceStatus.choices]
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def clean_aliases(self) -> list[str]:
        return [a.strip() for a in (self.cleaned_data.get("aliases") or "").split(",") if a.strip()]

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return value

    def clean_birth_year(self) -> Any:
        value = self.cleaned_data.get("birth_year")
        if value is not None and not 1900 <= value <= timezone.localdate().year:
            raise forms.ValidationError(
                _("The birth year must be between %(min)s and %(max)s.")
                % {"min": 1900, "max": timezone.localdate().year}
            )
        return value

    def person_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in PERSON_FORM_FIELDS}
        if data.get("birth_date") and data.get("birth_year") is None:
            data["birth_year"] = None
        return data

    @staticmethod
    def person_initial(person: Person) -> dict[str, Any]:
        initial = {name: getattr(person, name) for name in PERSON_FORM_FIELDS}
        initial["aliases"] = ", ".join(person.aliases or [])
        initial["languages"] = ",".join(person.languages or [])
        return initial


class HouseholdFieldsMixin(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=200, help_text=_("Usually the family name."))
    referent = ReferentField(label=_("Referent"), required=False, queryset=User.objects.none())
    living_place = forms.ChoiceField(label=_("Living place"), choices=enums.LivingPlace.choices)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    commune_code = forms.CharField(
        label=_("Commune (INSEE code)"), max_length=5, required=False, help_text=_("e.g. 59350 for Lille.")
    )
    domiciliation = forms.CharField(
        label=_("Domiciliation"),
        max_length=255,
        required=False,
        help_text=_("Organisation giving the postal address, if any."),
    )
    living_site = LivingSiteField(
        label=_("Living site"),
        required=False,
        help_text=_("The shantytown, squat or site where the household lives, among the open sites you see."),
    )
    living_site_ref = forms.CharField(
        label=_("Other living place"),
        max_length=200,
        required=False,
        help_text=_("When the place is not in the list of living sites."),
    )

    def set_living_sites(self, user: Any, current_id: int | None = None) -> None:
        self.fields["living_site"].queryset = living_sites_for(user, current_id)  # type: ignore[attr-defined]

    def household_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in HOUSEHOLD_FORM_FIELDS}


class HouseholdCreateForm(HouseholdFieldsMixin, PersonFieldsMixin):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    create_anyway = forms.BooleanField(
        label=_("None of these is the same person: create the household anyway"), required=False
    )

    field_order = ["organisation", *HOUSEHOLD_FORM_FIELDS, *PERSON_FORM_FIELDS, "create_anyway"]

    def __init__(self, *args: Any, organisation_ids: list[int], user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_living_sites(user)
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=organisation_ids).order_by("name")  # type: ignore[attr-defined]
        if len(organisation_ids) == 1:
            self.fields["organisation"].initial = organisation_ids[0]
        self.fields["referent"].queryset = staff_of(organisation_ids)  # type: ignore[attr-defined]

    @property
    def fieldsets(self) -> list[tuple[Any, list[Any]]]:
        return [
            (_("Household"), [self["organisation"], *(self[n] for n in HOUSEHOLD_FORM_FIELDS)]),
            (_("Reference person"), [self[n] for n in PERSON_FORM_FIELDS]),
        ]


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class HouseholdForm(HouseholdFieldsMixin, VersionForm):
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, *args: Any, household: Household, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                **{
                    n: getattr(household, n)
                    for n in HOUSEHOLD_FORM_FIELDS
                    if n not in ("commune_code", "referent", "living_site")
                },
                "referent": household.referent_id,
                "living_site": household.living_site_id,
                "commune_code": household.commune.code if household.commune else "",
                "status": household.status,
                "version": household.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.set_living_sites(user, household.living_site_id)
        self.fields["referent"].queryset = staff_of([household.organisation_id])  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (v, label)
            for v, label in enums.HouseholdStatus.choices
            if v in (enums.HouseholdStatus.OPEN, enums.HouseholdStatus.CLOSED) or v == household.status
        ]

    def household_data(self) -> dict[str, Any]:
        return {**super().household_data(), "status": self.cleaned_data["status"]}


class PersonForm(PersonFieldsMixin, VersionForm):
    relation = forms.ChoiceField(label=_("Relation to the reference person"), choices=enums.Relation.choices)
    field_order = ["relation", *PERSON_FORM_FIELDS]

    def __init__(self, *args: Any, household: Household, person: Person | None = None, **kwargs: Any) -> None:
        initial = {"version": household.version, "relation": enums.Relation.CHILD}
        if person is not None:
            initial.update(self.person_initial(person), relation=person.relation)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def person_data(self) -> dict[str, Any]:
        return {**super().person_data(), "relation": self.cleaned_data["relation"]}


class DocumentForm(VersionForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=enums.DocumentKind.choices)
    reference = forms.CharField(label=_("Number"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DATE_WIDGET)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(
        self, *args: Any, household: Household, document: ResidenceDocument | None = None, **kwargs: Any
    ) -> None:
        initial: dict[str, Any] = {"version": household.version}
        if document is not None:
            initial.update({n: getattr(document, n) for n in ("kind", "reference", "issued_on", "expires_on", "note")})
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", _("The expiry date cannot be before the issue date."))
        return data

    def document_data(self) -> dict[str, Any]:
        return {n: self.cleaned_data.get(n) for n in ("kind", "reference", "issued_on", "expires_on", "note")}


class HouseholdMergeForm(VersionForm):
    other = forms.IntegerField(
        label=_("Number of the other household"),
        min_value=1,
        help_text=_("Its members and its whole history move to this household; the other one is closed as merged."),
    )


class PersonMergeForm(VersionForm):
    kept = forms.TypedChoiceField(label=_("Person to keep"), coerce=int)
    other = forms.TypedChoiceField(label=_("Same person, recorded twice"), coerce=int)

    def __init__(self, *args: Any, persons: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kept"].choices = persons  # type: ignore[attr-defined]
        self.fields["other"].choices = persons  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kept") is not None and data.get("kept") == data.get("other"):
            self.add_error("other", _("Choose two different persons."))
        return data
