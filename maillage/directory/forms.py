"""Forms of the directory pages: the public search and filters, and the members' entry forms.

The entry forms validate the input; the writes go through ``services.py`` (``service_kwargs()``
gives the keyword arguments), whose ``ValidationError`` the views show on the form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.postgres.forms import SimpleArrayField
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation
from maillage.territory.models import Commune, Department
from maillage.territory.selectors import commune_search

from . import enums
from .models import Project, Referent, Service, Structure

RADIUS_CHOICES = [(2, "2 km"), (5, "5 km"), (10, "10 km"), (20, "20 km"), (50, "50 km")]
DEFAULT_RADIUS = 10
# "Lille (59350)": how a commune is shown in a form field, and read back.
_COMMUNE_WITH_CODE = re.compile(r"\((\d[\dAB]\d{3})\)\s*$", re.IGNORECASE)


def thematique_groups(*, with_categories: bool = False) -> list[tuple[str, list[tuple[str, str]]]]:
    """The themes grouped by category (rendered as ``<optgroup>``), in the schema's order.

    With ``with_categories``, each group starts with the whole category ("Santé (all)").
    """
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for category, category_label in enums.CATEGORIE_CHOICES:
        options = [(value, label) for value, label in enums.THEMATIQUE_CHOICES if value.startswith(f"{category}--")]
        if with_categories:
            options.insert(0, (category, _("%(category)s (all)") % {"category": category_label}))
        groups.append((category_label, options))
    return groups


def resolve_commune(text: str) -> Commune | None:
    """The commune meant by a name, a postal code or an INSEE code (the best match), or None.

    "Lille (59350)", as the forms show a commune, is read back exactly.
    """
    text = (text or "").strip()
    if not text:
        return None
    match = _COMMUNE_WITH_CODE.search(text)
    if match:
        found = Commune.objects.select_related("department").filter(code=match.group(1).upper()).first()
        if found is not None:
            return found
        text = text[: match.start()].strip()
    return commune_search(query=text[:100]).first()


def set_choices(field: forms.Field, choices: Iterable[Any]) -> None:
    """Give a choice field its (translated, possibly grouped) choices at form creation."""
    field.choices = list(choices)  # type: ignore[attr-defined]


def commune_display(commune: Commune | None) -> str:
    return f"{commune.name} ({commune.code})" if commune else ""


class SearchForm(forms.Form):
    """The public search (GET). Every field is optional; an invalid value is ignored."""

    q = forms.CharField(
        label=_("What are you looking for?"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. French course, food aid, PASS")}),
    )
    thematique = forms.ChoiceField(label=_("Theme"), required=False)
    public = forms.ChoiceField(label=_("Public"), required=False)
    language = forms.ChoiceField(label=_("Language spoken"), required=False)
    mode = forms.ChoiceField(label=_("Mode of reception"), required=False)
    commune = forms.CharField(
        label=_("Near"),
        required=False,
        max_length=100,
        help_text=_("Commune name, postal code or INSEE code."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    radius = forms.TypedChoiceField(
        label=_("Within"), required=False, coerce=int, choices=RADIUS_CHOICES, empty_value=None
    )
    free = forms.BooleanField(label=_("Free of charge"), required=False)
    open_now = forms.BooleanField(label=_("Open now"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["thematique"], [("", _("All themes")), *thematique_groups(with_categories=True)])
        set_choices(self.fields["public"], [("", _("All publics")), *enums.PUBLIC_CHOICES])
        set_choices(self.fields["language"], [("", _("Any language")), *enums.LANGUAGE_CHOICES])
        set_choices(self.fields["mode"], [("", _("Any mode")), *enums.MODE_ACCUEIL_CHOICES])
        self.fields["radius"].initial = DEFAULT_RADIUS
        #: The commune the "near" text was resolved to (set by validation).
        self.resolved_commune: Commune | None = None

    def clean_commune(self) -> str:
        text = self.cleaned_data.get("commune", "")
        self.resolved_commune = resolve_commune(text)
        if text and self.resolved_commune is None:
            raise forms.ValidationError(_("No commune matches “%(text)s”."), params={"text": text})
        return text


class ReferentFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.none(), empty_label=_("All departments")
    )
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("code")  # type: ignore[attr-defined]
        set_choices(self.fields["role"], [("", _("All roles")), *enums.ReferentRole.choices])


class ProjectFilterForm(forms.Form):
    evidence = forms.ChoiceField(label=_("Level of evidence"), required=False)
    thematique = forms.ChoiceField(label=_("Theme"), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.none(), empty_label=_("All departments")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["evidence"], [("", _("All levels")), *enums.EvidenceLevel.choices])
        set_choices(self.fields["thematique"], [("", _("All themes")), *thematique_groups(with_categories=True)])
        self.fields["department"].queryset = Department.objects.order_by("code")  # type: ignore[attr-defined]


# --- Entry forms -------------------------------------------------------------------------


def _checkboxes(choices: Iterable[tuple[str, Any]], label: Any, help_text: Any = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=list(choices),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _organisation_queryset(editable: QuerySet[Organisation], current_id: int | None) -> QuerySet[Organisation]:
    """The organisations the user may choose, plus the entry's current one (kept on edit)."""
    condition = Q(pk__in=editable.values("pk"))
    if current_id is not None:
        condition |= Q(pk=current_id)
    return Organisation.objects.filter(condition).order_by("name")


