"""Pages of the directory.

Public pages (search, service, structure, referents, projects) carry ``login_not_required``
and work without JavaScript; the maps are a progressive enhancement (``directory-map.js``
reads the points from a ``<script type="application/json">`` element: the CSP forbids inline
scripts). Every object is fetched with ``permissions.entry_get_for`` (404 when forbidden, as
when missing). Writes go through ``services.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import opening_hours
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.forms import add_service_errors
from maillage.core.http import query_without_page
from maillage.organisations.permissions import access_for

from . import enums, exporters, permissions, services
from .forms import (
    DEFAULT_RADIUS,
    ProjectFilterForm,
    ProjectForm,
    ReferentFilterForm,
    ReferentForm,
    SearchForm,
    ServiceForm,
    StructureForm,
)
from .models import Project, Referent, Service, Structure
from .selectors import SearchFilters, service_search

PAGE_SIZE = 20
MAP_POINTS_LIMIT = 2000
EXPORT_LIMIT = 10_000
MY_ENTRIES_LIMIT = 100


# --- Helpers -------------------------------------------------------------------------------


def _map_context() -> dict[str, str]:
    return {"map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def _opening_state(value: str) -> dict[str, Any] | None:
    """Whether the place is open now, and its next change, from OpenStreetMap opening hours (None if unparseable)."""
    if not value:
        return None
    try:
        hours = opening_hours.OpeningHours(value, country="FR")
        now = timezone.localtime().replace(tzinfo=None)
        is_open = bool(hours.is_open(now))
        unknown = bool(hours.is_unknown(now))
        next_change: datetime | None = hours.next_change(now)
    except Exception:  # the parser and the evaluator raise their own errors
        return None
    if next_change is not None and next_change - now > timedelta(days=8):
        next_change = None
    return {"is_open": is_open and not unknown, "unknown": unknown, "next_change": next_change}


def _point(service: Service, *, structure: Structure | None = None) -> dict[str, Any] | None:
    structure = structure or service.structure
    lat = service.latitude if service.latitude is not None else structure.latitude
    lng = service.longitude if service.longitude is not None else structure.longitude
    if lat is None or lng is None:
        return None
    return {"lat": lat, "lng": lng, "name": service.name, "url": service.get_absolute_url(), "info": structure.name}


def _can_create(user: Any) -> bool:
    """May the user add entries (members of an organisation as manager, professional or coordinator)?"""
    return bool(user.is_authenticated) and permissions.editable_organisations(user).exists()


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _category_themes(value: str) -> list[str]:
    """A theme, or every theme of a category when ``value`` is a category."""
    if "--" in value:
        return [value]
    return [code for code, _label in enums.THEMATIQUE_CHOICES if code.startswith(f"{value}--")]


# --- Search --------------------------------------------------------------------------------


def _search(request: HttpRequest) -> tuple[SearchForm, QuerySet[Service], dict[str, Any]]:
    """The form, the queryset and the filters of a search request (the page and the export)."""
    params = request.GET.copy()
    if params and not params.get("radius"):
        params["radius"] = str(DEFAULT_RADIUS)  # shown selected, as when the page is first opened
    form = SearchForm(params or None)
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # invalid filters are ignored, the others still apply
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    commune = form.resolved_commune
    radius = data.get("radius") or DEFAULT_RADIUS
    point: dict[str, Any] = {}
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        # The commune is already resolved: its centroid is the point, within the radius.
        point = {"lat": commune.latitude, "lon": commune.longitude, "radius_km": float(radius)}
    filters = SearchFilters(
        q=data.get("q", ""),
        thematiques=_category_themes(data["thematique"]) if data.get("thematique") else [],
        publics=[data["public"]] if data.get("public") else [],
        free=bool(data.get("free")),
        languages=[data["language"]] if data.get("language") else [],
        reception_modes=[data["mode"]] if data.get("mode") else [],
        open_now=bool(data.get("open_now")),
        **point,
    )
    try:
        qs = service_search(filters=filters, user=request.user)
    except ValidationError as error:
        add_service_errors(form, error, {"radius_km": "radius", "lat": "commune", "lon": "commune"})
        qs = Service.objects.none()
    return form, qs, {"commune": commune if point else None, "radius": radius}


@login_not_required
def search(request: HttpRequest) -> HttpResponse:
    form, qs, used = _search(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    points: list[dict[str, Any]] = []
    if page.paginator.count:
        located = (
            qs.annotate(map_lat=Coalesce("latitude", "structure__latitude"))
            .annotate(map_lng=Coalesce("longitude", "structure__longitude"))
            .filter(map_lat__isnull=False, map_lng__isnull=False)
            .values_list("pk", "name", "structure__name", "map_lat", "map_lng")
        )
        points = [
            {"lat": lat, "lng": lng, "name": name, "url": reverse("directory:service_detail", args=[pk]), "info": info}
            for pk, name, info, lat, lng in located[:MAP_POINTS_LIMIT]
        ]
    return render(
        request,
        "directory/search.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "commune": used["commune"],
            "radius": used["radius"],
            "searched": form.is_bound,
            "map_points": points,
            "map_truncated": len(points) == MAP_POINTS_LIMIT and page.paginator.count > MAP_POINTS_LIMIT,
            "export_limit": EXPORT_LIMIT,
            **_map_context(),
        },
    )


@login_not_required
def search_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    _form, qs, _used = _search(request)
    rows = qs[:EXPORT_LIMIT]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = HttpResponse(
            exporters.export_services_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="maillage-services-{stamp}.xlsx"'
        return response
    if fmt != "csv":
        raise Http404
    streaming = StreamingHttpResponse(exporters.export_services_csv(rows), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = f'attachment; filename="maillage-services-{stamp}.csv"'
    return streaming


# --- Services and structures ---------------------------------------------------------------


@login_not_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service: Service = permissions.entry_get_for(request.user, Service, pk)
    structure = service.structure
    hours = service.opening_hours or structure.opening_hours
    point = _point(service)
    return render(
        request,
        "directory/service_detail.html",
        {
            "service": service,
            "structure": structure,
            "commune": service.commune or structure.commune,
            "address": service.address or structure.address,
            "address_complement": service.address_complement if service.address else structure.address_complement,
            "postal_code": service.postal_code or structure.postal_code,
            "phone": service.phone or structure.phone,
            "email": service.email or structure.email,
            "hours": hours,
            "opening": _opening_state(hours),
            "is_course": service.kind == enums.ServiceKind.FRENCH_COURSE,
            "can_edit": permissions.can_edit_entry(request.user, service),
            "map_points": [point] if point else [],
            **_map_context(),
        },
    )


@login_not_required
def service_print(request: HttpRequest, pk: int) -> HttpResponse:
    service: Service = permissions.entry_get_for(request.user, Service, pk)
    structure = service.structure
    hours = service.opening_hours or structure.opening_hours
    return render(
        request,
        "directory/service_print.html",
        {
            "service": service,
            "structure": structure,
            "commune": service.commune or structure.commune,
            "address": service.address or structure.address,
            "address_complement": service.address_complement if service.address else structure.address_complement,
            "postal_code": service.postal_code or structure.postal_code,
            "phone": service.phone or structure.phone,
            "email": service.email or structure.email,
            "hours": hours,
            "is_course": service.kind == enums.ServiceKind.FRENCH_COURSE,
            "detail_url": request.build_absolute_uri(service.get_absolute_url()),
            "printed_on": timezone.localdate(),
        },
    )


@login_not_required
def service_qr(request: HttpRequest, pk: int) -> HttpResponse:
    service: Service = permissions.entry_get_for(request.user, Service, pk)
    url = request.build_absolute_uri(service.get_absolute_url())
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=2, title=_("QR code of the page %(url)s") % {"url": url}
    )
    svg = buffer.getvalue()
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@login_not_required
def structure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    structure: Structure = permissions.entry_get_for(request.user, Structure, pk)
    can_edit = permissions.can_edit_entry(request.user, structure)
    services_qs = structure.services.select_related("commune").order_by("name")
    if not can_edit:
        services_qs = services_qs.filter(is_active=True)
    service_list = list(services_qs)
    points = [p for p in (_point(s, structure=structure) for s in service_list) if p]
    if not points and structure.latitude is not None and structure.longitude is not None:
        points = [
            {"lat": structure.latitude, "lng": structure.longitude, "name": structure.name, "url": "", "info": ""}
        ]
    return render(
        request,
        "directory/structure_detail.html",
        {
            "structure": structure,
            "services": service_list,
            "opening": _opening_state(structure.opening_hours),
            "can_edit": can_edit,
            "map_points": points,
            **_map_context(),
        },
    )


# --- Referents and projects ---------------------------------------------------------------


# Referents by role in the order of the list of roles (integration referents first).
_ROLE_ORDER = Case(
    *(When(role=value, then=Value(index)) for index, value in enumerate(enums.ReferentRole.values)),
    default=Value(len(enums.ReferentRole.values)),
    output_field=IntegerField(),
)


@login_not_required
def referent_list(request: HttpRequest) -> HttpResponse:
    form = ReferentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = (
        Referent.objects.active()
        .select_related("organisation", "structure")
        .prefetch_related("departments")
        .alias(_role_order=_ROLE_ORDER)
        .order_by("_role_order", "name", "pk")
    )
    if filters.get("department"):
        qs = qs.filter(departments=filters["department"])
    if filters.get("role"):
        qs = qs.filter(role=filters["role"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/referent_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "show_contacts": permissions.can_see_referent_contacts(request.user),
            "can_create": _can_create(request.user),
            "login_url": f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}",
        },
    )


@login_not_required
def project_list(request: HttpRequest) -> HttpResponse:
    form = ProjectFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = (
        Project.objects.active()
        .select_related("organisation")
        .prefetch_related("departments")
        .order_by(F("start_year").desc(nulls_last=True), "title", "pk")
    )
    if filters.get("evidence"):
        qs = qs.filter(evidence_level=filters["evidence"])
    if filters.get("thematique"):
        qs = qs.filter(thematiques__overlap=_category_themes(filters["thematique"]))
    if filters.get("department"):
        qs = qs.filter(departments=filters["department"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/project_list.html",
        {"form": form, "page": page, "query": query_without_page(request), "can_create": _can_create(request.user)},
    )


@login_not_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project: Project = permissions.entry_get_for(request.user, Project, pk)
    documents = [line.strip() for line in project.documents.splitlines() if line.strip()]
    return render(
        request,
        "directory/project_detail.html",
        {
            "project": project,
            "documents": documents,
            "can_edit": permissions.can_edit_entry(request.user, project),
        },
    )


# --- Members: their entries ---------------------------------------------------------------


def _editable_conditions(user: Any) -> dict[str, Q] | None:
    """For each kind of entry, the condition "this user may edit it" (None: everything, for admins).

    It mirrors ``permissions.can_edit_entry``: entries of the organisations where the user is a
    manager, professional or coordinator, and entries located in a coordinator's territory.
    """
    access = access_for(user)
    if access.is_admin:
        return None
    own = [org_id for org_id, role in access.roles_by_org.items() if role in permissions.EDITOR_ROLES]
    territory = list(access.coordinated_departments)
    return {
        "structure": Q(organisation_id__in=own) | Q(commune__department_id__in=territory),
        "service": Q(structure__organisation_id__in=own)
        | Q(commune__department_id__in=territory)
        | Q(commune__isnull=True, structure__commune__department_id__in=territory),
        "referent": Q(organisation_id__in=own) | Q(departments__code__in=territory),
        "project": Q(organisation_id__in=own) | Q(departments__code__in=territory),
    }


def my_entries(request: HttpRequest) -> HttpResponse:
    conditions = _editable_conditions(request.user)
    querysets: dict[str, QuerySet[Any]] = {
        "structure": Structure.objects.select_related("commune", "organisation"),
        "service": Service.objects.select_related("structure", "commune", "structure__commune"),
        "referent": Referent.objects.select_related("organisation"),
        "project": Project.objects.select_related("organisation"),
    }
    titles = {
        "structure": _("Structures"),
        "service": _("Services"),
        "referent": _("Referents"),
        "project": _("Projects and good practices"),
    }
    sections: list[dict[str, Any]] = []
    for kind, qs in querysets.items():
        if conditions is not None:
            # A subquery keeps the many-to-many conditions from duplicating rows.
            qs = qs.filter(pk__in=qs.model.objects.filter(conditions[kind]).values("pk"))
        # The stale ones (confirmed longest ago) first.
        entries = list(qs.order_by("confirmed_at", "pk")[: MY_ENTRIES_LIMIT + 1])
        sections.append(
            {
                "kind": kind,
                "title": titles[kind],
                "entries": entries[:MY_ENTRIES_LIMIT],
                "more": len(entries) > MY_ENTRIES_LIMIT,
            }
        )
    can_create = _can_create(request.user)
    return render(
        request,
        "directory/my_entries.html",
        {
            "sections": sections,
            "can_create": can_create,
            "limit": MY_ENTRIES_LIMIT,
            "stale_days": settings.DIRECTORY_STALE_DAYS,
        },
    )


_CONFIRM_KINDS: dict[str, type[Any]] = {
    "structure": Structure,
    "service": Service,
    "referent": Referent,
    "project": Project,
}


@require_POST
def entry_confirm(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _CONFIRM_KINDS.get(kind)
    if model is None:
        raise Http404
    entry = permissions.entry_get_for(request.user, model, pk, action="edit")
    services.entry_confirm(actor=request.user, entry=entry)
    messages.success(request, _("Thank you: “%(entry)s” is marked as still up to date.") % {"entry": entry})
    return redirect(_safe_next(request, reverse("directory:my_entries")))


@require_POST
def entry_deactivate(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Withdraw an entry from the public directory (it is kept, and journalled)."""
    model = _CONFIRM_KINDS.get(kind)
    if model is None:
        raise Http404
    entry = permissions.entry_get_for(request.user, model, pk, action="edit")
    services.entry_deactivate(actor=request.user, entry=entry)
    messages.success(request, _("“%(entry)s” no longer appears in the directory.") % {"entry": entry})
    return redirect("directory:my_entries")


