"""Forms of the referral pages. The writes and the rules are in ``services/referrals.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from maillage.directory.models import Service

from ..enums import ReferralStatus, SharedItem


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        organisation = obj.structure.organisation
        return f"{obj.name} – {obj.structure.name}" + (f" ({organisation.name})" if organisation else "")


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Filter the services"), required=False, max_length=100)


class ReferralSendForm(forms.Form):
    service = ServiceChoiceField(
        label=_("Directory service"),
        queryset=Service.objects.none(),
        help_text=_("Services of the organisations of the network; use the filter above to find one."),
    )
    shared = forms.MultipleChoiceField(
        label=_("What is shared with the receiving organisation"),
        choices=SharedItem.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sharing needs the consent of the reference person to share with this organisation."),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why you refer the household, what you expect. Keep personal details to what is needed."),
    )

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class ReferralTransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ReferralStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a refusal: give the reason."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, moves: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if moves is not None:
            self.fields["status"].choices = [(v, label) for v, label in ReferralStatus.choices if v in moves]  # type: ignore[attr-defined]
