"""Forms of the journal: a new entry (with an optional scanned document) and an attachment.

The sensitivity choices are those the writer may read (``CaseAccess.classes``): a volunteer is
not even offered "health". The services check it again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import Sensitivity
from ..models import Household, Person
from ..permissions import CaseAccess

ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.first_name} {obj.last_name}".strip() or str(obj)


def _sensitivity_choices(case: CaseAccess) -> list[tuple[str, Any]]:
    return [(value, label) for value, label in Sensitivity.choices if case.reads(value)]


def _file_help() -> str:
    return str(
        _("PDF, JPEG, PNG or WEBP, %(limit)s at most.")
        % {"limit": filesizeformat(settings.PATHWAYS_ATTACHMENT_MAX_BYTES)}
    )


class JournalEntryForm(forms.Form):
    occurred_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), initial=timezone.localdate
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        help_text=_("Who may read the entry: health and justice are for the professionals only."),
    )
    person = PersonChoiceField(
        label=_("About"), queryset=Person.objects.none(), required=False, empty_label=_("The household")
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000)
    shared = forms.BooleanField(
        label=_("Shared with partners"),
        required=False,
        help_text=_("Organisations receiving an active referral that shares the journal will read it."),
    )
    file = forms.FileField(label=_("Scanned document (optional)"), required=False)

    def __init__(self, *args: Any, household: Household, case: CaseAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sensitivity"].choices = _sensitivity_choices(case)  # type: ignore[attr-defined]
        self.fields["sensitivity"].initial = Sensitivity.GENERAL
        self.fields["person"].queryset = household.members.current().order_by("pk")  # type: ignore[attr-defined]
        self.fields["file"].help_text = _file_help()
        self.fields["file"].widget.attrs["accept"] = ACCEPT

    def clean_occurred_on(self) -> Any:
        value = self.cleaned_data["occurred_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Scanned document"))
    sensitivity = forms.ChoiceField(label=_("Sensitivity"))

    def __init__(self, *args: Any, case: CaseAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sensitivity"].choices = _sensitivity_choices(case)  # type: ignore[attr-defined]
        self.fields["sensitivity"].initial = Sensitivity.GENERAL
        self.fields["file"].help_text = _file_help()
        self.fields["file"].widget.attrs["accept"] = ACCEPT
