"""Widgets and fields shared by the forms of the living sites."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker (``<input type="date">``), which needs the ISO format."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class OrganisationChoiceField(forms.ModelChoiceField):
    """An organisation, shown by its name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class OrganisationsChoiceField(forms.ModelMultipleChoiceField):
    """Organisations, shown by their names."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)
