"""Forms of the locks page: lock a period of a territory, reopen it (with a reason)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class LockForm(forms.Form):
    territory = forms.CharField(
        label=_("Territory"),
        max_length=30,
        help_text=_("department:59, region:32, commune:59350 or epci:200093201, among those you coordinate."),
    )
    period = forms.CharField(
        label=_("Period"), max_length=10, help_text=_("A year (2025), a quarter (2025-Q1) or a month (2025-03).")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["territory"].widget.attrs.update({"list": "lock-territories", "autocomplete": "off"})


class ReopenForm(forms.Form):
    territory = forms.CharField(widget=forms.HiddenInput, max_length=30)
    period = forms.CharField(widget=forms.HiddenInput, max_length=10)
    reason = forms.CharField(
        label=_("Reason of the reopening"),
        max_length=500,
        help_text=_("Required: it is kept in the history of the lock and in the journal."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
