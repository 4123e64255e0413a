"""JSON API of the living sites (mounted under ``/api/v1/``).

``GET /sites`` (filters ``department``, ``kind``, ``status``, ``light``, ``q``, as the list's
form; ``?limit=&offset=``, 20 by default, 100 at most, answering ``{"items", "count"}``),
``GET /sites/{id}``, ``POST /sites``, ``PATCH /sites/{id}``, ``GET /sites/{id}/updates`` and
``POST /sites/{id}/updates``.

The policy is ``permissions.py``: a site one may not see (or, to change it, edit; or, to
record an update, record one) answers 404 as a missing one; creating a site, or moving one, in
a department where one may not create sites answers 403. Writes go through
``services/sites.py``; their ``ValidationError`` answers 422 with the errors by field
(figures that do not add up, dates out of order…).

The legal procedure fields (``procedure``, ``procedure_decision``, ``procedure_decided_on``,
``procedure_deadline``) are neither shown nor accepted for the users who may not see the
procedure in the site's department (``can_see_procedure``): the keys are absent from the
answers (not null), and sending any of them answers 422 on those fields.

Figures: for users outside the State services (``figures_suppressed``), the counts read from
the API (a site's latest figures, its updates) go through small-cell suppression
(``core.suppression``): a count from 1 to threshold − 1 is null and named in ``suppressed``
(``"primary"``), and enough other counts are hidden (``"secondary"``) that no hidden count can
be computed exactly from the shown ones with the sums a reader knows: the five age bands add up
to the minors, and the nationalities to the people, where they do. Nationality and language
counts are hidden the same way (``"nationalities.RO": "primary"``). Each update is suppressed on
its own: see ``core.suppression`` for what is not guaranteed. The answer of
``POST /sites/{id}/updates`` gives back the figures just sent, unsuppressed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from maillage.core.suppression import Constraint, suppress
from maillage.organisations.models import Organisation
from maillage.territory.models import Commune

from . import permissions
from .enums import (
    FigureSource,
    LegalProcedure,
    Light,
    OwnerKind,
    Pests,
    Provision,
    Regularity,
    SiteKind,
    WaterAccess,
    WaterContinuity,
)
from .models import Site, SiteUpdate
from .selectors.sites import sites_for_list
from .services import sites as services
from .services.sites import BAND_FIELDS, CONDITION_FIELDS, FIGURE_FIELDS, PROCEDURE_FIELDS

router = Router(tags=["living sites"])

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
COUNT_FIELDS = ("nationalities", "languages")
CHAR_FIELDS = ("address", "owner_name", "procedure_decision", "notes", *CONDITION_FIELDS)

SUPPRESSION_NOTE = (
    " For users outside the State services, small counts are hidden (null) and named in `suppressed`: "
    "a count from 1 to the threshold minus one (SMALL_CELL_THRESHOLD, 5 by default) is `primary`; "
    "`secondary` counts are hidden so that no hidden count can be computed from the shown ones, the minors being "
    "the sum of their age bands and, where they add up, the people the sum of the nationalities."
)
PROCEDURE_NOTE = (
    " The legal procedure keys (`procedure`, `procedure_decision`, `procedure_decided_on`, "
    "`procedure_deadline`) are present only for users who may see the procedure in the site's department."
)


# --- Schemas ----------------------------------------------------------------------------


class SiteFilters(Schema):
    department: str = Field("", max_length=3, description="Code of a department, e.g. 59.")
    kind: SiteKind | None = None
    status: Literal["open", "closed", "all"] = Field("open", description="Open sites by default.")
    light: Light | None = Field(None, description="Summary of the living conditions of the latest update.")
    q: str = Field("", max_length=100, description="Part of the site's name or of its commune's name.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class Page(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class UpdateOut(Schema):
    id: int
    observed_on: date
    source: FigureSource
    people: int | None
    households: int | None
    minors: int | None
    minors_0_3: int | None
    minors_3_6: int | None
    minors_6_12: int | None
    minors_12_16: int | None
    minors_16_18: int | None
    children_in_school: int | None
    nationalities: dict[str, int | None]
    languages: dict[str, int | None]
    water_access: str
    water_distance_m: int | None
    water_continuity: str
    toilets: str
    showers: str
    electricity: str
    waste_collection: str
    pests: str
    fire_extinguishers: int | None
    fire_distances_ok: bool | None
    conditions_light: Light
    notes: str
    organisation: int | None
    suppressed: dict[str, str] = Field(
        ..., description='Hidden counts (null above) and why: {"minors_0_3": "primary", "minors_3_6": "secondary"}.'
    )


class SiteOut(Schema):
    id: int
    name: str
    kind: SiteKind
    status: str
    address: str
    commune: str = Field(..., description="INSEE code of the commune.")
    commune_name: str
    department: str
    latitude: float | None
    longitude: float | None
    outline: dict[str, Any] | None = Field(..., description="A GeoJSON Polygon geometry, or null.")
    owner_kind: OwnerKind
    owner_name: str
    opened_on: date | None
    known_since: date | None
    closed_on: date | None
    closure_reason: str
    organisation: int | None = Field(..., description="Id of the organisation following the site.")
    version: int
    updated_at: datetime
    latest_update: UpdateOut | None
    procedure: LegalProcedure | None = Field(None, description="Only for users who may see the legal procedure.")
    procedure_decision: str | None = Field(None, description="Only for users who may see the legal procedure.")
    procedure_decided_on: date | None = Field(None, description="Only for users who may see the legal procedure.")
    procedure_deadline: date | None = Field(None, description="Only for users who may see the legal procedure.")


class SiteWriteOut(SiteOut):
    warnings: list[str] = Field(..., description="E.g. a location outside the commune's department.")


class SiteList(Schema):
    items: list[SiteOut]
    count: int


class UpdateList(Schema):
    items: list[UpdateOut]
    count: int


def _coordinate(bound: float) -> Any:
    return Field(None, ge=-bound, le=bound, allow_inf_nan=False)


class SiteIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: SiteKind
    address: str = Field("", max_length=255)
    commune: str = Field(..., min_length=5, max_length=5, description="INSEE code of the commune.")
    latitude: float | None = _coordinate(90)
    longitude: float | None = _coordinate(180)
    outline: dict[str, Any] | None = Field(None, description="A GeoJSON Polygon geometry.")
    owner_kind: OwnerKind = OwnerKind.UNKNOWN
    owner_name: str = Field("", max_length=200)
    opened_on: date | None = None
    known_since: date | None = None
    organisation: int | None = Field(None, description="One of your organisations.")
    procedure: LegalProcedure | None = Field(None, description="Refused (422) without the right to see it.")
    procedure_decision: str | None = Field(None, max_length=255)
    procedure_decided_on: date | None = None
    procedure_deadline: date | None = None


class SitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: SiteKind | None = None
    address: str | None = Field(None, max_length=255)
    commune: str | None = Field(None, min_length=5, max_length=5)
    latitude: float | None = _coordinate(90)
    longitude: float | None = _coordinate(180)
    outline: dict[str, Any] | None = None
    owner_kind: OwnerKind | None = None
    owner_name: str | None = Field(None, max_length=200)
    opened_on: date | None = None
    known_since: date | None = None
    organisation: int | None = None
    procedure: LegalProcedure | None = None
    procedure_decision: str | None = Field(None, max_length=255)
    procedure_decided_on: date | None = None
    procedure_deadline: date | None = None
    version: int | None = Field(None, description="The version read; a stale one answers 422.")


def _count() -> Any:
    return Field(None, ge=0, le=100_000)


class UpdateIn(Schema):
    observed_on: date | None = Field(None, description="Today if omitted.")
    source: FigureSource
    people: int | None = _count()
    households: int | None = _count()
    minors: int | None = Field(None, ge=0, le=100_000, description="The sum of the age bands if omitted.")
    minors_0_3: int | None = _count()
    minors_3_6: int | None = _count()
    minors_6_12: int | None = _count()
    minors_12_16: int | None = _count()
    minors_16_18: int | None = _count()
    children_in_school: int | None = _count()
    nationalities: dict[str, int] = Field(default_factory=dict, description='Counts by ISO code: {"RO": 40}.')
    languages: dict[str, int] = Field(default_factory=dict, description='Counts by ISO 639 code: {"ro": 45}.')
    water_access: WaterAccess | None = None
    water_distance_m: int | None = Field(None, ge=0, le=100_000)
    water_continuity: WaterContinuity | None = None
    toilets: Provision | None = None
    showers: Provision | None = None
    electricity: Regularity | None = None
    waste_collection: Regularity | None = None
    pests: Pests | None = None
    fire_extinguishers: int | None = Field(None, ge=0, le=10_000)
    fire_distances_ok: bool | None = None
    notes: str = Field("", max_length=5000, description="No names here: figures and observations only.")
    organisation: int | None = Field(
        None, description="On behalf of which of your organisations (the first one if omitted)."
    )


# --- Serialisation ------------------------------------------------------------------------


def _sums(table: dict[str, int | None], update: SiteUpdate) -> list[Constraint[str]]:
    """The sums a reader can see among an update's counts, where they hold (a blank read as 0).

    Minors = the five age bands; people = the nationalities, when they add up to the people
    (the service accepts that, and less). Languages are not a sum: one person may speak several.
    """
    sums: list[Constraint[str]] = []
    minors = table["minors"]
    if minors is not None and minors == sum(table[band] or 0 for band in BAND_FIELDS):
        sums.append(Constraint("minors", BAND_FIELDS))
    nationalities = tuple(f"nationalities.{code}" for code in (update.nationalities or {}))
    people = table["people"]
    if nationalities and people is not None and people == sum(table[key] or 0 for key in nationalities):
        sums.append(Constraint("people", nationalities))
    return sums


def _update_out(update: SiteUpdate, *, hide: bool) -> dict[str, Any]:
    """The answer for an update; with ``hide``, its counts after small-cell suppression."""
    table: dict[str, int | None] = {name: getattr(update, name) for name in FIGURE_FIELDS}
    for name in COUNT_FIELDS:
        for code, value in (getattr(update, name) or {}).items():
            table[f"{name}.{code}"] = value if isinstance(value, int) else None
    values, suppressed = table, {}
    if hide:
        result = suppress(table, _sums(table, update))
        values, suppressed = result.values, {str(key): reason for key, reason in result.hidden.items()}
    return {
        "id": update.pk,
        "observed_on": update.observed_on,
        "source": update.source,
        **{name: values[name] for name in FIGURE_FIELDS},
        **{name: {code: values[f"{name}.{code}"] for code in (getattr(update, name) or {})} for name in COUNT_FIELDS},
        **{name: getattr(update, name) for name in CONDITION_FIELDS},
        "conditions_light": update.conditions_light or Light.UNKNOWN,
        "notes": update.notes,
        "organisation": update.organisation_id,
        "suppressed": suppressed,
    }


def _site_out(user: Any, site: Site, *, hide: bool) -> dict[str, Any]:
    """The answer for a site; the procedure keys only for those who may see them."""
    latest = site.latest_update
    out: dict[str, Any] = {
        "id": site.pk,
        "name": site.name,
        "kind": site.kind,
        "status": site.status,
        "address": site.address,
        "commune": site.commune_id,
        "commune_name": site.commune.name,
        "department": site.department_id,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "outline": site.outline,
        "owner_kind": site.owner_kind,
        "owner_name": site.owner_name,
        "opened_on": site.opened_on,
        "known_since": site.known_since,
        "closed_on": site.closed_on,
        "closure_reason": site.closure_reason,
        "organisation": site.organisation_id,
        "version": site.version,
        "updated_at": site.updated_at,
        "latest_update": _update_out(latest, hide=hide) if latest is not None else None,
    }
    if permissions.can_see_procedure(user, site):
        out.update({name: getattr(site, name) for name in PROCEDURE_FIELDS})
    return out


# --- Input --------------------------------------------------------------------------------


def _commune(code: str) -> Commune:
    commune = Commune.objects.filter(code=code).first()
    if commune is None:
        raise ValidationError({"commune": _("Unknown commune (give its INSEE code).")})
    return commune


def _organisation(user: Any, organisation_id: int | None, current: int | None = None) -> Organisation | None:
    if organisation_id is None:
        return None
    roles = permissions.site_scope(user).roles or {}
    allowed = {org for orgs in roles.values() for org in orgs} | ({current} if current else set())
    organisation = Organisation.objects.filter(pk=organisation_id).first() if organisation_id in allowed else None
    if organisation is None:
        raise ValidationError({"organisation": _("Choose one of your organisations.")})
    return organisation


def _site_data(user: Any, sent: dict[str, Any], current: Site | None) -> dict[str, Any]:
    data = dict(sent)
    for name in CHAR_FIELDS:
        if name in data and data[name] is None:
            data[name] = ""
    if "procedure" in data and data["procedure"] is None:
        data["procedure"] = LegalProcedure.NONE
    if "commune" in data:
        data["commune"] = _commune(data["commune"]) if data["commune"] is not None else None
        if data["commune"] is None:
            raise ValidationError({"commune": _("This field cannot be blank.")})
    if "organisation" in data:
        data["organisation"] = _organisation(
            user, data["organisation"], current.organisation_id if current is not None else None
        )
    return data


# --- Endpoints ----------------------------------------------------------------------------


@router.get(
    "/sites",
    response=SiteList,
    exclude_unset=True,
    description="The sites you may see, filtered as the list of sites, with their latest figures."
    + SUPPRESSION_NOTE
    + PROCEDURE_NOTE,
)
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> Any:
    user = request.user
    queryset = sites_for_list(
        user,
        department=filters.department or None,
        kind=filters.kind or None,
        status=None if filters.status == "all" else filters.status,
        light=filters.light or None,
        q=filters.q or None,
    )
    hide = permissions.figures_suppressed(user)
    items = [_site_out(user, site, hide=hide) for site in queryset[filters.offset : filters.offset + filters.limit]]
    return {"items": items, "count": queryset.count()}


@router.get(
    "/sites/{site_id}",
    response=SiteOut,
    exclude_unset=True,
    description="A site and its latest figures." + SUPPRESSION_NOTE + PROCEDURE_NOTE,
)
def get_site(request: HttpRequest, site_id: int) -> Any:
    site = permissions.site_get_for(request.user, site_id)
    return _site_out(request.user, site, hide=permissions.figures_suppressed(request.user))


@router.post(
    "/sites",
    response={201: SiteWriteOut},
    exclude_unset=True,
    description="Create a site in a department where you may create sites (403 elsewhere). "
    "`warnings` tells, e.g., that the location is outside the commune's department." + PROCEDURE_NOTE,
)
def create_site(request: HttpRequest, payload: SiteIn) -> Any:
    user = request.user
    data = _site_data(user, payload.dict(exclude_unset=True), None)
    commune: Commune = data["commune"]
    if not permissions.can_create_site(user, commune.department_id):
        raise PermissionDenied
    may_set = permissions.can_see_procedure(user, department_id=commune.department_id)
    site = services.site_create(actor=user, data=data, may_set_procedure=may_set)
    warnings = services.location_warnings(commune=commune, latitude=site.latitude, longitude=site.longitude)
    return Status(201, {**_site_out(user, site, hide=permissions.figures_suppressed(user)), "warnings": warnings})


@router.patch(
    "/sites/{site_id}",
    response=SiteWriteOut,
    exclude_unset=True,
    description="Change the fields sent. 404 for a site you may not edit; 403 to move it to a department "
    "where you may not create sites." + PROCEDURE_NOTE,
)
def update_site(request: HttpRequest, site_id: int, payload: SitePatch) -> Any:
    user = request.user
    site = permissions.site_get_for(user, site_id, edit=True)
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version", None)
    data = _site_data(user, sent, site)
    department = data["commune"].department_id if "commune" in data else site.department_id
    if department != site.department_id and not permissions.can_create_site(user, department):
        raise PermissionDenied
    may_set = permissions.can_see_procedure(user, department_id=department)
    saved = services.site_edit(actor=user, site=site, data=data, version=version, may_set_procedure=may_set)
    warnings = (
        services.location_warnings(commune=saved.commune, latitude=saved.latitude, longitude=saved.longitude)
        if {"commune", "latitude", "longitude"} & set(data)
        else []
    )
    return {**_site_out(user, saved, hide=permissions.figures_suppressed(user)), "warnings": warnings}


@router.get(
    "/sites/{site_id}/updates",
    response=UpdateList,
    exclude_unset=True,
    description="The dated observations of a site, the latest first." + SUPPRESSION_NOTE,
)
def list_updates(request: HttpRequest, site_id: int, page: Query[Page]) -> Any:
    user = request.user
    site = permissions.site_get_for(user, site_id)
    queryset = site.updates.order_by("-observed_on", "-pk")
    hide = permissions.figures_suppressed(user)
    items = [_update_out(update, hide=hide) for update in queryset[page.offset : page.offset + page.limit]]
    return {"items": items, "count": queryset.count()}


@router.post(
    "/sites/{site_id}/updates",
    response={201: UpdateOut},
    exclude_unset=True,
    description="Record a dated observation (population and living conditions) of an open site. "
    "Figures that do not add up answer 422 on their field. The answer gives back the figures sent.",
)
def create_update(request: HttpRequest, site_id: int, payload: UpdateIn) -> Any:
    user = request.user
    site = permissions.site_get_for(user, site_id)
    if not permissions.can_record_update(user, site):
        raise Http404
    services.site_status_check(site)
    data = payload.dict(exclude_unset=True)
    organisations = permissions.journal_organisations(user, site)
    organisation_id = data.pop("organisation", None)
    if organisation_id is None:
        organisation_id = organisations[0] if organisations else None
    elif organisation_id not in organisations:
        raise ValidationError({"organisation": _("Choose one of your organisations.")})
    for name in CHAR_FIELDS:
        if name in data and data[name] is None:
            data[name] = ""
    if data.get("observed_on", 0) is None:
        del data["observed_on"]
    update = services.site_update_record(actor=user, site=site, data=data, organisation_id=organisation_id)
    return Status(201, _update_out(update, hide=False))