# --- Members: forms ---------------------------------------------------------------------


def _form_options(user: Any) -> dict[str, Any]:
    """The organisations offered in the entry forms; administrators and coordinators may leave
    a structure without one (an entry of a body outside the network)."""
    access = access_for(user)
    return {
        "organisations": permissions.editable_organisations(user),
        "organisation_required": not (access.is_admin or access.coordinated_departments),
    }


def _require_editor(user: Any) -> None:
    if not permissions.editable_organisations(user).exists():
        raise Http404


def _entry_form(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[dict[str, Any]], Any],
    template_context: dict[str, Any],
    success_message: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            entry = save(form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success_message)
            return redirect(entry)
    return render(request, "directory/entry_form.html", {"form": form, **template_context})


def structure_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    options = _form_options(request.user)
    form = StructureForm(request.POST or None, **options)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.structure_create(actor=request.user, **data),
        template_context={"title": _("Add a structure"), "cancel_url": reverse("directory:my_entries")},
        success_message=_("The structure has been created."),
    )


def structure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    structure: Structure = permissions.entry_get_for(request.user, Structure, pk, action="edit")
    form = StructureForm(request.POST or None, instance=structure, **_form_options(request.user))
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.structure_update(actor=request.user, structure=structure, **data),
        template_context={
            "title": _("Edit the structure"),
            "entry": structure,
            "entry_kind": "structure",
            "cancel_url": structure.get_absolute_url(),
        },
        success_message=_("The structure has been saved."),
    )


