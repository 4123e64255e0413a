"""Pages of the sites area: the list, a site's page, its creation and edition, recording a dated
update (population and living conditions) and the history of the updates.

Every site is fetched with ``permissions.site_get_for`` (404 when forbidden, as when missing)
and every action asks the policy (``can_*``) first; writes go through ``services/sites.py``. A
site is territory data, not a personal file: its pages do not journal reads (``audit_read``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from maillage.core import charts
from maillage.core.forms import add_service_errors
from maillage.core.http import query_without_page
from maillage.organisations.models import Organisation

from ..conditions import CATEGORIES, lights
from ..enums import AGE_BANDS, Light
from ..forms.filters import filter_form_for
from ..forms.sites import SiteForm, SiteUpdateForm, format_counts
from ..models import Site, SiteUpdate
from ..permissions import (
    can_edit_site,
    can_manage_closure,
    can_record_update,
    can_see_procedure,
    departments_editable_by,
    journal_organisations,
    site_get_for,
    site_scope,
)
from ..selectors.actions import actions_context
from ..selectors.closures import closures_context
from ..selectors.households import households_context
from ..selectors.journal import journal_context
from ..selectors.sites import sites_for_list
from ..services import sites as services

PAGE_SIZE = 50
UPDATES_PAGE_SIZE = 50
# The chart draws the latest updates (at most this many); the evolution table the latest few.
CHART_UPDATES = 24
EVOLUTION_UPDATES = 6
LIGHT_WORDS = dict(Light.choices)


# --- Helpers -------------------------------------------------------------------------------


def _closed_message(site: Site) -> str | None:
    """Why no update may be recorded on this site (``services.site_status_check``), or None."""
    try:
        services.site_status_check(site)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _may_record_update(user: Any, site: Site) -> bool:
    return can_record_update(user, site) and _closed_message(site) is None


def _user_organisation_ids(user: Any) -> list[int]:
    """The organisations the user belongs to (read from the cached site scope: no query)."""
    roles = site_scope(user).roles or {}
    return sorted({org for orgs in roles.values() for org in orgs})


def light_of(value: str) -> dict[str, str]:
    """A light for the template ``_light.html``: its value (the colour class) and its word."""
    return {"value": value or Light.UNKNOWN, "word": str(LIGHT_WORDS.get(value or Light.UNKNOWN, ""))}


def category_lights(update: SiteUpdate) -> list[dict[str, Any]]:
    values = lights(update)
    return [{"key": key, "label": label, **light_of(values[key])} for key, label in CATEGORIES]


def _language_name(code: str) -> str:
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    return f"{info['name_translated']} ({code})"


def _counts(counts: dict[str, int] | None, *, languages: bool) -> list[tuple[str, int]]:
    """Counts sorted by size, with a display name (languages Django knows; codes otherwise)."""
    items = sorted((counts or {}).items(), key=lambda item: (-item[1], item[0]))
    return [(_language_name(code) if languages else code, count) for code, count in items]


# --- List ----------------------------------------------------------------------------------


def site_list(request: HttpRequest) -> HttpResponse:
    form = filter_form_for(request.user, request.GET)
    page = Paginator(sites_for_list(request.user, **form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    for site in page:
        latest = site.latest_update
        site.light = light_of(latest.conditions_light if latest else Light.UNKNOWN)  # type: ignore[attr-defined]
    query = query_without_page(request)
    return render(
        request,
        "living_sites/sites/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_create": bool(departments_editable_by(request.user)),
        },
    )


# --- Site page -----------------------------------------------------------------------------


def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    site = site_get_for(user, pk)
    recent = list(site.updates.select_related("organisation").order_by("-observed_on", "-pk")[:CHART_UPDATES])
    latest = recent[0] if recent else None
    chronological = list(reversed(recent))
    x_labels, series = charts.population_series(chronological)
    evolution = [
        {"update": update, "summary": light_of(update.conditions_light), "categories": category_lights(update)}
        for update in recent[:EVOLUTION_UPDATES]
    ]
    context: dict[str, Any] = {
        "site": site,
        "latest": latest,
        "bands": [(label, getattr(latest, name)) for name, label in AGE_BANDS] if latest else [],
        "nationalities": _counts(latest.nationalities, languages=False) if latest else [],
        "languages": _counts(latest.languages, languages=True) if latest else [],
        "summary": light_of(latest.conditions_light) if latest else light_of(Light.UNKNOWN),
        "current_lights": category_lights(latest) if latest else [],
        "evolution": evolution,
        "categories": CATEGORIES,
        "chart": charts.population_chart(chronological) if chronological else None,
        "chart_table": charts.chart_table(x_labels, series),
        "chart_truncated": len(recent) == CHART_UPDATES,
        "sees_procedure": can_see_procedure(user, site),
        "can_record_update": _may_record_update(user, site),
        "can_edit": can_edit_site(user, site),
        "can_manage_closure": can_manage_closure(user, site),
    }
    for section in (households_context, journal_context, actions_context, closures_context):
        context.update(section(user, site))
    return render(request, "living_sites/sites/detail.html", context)


# --- Create and edit -----------------------------------------------------------------------


def _site_form_page(request: HttpRequest, form: SiteForm, warnings: list[str], site: Site | None) -> HttpResponse:
    return render(
        request,
        "living_sites/sites/form.html",
        {
            "form": form,
            "site": site,
            "warnings": warnings,
            "title": _("Edit the site") if site else _("New site"),
        },
    )


def _save_site(request: HttpRequest, form: SiteForm, site: Site | None) -> tuple[Site | None, list[str]]:
    """Check the procedure rights and the location, then save. Returns (saved site, warnings)."""
    user = request.user
    data = form.cleaned_data
    commune = data["commune"]
    may_set = form.show_procedure and can_see_procedure(user, department_id=commune.department_id)
    if form.procedure_given() and not may_set:
        form.add_error("procedure", _("You may not set the legal procedure in this department."))
        return None, []
    warnings = (
        services.location_warnings(commune=commune, latitude=data.get("latitude"), longitude=data.get("longitude"))
        if form.location_changed()
        else []
    )
    if warnings and not data.get("confirm_location"):
        return None, warnings
    try:
        if site is None:
            saved = services.site_create(actor=user, data=form.site_data(procedure=may_set), may_set_procedure=may_set)
        else:
            saved = services.site_edit(
                actor=user,
                site=site,
                data=form.site_data(procedure=may_set),
                version=data.get("version"),
                may_set_procedure=may_set,
            )
    except ValidationError as error:
        add_service_errors(form, error)
        return None, warnings
    return saved, warnings


def site_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    departments = departments_editable_by(user)
    if not departments:
        raise Http404
    procedure = any(can_see_procedure(user, department_id=d) for d in departments)
    form = SiteForm(request.POST or None, user=user, organisation_ids=_user_organisation_ids(user), procedure=procedure)
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        saved, warnings = _save_site(request, form, None)
        if saved is not None:
            messages.success(request, _("The site was created."))
            return redirect("living_sites:site_detail", saved.pk)
    return _site_form_page(request, form, warnings, None)


def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    site = site_get_for(user, pk, edit=True)
    form = SiteForm(
        request.POST or None,
        user=user,
        site=site,
        organisation_ids=_user_organisation_ids(user),
        procedure=can_see_procedure(user, site),
    )
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        saved, warnings = _save_site(request, form, site)
        if saved is not None:
            messages.success(request, _("The site was saved."))
            return redirect("living_sites:site_detail", saved.pk)
    return _site_form_page(request, form, warnings, site)


# --- Updates -------------------------------------------------------------------------------


def update_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    site = site_get_for(user, pk)
    if not can_record_update(user, site):
        raise Http404
    organisation_ids = journal_organisations(user, site)
    organisations = list(
        Organisation.objects.filter(pk__in=organisation_ids).order_by("name", "pk").values_list("pk", "name")
    )
    closed = _closed_message(site)
    form = SiteUpdateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and closed:
        messages.error(request, closed)
    elif request.method == "POST" and form.is_valid():
        try:
            services.site_update_record(
                actor=user, site=site, data=form.update_data(), organisation_id=form.cleaned_data["organisation"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The update was recorded."))
            return redirect("living_sites:site_detail", site.pk)
    latest = site.latest_update
    return render(
        request,
        "living_sites/sites/update_form.html",
        {
            "site": site,
            "form": form,
            "closed": closed is not None,
            "latest": latest,
            "grid_fieldsets": ("population", "minors", "schooling"),
        },
    )


def update_list(request: HttpRequest, pk: int) -> HttpResponse:
    site = site_get_for(request.user, pk)
    updates = site.updates.select_related("organisation").order_by("-observed_on", "-pk")
    page = Paginator(updates, UPDATES_PAGE_SIZE).get_page(request.GET.get("page"))
    for update in page:
        update.light = light_of(update.conditions_light)  # type: ignore[attr-defined]
        update.bands = [getattr(update, name) for name, _label in AGE_BANDS]  # type: ignore[attr-defined]
        update.nationalities_text = format_counts(update.nationalities)  # type: ignore[attr-defined]
        update.languages_text = format_counts(update.languages)  # type: ignore[attr-defined]
    return render(
        request,
        "living_sites/sites/update_list.html",
        {
            "site": site,
            "page": page,
            "query": query_without_page(request),
            "band_labels": [label for _name, label in AGE_BANDS],
            "can_record_update": _may_record_update(request.user, site),
        },
    )


urlpatterns: list[URLPattern] = [
    path("", site_list, name="list"),
    path("new/", site_create, name="site_create"),
    path("<int:pk>/", site_detail, name="site_detail"),
    path("<int:pk>/edit/", site_edit, name="site_edit"),
    path("<int:pk>/updates/", update_list, name="update_list"),
    path("<int:pk>/updates/new/", update_create, name="update_create"),
]
