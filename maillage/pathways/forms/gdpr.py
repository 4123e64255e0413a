"""Forms of the GDPR pages (anonymisation on request) and of the transfers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation

from ..services.gdpr import ANONYMISE_REASONS, REASON_RETENTION


class AnonymiseForm(forms.Form):
    """Confirm an erasure by typing the household's number; the reason is a choice, never free text."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(code, label) for code, label in ANONYMISE_REASONS if code != REASON_RETENTION],
        widget=forms.RadioSelect,
    )
    confirm = forms.CharField(
        label=_("Type the number of the household to confirm"),
        max_length=20,
        help_text=_("The names, contacts, documents, consents, journal and files will be erased for good."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, household_pk: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.household_pk = household_pk

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip().lstrip("#")
        if value != str(self.household_pk):
            raise forms.ValidationError(_("This is not the number of the household."))
        return value


class TransferRequestForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Organisation taking over the follow-up"),
        queryset=Organisation.objects.none(),
        help_text=_("The reference person must have consented to sharing their data with it."),
    )
    reason = forms.CharField(
        label=_("Message to the organisation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why the household moves, what is under way. Seen by the receiving organisation."),
    )

    def __init__(self, *args: Any, exclude_organisation: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_organisation"]
        field.queryset = Organisation.objects.active().exclude(pk=exclude_organisation).order_by("name")  # type: ignore[attr-defined]
