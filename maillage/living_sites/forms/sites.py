"""Forms of the sites area: a site (creation, edition) and a dated update of its population and
living conditions.

They validate the input and turn it into the ``data`` of ``services/sites.py``, whose
``ValidationError`` the views show on the form (``core.forms.add_service_errors``). The
update form reuses ``services.sites.figures_errors`` so that figures that do not add up are
reported on the right fields before the service is called.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation
from maillage.territory.models import Commune
from maillage.territory.text import normalize_search

from .. import enums
from ..models import Site
from ..permissions import can_create_site
from ..services.sites import (
    BAND_FIELDS,
    CONDITION_FIELDS,
    PROCEDURE_FIELDS,
    SITE_FIELDS,
    UPDATE_FIELDS,
    figures_errors,
)
from .fields import DateInput, OrganisationChoiceField

# At most this many communes are listed when a name matches several.
MAX_COMMUNE_CHOICES = 10
_INSEE = re.compile(r"\b(\d{5}|2[AB]\d{3})\b", re.IGNORECASE)


# --- Communes ------------------------------------------------------------------------------


def resolve_commune(text: str) -> tuple[Commune | None, list[Commune]]:
    """The commune meant by ``text`` (an INSEE code, a postal code, a name, or "Lille (59350)"),
    or ``(None, candidates)`` when it is unknown (no candidate) or ambiguous (several)."""
    text = (text or "").strip()
    if not text:
        return None, []
    queryset = Commune.objects.select_related("department").order_by("department_id", "name", "code")
    code = _INSEE.search(text)
    if code:
        value = code.group(1).upper()
        found = list(queryset.filter(code=value)[:1])
        if found:
            return found[0], []
        candidates = list(queryset.filter(postal_codes__contains=[value])[: MAX_COMMUNE_CHOICES + 1])
        if len(candidates) == 1:
            return candidates[0], []
        if candidates:
            return None, candidates
    name = normalize_search(_INSEE.sub("", text).strip(" ()"))
    if not name:
        return None, []
    exact = list(queryset.filter(search_name=name)[: MAX_COMMUNE_CHOICES + 1])
    if len(exact) == 1:
        return exact[0], []
    if exact:
        return None, exact
    starting = list(queryset.filter(search_name__startswith=name)[: MAX_COMMUNE_CHOICES + 1])
    if len(starting) == 1:
        return starting[0], []
    return None, starting


def commune_label(commune: Commune) -> str:
    return f"{commune.name} ({commune.code})"


# --- Site ----------------------------------------------------------------------------------


class SiteForm(forms.Form):
    """A site. ``procedure``: show the legal procedure fields (the view asks the policy)."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The name used by the teams, e.g. the street."))
    kind = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *enums.SiteKind.choices])
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    commune = forms.CharField(
        label=_("Commune"),
        max_length=120,
        help_text=_("Its name or its INSEE code, e.g. Lille or 59350."),
    )
    latitude = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("In decimal degrees, e.g. 50.6292."),
    )
    longitude = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("In decimal degrees, e.g. 3.0573."),
    )
    outline = forms.CharField(
        label=_("Outline (GeoJSON)"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            'Optional. A GeoJSON polygon, e.g. {"type": "Polygon", "coordinates": [[[3.05, 50.63], '
            "[3.06, 50.63], [3.06, 50.64], [3.05, 50.63]]]} (longitude first)."
        ),
    )
    owner_kind = forms.ChoiceField(label=_("Owner"), choices=enums.OwnerKind.choices, initial=enums.OwnerKind.UNKNOWN)
    owner_name = forms.CharField(label=_("Owner's name"), max_length=200, required=False)
    opened_on = forms.DateField(label=_("Settled since"), required=False, widget=DateInput())
    known_since = forms.DateField(label=_("Known since"), required=False, widget=DateInput())
    organisation = OrganisationChoiceField(
        label=_("Organisation following the site"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="—",
    )
    procedure = forms.ChoiceField(
        label=_("Legal procedure"), choices=enums.LegalProcedure.choices, initial=enums.LegalProcedure.NONE
    )
    procedure_decision = forms.CharField(label=_("Decision"), max_length=255, required=False)
    procedure_decided_on = forms.DateField(label=_("Date of the decision"), required=False, widget=DateInput())
    procedure_deadline = forms.DateField(label=_("Deadline to leave"), required=False, widget=DateInput())
    confirm_location = forms.BooleanField(label=_("I confirm this location"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(
        self,
        *args: Any,
        user: Any,
        site: Site | None = None,
        organisation_ids: list[int],
        procedure: bool,
        **kwargs: Any,
    ) -> None:
        if site is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(site)
        super().__init__(*args, **kwargs)
        self.user = user
        self.site = site
        self.show_procedure = procedure
        ids = set(organisation_ids)
        if site is not None and site.organisation_id:
            ids.add(site.organisation_id)  # keep the current one, even if not the user's
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=ids).order_by("name")  # type: ignore[attr-defined]
        if not procedure:
            for name in PROCEDURE_FIELDS:
                del self.fields[name]
        if site is None:
            del self.fields["version"]
        else:
            self.fields["version"].required = True
        self.commune_choices: list[Commune] = []

    @staticmethod
    def initial_for(site: Site) -> dict[str, Any]:
        initial = {name: getattr(site, name) for name in ("name", "kind", "address", "latitude", "longitude")}
        initial.update({name: getattr(site, name) for name in ("owner_kind", "owner_name", "opened_on", "known_since")})
        initial.update({name: getattr(site, name) for name in PROCEDURE_FIELDS})
        initial["commune"] = commune_label(site.commune)
        initial["outline"] = json.dumps(site.outline) if site.outline else ""
        initial["organisation"] = site.organisation_id
        initial["version"] = site.version
        return initial

    def clean_commune(self) -> Commune:
        text = self.cleaned_data["commune"]
        commune, candidates = resolve_commune(text)
        if commune is not None:
            return commune
        if not candidates:
            raise forms.ValidationError(
                _("No commune found for “%(text)s”. Give its INSEE code, e.g. 59350 for Lille."), params={"text": text}
            )
        self.commune_choices = candidates[:MAX_COMMUNE_CHOICES]
        listed = ", ".join(f"{c.name} ({c.code}, {c.department_id})" for c in self.commune_choices)
        if len(candidates) > MAX_COMMUNE_CHOICES:
            listed += ", …"
        raise forms.ValidationError(
            _("Several communes match “%(text)s”: give the INSEE code of the one you mean: %(communes)s."),
            params={"text": text, "communes": listed},
        )

    def clean_outline(self) -> dict[str, Any] | None:
        text = (self.cleaned_data.get("outline") or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s)."),
                params={"line": getattr(error, "lineno", "?"), "column": getattr(error, "colno", "?")},
            ) from None
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        if isinstance(value, dict) and value.get("type") == "FeatureCollection":
            features = value.get("features") or []
            value = features[0].get("geometry") if len(features) == 1 and isinstance(features[0], dict) else value
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Give a GeoJSON polygon (an object), not a list or a number."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        commune = data.get("commune")
        if isinstance(commune, Commune):
            moving = self.site is None or commune.department_id != self.site.department_id
            if moving and not can_create_site(self.user, commune.department_id):
                self.add_error(
                    "commune",
                    _("You may not create a site in this department (%(department)s).")
                    % {"department": commune.department_id},
                )
        return data

    def location_changed(self) -> bool:
        """Whether the commune or the point differ from the site's (always true for a new site)."""
        if self.site is None:
            return True
        data = self.cleaned_data
        commune = data.get("commune")
        return (
            getattr(commune, "pk", None) != self.site.commune_id
            or data.get("latitude") != self.site.latitude
            or data.get("longitude") != self.site.longitude
        )

    def site_data(self, *, procedure: bool) -> dict[str, Any]:
        """The ``data`` of ``site_create``/``site_edit``; the procedure only with ``procedure``."""
        data = self.cleaned_data
        result = {name: data.get(name) for name in SITE_FIELDS if name not in PROCEDURE_FIELDS}
        for name in ("address", "owner_name"):
            result[name] = result[name] or ""
        if procedure and self.show_procedure:
            for name in PROCEDURE_FIELDS:
                result[name] = (
                    data.get(name) if name in ("procedure_decided_on", "procedure_deadline") else (data.get(name) or "")
                )
            result["procedure"] = result["procedure"] or enums.LegalProcedure.NONE
        return result

    def procedure_given(self) -> bool:
        """Did the user fill in the legal procedure (something else than "no procedure")?"""
        if not self.show_procedure:
            return False
        data = self.cleaned_data
        return bool(
            (data.get("procedure") or enums.LegalProcedure.NONE) != enums.LegalProcedure.NONE
            or data.get("procedure_decision")
            or data.get("procedure_decided_on")
            or data.get("procedure_deadline")
        )


# --- Update --------------------------------------------------------------------------------

CHOICE_FIELDS = ("water_access", "water_continuity", "toilets", "showers", "electricity", "waste_collection", "pests")
NUMBER_ATTRS = {"inputmode": "numeric", "pattern": "[0-9]*", "min": "0"}
NOT_ASSESSED = _("Not assessed")
_SPLIT_ITEMS = re.compile(r"[,;\n]+")
_ITEM = re.compile(r"^\s*([A-Za-z]{2,3})\s*[:=]?\s*(\d{1,6})\s*$")


def _number(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=help_text,
        widget=forms.NumberInput(attrs=NUMBER_ATTRS),
    )


def _radios(label: Any, choices: list[tuple[str, Any]], *, blank: Any = NOT_ASSESSED) -> forms.ChoiceField:
    if not any(value == "" for value, _label in choices):
        choices = [*choices, ("", blank)]
    return forms.ChoiceField(label=label, required=False, choices=choices, initial="", widget=forms.RadioSelect)


def parse_counts(text: str, *, letters: tuple[int, int], upper: bool) -> dict[str, int]:
    """ "RO: 40, BG: 12" → {"RO": 40, "BG": 12}. Raises a ValidationError naming the bad items."""
    counts: dict[str, int] = {}
    errors: list[forms.ValidationError] = []
    for item in _SPLIT_ITEMS.split(text or ""):
        if not item.strip():
            continue
        match = _ITEM.match(item)
        if not match or not letters[0] <= len(match.group(1)) <= letters[1]:
            errors.append(
                forms.ValidationError(
                    _("“%(item)s” is not understood: write a code, a colon and a number, e.g. %(example)s."),
                    params={"item": item.strip(), "example": "RO: 40" if upper else "ro: 40"},
                )
            )
            continue
        code = match.group(1).upper() if upper else match.group(1).lower()
        if code in counts:
            errors.append(forms.ValidationError(_("%(code)s is given twice."), params={"code": code}))
            continue
        counts[code] = int(match.group(2))
    if errors:
        raise forms.ValidationError(errors)
    return counts


def format_counts(counts: dict[str, int] | None) -> str:
    """{"BG": 12, "RO": 40} → "RO: 40, BG: 12" (largest first)."""
    items = sorted((counts or {}).items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{code}: {count}" for code, count in items)


class SiteUpdateForm(forms.Form):
    """A dated observation, filled on a phone on the site. Groups: ``FIELDSETS``."""

    observed_on = forms.DateField(label=_("Date of the observation"), widget=DateInput())
    source = forms.ChoiceField(
        label=_("Origin of the figures"), choices=enums.FigureSource.choices, widget=forms.RadioSelect
    )
    people = _number(_("People"))
    households = _number(_("Households"))
    minors_0_3 = _number(_("0–3 years"))
    minors_3_6 = _number(_("3–6 years"))
    minors_6_12 = _number(_("6–12 years"))
    minors_12_16 = _number(_("12–16 years"))
    minors_16_18 = _number(_("16–18 years"))
    minors = _number(_("Minors in all"), _("Optional: computed from the age bands when they are all given."))
    children_in_school = _number(_("Children in school"))
    nationalities = forms.CharField(
        label=_("Nationalities (number of people)"),
        required=False,
        max_length=500,
        help_text=_("Country codes and counts, e.g. RO: 40, BG: 12."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}),
    )
    languages = forms.CharField(
        label=_("Languages spoken (number of people)"),
        required=False,
        max_length=500,
        help_text=_("Language codes and counts, e.g. ro: 45, rom: 50."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}),
    )
    water_access = _radios(_("Water access"), list(enums.WaterAccess.choices))
    water_distance_m = _number(_("Distance to water (metres)"), _("When the water is near the site."))
    water_continuity = _radios(_("Water continuity"), list(enums.WaterContinuity.choices))
    toilets = _radios(_("Toilets"), list(enums.Provision.choices))
    showers = _radios(_("Showers"), list(enums.Provision.choices))
    electricity = _radios(_("Electricity"), list(enums.Regularity.choices))
    waste_collection = _radios(_("Waste collection"), list(enums.Regularity.choices))
    pests = _radios(_("Pests"), list(enums.Pests.choices))
    fire_extinguishers = _number(_("Fire extinguishers"), _("How many work on the site."))
    fire_distances_ok = _radios(
        _("Distances between dwellings respected (fire prevention)"),
        [("yes", _("Yes")), ("no", _("No"))],
        blank=_("Unknown"),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("No names here: figures and observations only."),
    )
    organisation = forms.TypedChoiceField(label=_("On behalf of"), coerce=int)

    FIELDSETS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
        ("population", _("Population"), ("observed_on", "source", "people", "households")),
        ("minors", _("Minors by age"), (*BAND_FIELDS, "minors")),
        ("schooling", _("Schooling"), ("children_in_school",)),
        ("origins", _("Nationalities and languages"), ("nationalities", "languages")),
        ("conditions", _("Living conditions"), CONDITION_FIELDS),
        ("notes", _("Notes"), ("notes", "organisation")),
    )

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("observed_on", timezone.localdate())
        if organisations:
            kwargs["initial"].setdefault("organisation", organisations[0][0])
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.choices = organisations  # type: ignore[attr-defined]
        if len(organisations) <= 1:
            field.widget = forms.HiddenInput()

    def fieldsets(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "legend": legend, "fields": [self[name] for name in names if name in self.fields]}
            for key, legend, names in self.FIELDSETS
        ]

    def clean_nationalities(self) -> dict[str, int]:
        return parse_counts(self.cleaned_data.get("nationalities") or "", letters=(2, 2), upper=True)

    def clean_languages(self) -> dict[str, int]:
        return parse_counts(self.cleaned_data.get("languages") or "", letters=(2, 3), upper=False)

    def clean_fire_distances_ok(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("fire_distances_ok") or "")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("minors") is None and all(isinstance(data.get(b), int) for b in BAND_FIELDS):
            data["minors"] = sum(data[b] for b in BAND_FIELDS)
        for name, message in figures_errors(data).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return data

    def update_data(self) -> dict[str, Any]:
        """The ``data`` of ``site_update_record`` (blank choices stay "", "not assessed")."""
        data = {name: self.cleaned_data.get(name) for name in UPDATE_FIELDS}
        for name in ("notes", *CHOICE_FIELDS):
            data[name] = data[name] or ""
        return data