class EntryForm(forms.ModelForm):
    """Common behaviour: the organisation list, the commune field, fieldsets and service kwargs."""

    #: [(legend or None, [field names])]: how the template groups the fields.
    layout: list[tuple[Any, list[str]]] = []
    extra_fields: list[str] = []

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation] | None = None,
        organisation_required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields and organisations is not None:
            field = self.fields["organisation"]
            field.queryset = _organisation_queryset(  # type: ignore[attr-defined]
                organisations, getattr(self.instance, "organisation_id", None)
            )
            field.required = organisation_required
        if "commune" in self.fields and self.instance.pk and getattr(self.instance, "commune_id", None):
            self.initial["commune"] = commune_display(self.instance.commune)

    def clean_commune(self) -> Commune | None:
        text = self.cleaned_data.get("commune") or ""
        if not text:
            return None
        commune = resolve_commune(text)
        if commune is None:
            raise forms.ValidationError(_("No commune matches “%(text)s”."), params={"text": text})
        return commune

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.layout]

    def service_kwargs(self) -> dict[str, Any]:
        names = [name for name in self.Meta.fields if name in self.cleaned_data]  # type: ignore[attr-defined]
        data = {name: self.cleaned_data[name] for name in names}
        for key, value in list(data.items()):
            if value is None and isinstance(self.fields[key], forms.CharField | forms.URLField | forms.EmailField):
                data[key] = ""
        if "departments" in self.cleaned_data:
            data["departments"] = [d.code for d in self.cleaned_data["departments"]]
        return data


COMMUNE_HELP = _("Commune name, postal code or INSEE code, for example “Lille”, “59000” or “59350”.")


def _commune_field() -> forms.CharField:
    return forms.CharField(label=_("Commune"), required=False, max_length=100, help_text=COMMUNE_HELP)


def _url_field(model: type[Any], name: str) -> forms.URLField:
    """A URL field that assumes https when the scheme is left out."""
    field = model._meta.get_field(name)
    return forms.URLField(
        label=field.verbose_name, help_text=field.help_text, required=False, max_length=500, assume_scheme="https"
    )


def _departments_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Territory"),
        queryset=Department.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Departments concerned (hold Ctrl to choose several)."),
    )


