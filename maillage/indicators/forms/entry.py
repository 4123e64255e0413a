"""Forms of the entry pages: the choice of an organisation and an indicator, one value, and
the upload of a filled template. The services check the rules of the data
(``services.values``, ``services.imports``); their errors come back on the form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation

from .. import enums
from ..models import Indicator
from ..periods import Period
from ..templates_io import MAX_UPLOAD_BYTES, ParsedRows, TemplateFileError, read_upload


def flag_errors(form: forms.BaseForm) -> None:
    """Point assistive technologies from each field in error to its message (and help)."""
    for name in form.errors:
        if name in form.fields and not form.fields[name].widget.is_hidden:
            field = form[name]
            described = [f"{field.auto_id}_error"] + (
                [f"{field.auto_id}_helptext"] if form.fields[name].help_text else []
            )
            form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


def breakdown_choices(indicator: Indicator | None) -> list[tuple[str, Any]]:
    """ "" (the total), then the parts of each breakdown allowed for the indicator, grouped."""
    choices: list[tuple[str, Any]] = [("", _("Total (no breakdown)"))]
    dimensions = indicator.breakdowns if indicator is not None else list(enums.BREAKDOWN_PARTS)
    for dimension in dimensions:
        parts = enums.BREAKDOWN_PARTS.get(dimension)
        if parts:
            label = enums.Breakdown(dimension).label
            choices.append((str(label), [(f"{dimension}={part}", part_label) for part, part_label in parts]))
    return choices


class EntryChoiceForm(forms.Form):
    """What to enter (GET): the organisation, the indicator and the period shown."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    indicator = forms.ChoiceField(label=_("Indicator"))
    period = forms.CharField(
        label=_("Period shown"),
        max_length=10,
        required=False,
        help_text=_("A year (2025), a quarter (2025-Q1) or a month (2025-03)."),
    )

    def __init__(
        self, *args: Any, organisations: Sequence[Organisation], indicators: Iterable[Indicator], **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.organisations = {o.pk: o for o in organisations}
        self.indicators = {i.code: i for i in indicators}
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]
        choices: list[tuple[str, Any]] = [("", "—")]
        groups: dict[str, list[tuple[str, str]]] = {}
        for indicator in self.indicators.values():
            label = str(enums.Domain(indicator.domain).label) if indicator.domain in enums.Domain.values else ""
            groups.setdefault(label, []).append((indicator.code, f"{indicator.name} ({indicator.code})"))
        choices += list(groups.items())
        self.fields["indicator"].choices = choices  # type: ignore[attr-defined]

    def clean_organisation(self) -> Organisation:
        return self.organisations[self.cleaned_data["organisation"]]

    def clean_indicator(self) -> Indicator:
        return self.indicators[self.cleaned_data["indicator"]]

    def clean_period(self) -> Period | None:
        text = self.cleaned_data.get("period") or ""
        if not text:
            return None
        try:
            return Period.parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class ValueForm(forms.Form):
    """One value of the chosen organisation and indicator. Territory and period are read as
    text ("department:59", "2025-Q1") and checked by the service."""

    territory = forms.CharField(
        label=_("Territory"),
        max_length=30,
        help_text=_("department:59, commune:59350, epci:200093201 or region:32, in your organisation's departments."),
    )
    period = forms.CharField(
        label=_("Period"), max_length=10, help_text=_("A year (2025), a quarter (2025-Q1) or a month (2025-03).")
    )
    kind = forms.ChoiceField(label=_("Kind of value"), choices=enums.ValueKind.choices, initial=enums.ValueKind.ACTUAL)
    breakdown = forms.ChoiceField(label=_("Breakdown"), required=False)
    value = forms.DecimalField(label=_("Value"), max_digits=16, decimal_places=2, min_value=0, localize=True)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: the source or a remark. No names."),
    )

    def __init__(
        self, *args: Any, indicator: Indicator, territories: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.territories = territories
        self.fields["breakdown"].choices = breakdown_choices(indicator)  # type: ignore[attr-defined]
        self.fields["territory"].widget.attrs.update({"list": "entry-territories", "autocomplete": "off"})
        unit = enums.Unit(indicator.unit) if indicator.unit in enums.Unit.values else None
        if unit is not None:
            self.fields["value"].help_text = _("Unit: %(unit)s.") % {"unit": unit.label}
            if unit in enums.INTEGER_UNITS:
                self.fields["value"].help_text = _("Unit: %(unit)s, a whole number.") % {"unit": unit.label}
            elif unit == enums.Unit.PERCENT:
                self.fields["value"].help_text = _("Unit: %(unit)s, between 0 and 100.") % {"unit": unit.label}


class UploadForm(forms.Form):
    """A filled template of one of the user's organisations."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    file = forms.FileField(
        label=_("Filled template"),
        help_text=_("CSV or XLSX, %(size)s MB at most, with the columns of the template.")
        % {"size": MAX_UPLOAD_BYTES // 1024 // 1024},
    )

    def __init__(self, *args: Any, organisations: Sequence[Organisation], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]  # type: ignore[attr-defined]
        self.parsed: ParsedRows | None = None
        self.file_messages: list[str] = []

    def clean_organisation(self) -> Organisation:
        return self.organisations[self.cleaned_data["organisation"]]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").rsplit("/", 1)[-1]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("“%(name)s” is larger than %(size)s MB: split it."),
                params={"name": name, "size": MAX_UPLOAD_BYTES // 1024 // 1024},
                code="file_size",
            )
        upload.seek(0)
        try:
            self.parsed = read_upload(name, upload.read())
        except TemplateFileError as error:
            self.file_messages = error.messages
            raise forms.ValidationError(error.messages, code="file_content") from None
        return upload