def service_create(request: HttpRequest, pk: int) -> HttpResponse:
    structure: Structure = permissions.entry_get_for(request.user, Structure, pk, action="edit")
    form = ServiceForm(request.POST or None, instance=Service(structure=structure))
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.service_create(actor=request.user, structure=structure, **data),
        template_context={
            "title": _("Add a service"),
            "structure": structure,
            "cancel_url": structure.get_absolute_url(),
        },
        success_message=_("The service has been created."),
    )


def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service: Service = permissions.entry_get_for(request.user, Service, pk, action="edit")
    form = ServiceForm(request.POST or None, instance=service)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.service_update(actor=request.user, service=service, **data),
        template_context={
            "title": _("Edit the service"),
            "entry": service,
            "entry_kind": "service",
            "structure": service.structure,
            "cancel_url": service.get_absolute_url(),
        },
        success_message=_("The service has been saved."),
    )


def referent_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    options = {**_form_options(request.user), "organisation_required": True}
    form = ReferentForm(request.POST or None, **options)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.referent_create(actor=request.user, **data),
        template_context={"title": _("Add a referent"), "cancel_url": reverse("directory:referent_list")},
        success_message=_("The referent has been created."),
    )


def referent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referent: Referent = permissions.entry_get_for(request.user, Referent, pk, action="edit")
    options = {**_form_options(request.user), "organisation_required": True}
    form = ReferentForm(request.POST or None, instance=referent, **options)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.referent_update(actor=request.user, referent=referent, **data),
        template_context={
            "title": _("Edit the referent"),
            "entry": referent,
            "entry_kind": "referent",
            "cancel_url": reverse("directory:my_entries"),
        },
        success_message=_("The referent has been saved."),
    )


def project_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    options = {**_form_options(request.user), "organisation_required": True}
    form = ProjectForm(request.POST or None, **options)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.project_create(actor=request.user, **data),
        template_context={
            "title": _("Add a project or good practice"),
            "cancel_url": reverse("directory:project_list"),
        },
        success_message=_("The project has been created."),
    )


def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project: Project = permissions.entry_get_for(request.user, Project, pk, action="edit")
    options = {**_form_options(request.user), "organisation_required": True}
    form = ProjectForm(request.POST or None, instance=project, **options)
    return _entry_form(
        request,
        form=form,
        save=lambda data: services.project_update(actor=request.user, project=project, **data),
        template_context={
            "title": _("Edit the project"),
            "entry": project,
            "entry_kind": "project",
            "cancel_url": project.get_absolute_url(),
        },
        success_message=_("The project has been saved."),
    )
