"""Forms of the consent page. The writes and the rules are in ``services/consent.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation

from ..enums import ConsentPurpose
from ..models import Household, Person

# The languages of the printable consent sheet: the portal's languages.
SHEET_LANGUAGES = [code for code, _name in settings.LANGUAGES]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.first_name} {obj.last_name}".strip()


class ConsentForm(forms.Form):
    person = PersonChoiceField(label=_("Person"), queryset=Person.objects.none(), empty_label=None)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    partner = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Only for sharing: the organisation the person agrees to share their information with."),
    )
    language = forms.ChoiceField(
        label=_("Language of the explanation"),
        choices=settings.LANGUAGES,
        help_text=_("The language in which the purpose was explained to the person."),
    )
    given_on = forms.DateField(
        label=_("Given on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def __init__(self, *args: Any, household: Household, persons: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_person: forms.ModelChoiceField = self.fields["person"]  # type: ignore[assignment]
        field_person.queryset = Person.objects.filter(pk__in=[p.pk for p in persons]).order_by("pk")
        field_partner: forms.ModelChoiceField = self.fields["partner"]  # type: ignore[assignment]
        field_partner.queryset = Organisation.objects.active().exclude(pk=household.organisation_id).order_by("name")
        if persons and "language" not in self.initial:
            spoken = [code for code in persons[0].languages if code in SHEET_LANGUAGES]
            self.initial["language"] = spoken[0] if spoken else settings.LANGUAGE_CODE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("purpose") == ConsentPurpose.SHARING and not data.get("partner"):
            self.add_error("partner", _("Choose the partner organisation the person agrees to share with."))
        return data