class StructureForm(EntryForm):
    commune = _commune_field()
    website = _url_field(Structure, "website")
    accessibility_url = _url_field(Structure, "accessibility_url")
    networks = forms.MultipleChoiceField(
        label=_("Networks"),
        choices=enums.RESEAU_PORTEUR_CHOICES,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("National networks the structure belongs to (hold Ctrl to choose several)."),
    )

    class Meta:
        model = Structure
        fields = [
            "organisation",
            "name",
            "description",
            "siret",
            "address",
            "address_complement",
            "commune",
            "phone",
            "email",
            "website",
            "opening_hours",
            "accessibility_url",
            "networks",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    layout = [
        (None, ["organisation", "name", "description", "siret", "networks"]),
        (_("Address and contacts"), ["address", "address_complement", "commune", "phone", "email", "website"]),
        (_("Reception"), ["opening_hours", "accessibility_url"]),
    ]


class ServiceForm(EntryForm):
    commune = _commune_field()
    referral_url = _url_field(Service, "referral_url")
    thematiques = forms.MultipleChoiceField(
        label=_("Themes"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("Hold Ctrl to choose several."),
    )
    types = _checkboxes(enums.TYPE_SERVICE_CHOICES, _("Types of service"))
    publics = _checkboxes(enums.PUBLIC_CHOICES, _("Publics"))
    reception_modes = _checkboxes(enums.MODE_ACCUEIL_CHOICES, _("Modes of reception"))
    referral_modes = _checkboxes(enums.MODE_MOBILISATION_CHOICES, _("How to get referred"))
    referral_by = _checkboxes(enums.PERSONNE_MOBILISATRICE_CHOICES, _("Who can refer"))
    languages = _checkboxes(enums.LANGUAGE_CHOICES, _("Languages spoken"))
    levels = _checkboxes(enums.FrenchLevel.choices, _("Levels"))
    eligibility_zone = SimpleArrayField(
        forms.CharField(max_length=5),
        label=_("Zone of eligibility"),
        required=False,
        help_text=_(
            "INSEE codes of the communes, departments or regions served, separated by commas; empty means everywhere."
        ),
    )
    next_sessions = SimpleArrayField(
        forms.DateField(),
        label=_("Next sessions"),
        required=False,
        help_text=_("Start dates separated by commas, for example 2025-09-01, 2026-01-05."),
    )

    class Meta:
        model = Service
        fields = [
            "kind",
            "name",
            "description",
            "thematiques",
            "types",
            "publics",
            "publics_details",
            "access_conditions",
            "fees",
            "fees_details",
            "languages",
            "interpreters",
            "documents_to_bring",
            "reception_modes",
            "referral_modes",
            "referral_by",
            "referral_details",
            "referral_url",
            "contact_name",
            "phone",
            "email",
            "address",
            "address_complement",
            "commune",
            "opening_hours",
            "eligibility_zone",
            "capacity",
            "waiting_days",
            "weekly_hours",
            "weeks",
            "course_type",
            "levels",
            "schedule",
            "childcare",
            "next_sessions",
        ]
        textarea = forms.Textarea(attrs={"rows": 3})
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "publics_details": textarea,
            "access_conditions": textarea,
            "fees_details": textarea,
            "documents_to_bring": textarea,
            "referral_details": textarea,
            "schedule": textarea,
        }

    layout = [
        (None, ["kind", "name", "description", "thematiques", "types"]),
        (_("For whom"), ["publics", "publics_details", "access_conditions", "eligibility_zone"]),
        (_("Fees"), ["fees", "fees_details"]),
        (_("Languages"), ["languages", "interpreters"]),
        (
            _("How to get referred"),
            ["referral_modes", "referral_by", "referral_details", "referral_url", "documents_to_bring"],
        ),
        (_("Contacts"), ["contact_name", "phone", "email"]),
        (
            _("Place and opening hours"),
            ["reception_modes", "address", "address_complement", "commune", "opening_hours"],
        ),
        (_("Capacity and duration"), ["capacity", "waiting_days", "weekly_hours", "weeks"]),
        (_("French-language course"), ["course_type", "levels", "schedule", "childcare", "next_sessions"]),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["thematiques"], thematique_groups())
        set_choices(self.fields["fees"], [("", _("Not specified")), *enums.FRAIS_CHOICES])
        set_choices(self.fields["course_type"], [("", _("Not a course")), *enums.CourseType.choices])
        self.fields["opening_hours"].help_text = Service._meta.get_field("opening_hours").help_text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == enums.ServiceKind.FRENCH_COURSE and not data.get("course_type"):
            self.add_error("course_type", _("Choose the type of course."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        # ISO strings: the audit journal (JSON) cannot hold date objects; the field parses them.
        data["next_sessions"] = [day.isoformat() for day in data.get("next_sessions") or []]
        return data


class ReferentForm(EntryForm):
    departments = _departments_field()
    languages = _checkboxes(enums.LANGUAGE_CHOICES, _("Languages spoken"))

    class Meta:
        model = Referent
        fields = ["organisation", "structure", "name", "role", "role_details", "email", "phone", "languages"]

    layout = [
        (None, ["organisation", "structure", "name", "role", "role_details", "departments"]),
        (_("Contacts"), ["email", "phone", "languages"]),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        organisations = kwargs.get("organisations")
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["departments"] = list(self.instance.departments.all())
        structures = Structure.objects.active().filter(organisation__isnull=False)
        if organisations is not None:
            condition = Q(organisation__in=organisations.values("pk"))
            if getattr(self.instance, "structure_id", None):
                condition |= Q(pk=self.instance.structure_id)
            structures = Structure.objects.filter(condition)
        self.fields["structure"].queryset = structures.order_by("name")  # type: ignore[attr-defined]
        self.fields["structure"].help_text = _("Optional: the place where they work.")


class ProjectForm(EntryForm):
    departments = _departments_field()
    publics = _checkboxes(enums.PUBLIC_CHOICES, _("Publics"))
    thematiques = forms.MultipleChoiceField(
        label=_("Themes"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("Hold Ctrl to choose several."),
    )

    class Meta:
        model = Project
        fields = [
            "organisation",
            "title",
            "goal",
            "description",
            "public",
            "publics",
            "thematiques",
            "partners",
            "funding",
            "results",
            "evidence_level",
            "start_year",
            "end_year",
            "documents",
            "contact_name",
            "contact_email",
        ]
        textarea = forms.Textarea(attrs={"rows": 3})
        widgets = {
            "goal": textarea,
            "description": forms.Textarea(attrs={"rows": 6}),
            "public": textarea,
            "partners": textarea,
            "funding": textarea,
            "results": textarea,
            "documents": textarea,
        }

    layout = [
        (None, ["organisation", "title", "goal", "description", "thematiques", "departments"]),
        (_("For whom"), ["public", "publics"]),
        (_("Means and results"), ["partners", "funding", "results", "evidence_level", "start_year", "end_year"]),
        (_("Documents and contact"), ["documents", "contact_name", "contact_email"]),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["thematiques"], thematique_groups())
        if self.instance.pk:
            self.initial["departments"] = list(self.instance.departments.all())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("The end year is before the start year."))
        return data
