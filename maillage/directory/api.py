"""Public search API of the directory (mounted under ``/api/v1/``).

``GET /services`` and ``GET /structures`` search the active entries (see ``selectors`` for
the text search, the point, the radius and ``open_now``); ``GET /services/{id}`` gives one
active service. They answer anonymous visitors (``auth=None``); a logged-in editor also sees
their inactive services through the detail endpoint, as on the web pages.

Lists are paginated by page number, ``?page=`` (from 1) and ``?page_size=`` (20 by default,
100 at most), and answer ``{"count": N, "items": [...]}``; a page past the end is empty.
Repeatable filters are given as repeated parameters (``?thematique=a&thematique=b``) and
match entries having any of the values. Unknown values, a radius without a point or out of
(0, 200] km, a half point and an unknown commune answer 422 ``validation_error``.
Each list is a fixed number of queries, whatever the number of results: the page's ids with
the total, then those entries with their structure (plus one for a text, one more to correct
a misspelt one, one for the commune's centroid, one for ``open_now``).
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch
from ninja import Field, Query, Router, Schema
from pydantic import ValidationInfo, field_validator

from . import enums, permissions
from .models import Service
from .selectors import MAX_RADIUS_KM, SearchFilters, service_search_page, structure_search_page

router = Router(tags=["directory"])

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


# --- Parameters --------------------------------------------------------------------------


class PlaceQuery(Schema):
    q: str = Field("", description="Words to look for; typos, accents and plurals are tolerated.")
    commune: str = Field(
        "", max_length=5, description="INSEE code of a commune: its centroid is the point of the search."
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="Latitude of the point.")
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="Longitude of the point.")
    radius_km: float | None = Field(
        None, gt=0, le=MAX_RADIUS_KM, allow_inf_nan=False, description="Only entries within this distance of the point."
    )
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _values(choices: list[tuple[str, Any]]) -> list[str]:
    return [str(value) for value, _label in choices]


VOCABULARIES = {
    "thematique": _values(enums.THEMATIQUE_CHOICES),
    "public": _values(enums.PUBLIC_CHOICES),
    "language": _values(enums.LANGUAGE_CHOICES),
    "mode": _values(enums.MODE_ACCUEIL_CHOICES),
    "kind": _values(enums.ServiceKind.choices),
}


def _repeatable(name: str, description: str) -> Any:
    items: dict[str, Any] = {"type": "string", "enum": VOCABULARIES[name]}
    return Field(
        default_factory=list,
        description=f"{description} Repeat the parameter for several values (any of them matches).",
        json_schema_extra={"items": items},
    )


class ServiceQuery(PlaceQuery):
    thematique: list[str] = _repeatable("thematique", "data·inclusion themes.")
    public: list[str] = _repeatable("public", "data·inclusion publics; services for everyone always match.")
    free: bool = Field(False, description="Only free services.")
    language: list[str] = _repeatable("language", "Languages spoken.")
    mode: list[str] = _repeatable("mode", "Modes of reception.")
    open_now: bool = Field(False, description="Only services open at this moment (their own or structure's hours).")
    kind: str = Field("", json_schema_extra={"enum": ["", *VOCABULARIES["kind"]]})
    structure: int | None = Field(None, ge=1, le=2**63 - 1, description="Only the services of this structure.")

    @field_validator("thematique", "public", "language", "mode")
    @classmethod
    def known_values(cls, values: list[str], info: ValidationInfo) -> list[str]:
        known = VOCABULARIES[str(info.field_name)]
        unknown = [value for value in values if value not in known]
        if unknown:
            raise ValueError(f"Unknown value(s): {', '.join(unknown)}"[:300])
        return values

    @field_validator("kind")
    @classmethod
    def known_kind(cls, value: str) -> str:
        if value and value not in VOCABULARIES["kind"]:
            raise ValueError(f"Unknown kind: {value}"[:300])
        return value


def _point(params: PlaceQuery) -> dict[str, Any]:
    return {
        "q": params.q,
        "commune": params.commune.strip(),
        "lat": params.lat,
        "lon": params.lon,
        "radius_km": params.radius_km,
    }


# --- Answers -----------------------------------------------------------------------------


class StructureRef(Schema):
    id: int
    name: str


class ServiceItem(Schema):
    id: int
    name: str
    structure: StructureRef
    thematiques: list[str]
    commune: str | None
    lat: float | None
    lon: float | None
    distance_km: float | None


class ServiceList(Schema):
    count: int
    items: list[ServiceItem]


class StructureItem(Schema):
    id: int
    name: str
    commune: str | None
    lat: float | None
    lon: float | None
    distance_km: float | None
    services_count: int


class StructureList(Schema):
    count: int
    items: list[StructureItem]


class ServiceDetail(ServiceItem):
    kind: str
    description: str
    types: list[str]
    publics: list[str]
    publics_details: str
    access_conditions: str
    fees: str
    fees_details: str
    reception_modes: list[str]
    referral_modes: list[str]
    referral_by: list[str]
    referral_details: str
    referral_url: str
    languages: list[str]
    interpreters: bool
    eligibility_zone: list[str]
    address: str
    address_complement: str
    postal_code: str
    phone: str
    email: str
    opening_hours: str
    course_type: str
    levels: list[str]
    schedule: str
    childcare: bool
    source: str
    source_url: str
    confirmed_at: datetime
    is_stale: bool
    url: str | None = Field(None, description="Page of the service on the site.")


# What ``_service_item`` reads: the list loads only these columns of its page's services.
ITEM_FIELDS = (
    "name",
    "thematiques",
    "commune_id",
    "latitude",
    "longitude",
    "structure__name",
    "structure__commune_id",
    "structure__latitude",
    "structure__longitude",
)


def _service_item(service: Service) -> dict[str, Any]:
    structure = service.structure
    return {
        "id": service.pk,
        "name": service.name,
        "structure": {"id": structure.pk, "name": structure.name},
        "thematiques": service.thematiques,
        "commune": service.commune_id or structure.commune_id,
        "lat": service.effective_latitude,
        "lon": service.effective_longitude,
        "distance_km": getattr(service, "distance_km", None),
    }


# --- Endpoints ---------------------------------------------------------------------------


@router.get("/services", response=ServiceList, auth=None, summary="Search services")
def list_services(request: HttpRequest, params: Query[ServiceQuery]) -> dict[str, Any]:
    """Active services of active structures, the most relevant first, then the nearest."""
    filters = SearchFilters(
        **_point(params),
        thematiques=list(params.thematique),
        publics=list(params.public),
        free=params.free,
        languages=list(params.language),
        reception_modes=list(params.mode),
        open_now=params.open_now,
        kind=params.kind,
        structure=params.structure,
    )
    result = service_search_page(
        filters=filters, page=params.page, page_size=params.page_size, user=request.user, only=ITEM_FIELDS
    )
    return {"count": result.count, "items": [_service_item(service) for service in result.items]}


@router.get("/structures", response=StructureList, auth=None, summary="Search structures")
def list_structures(request: HttpRequest, params: Query[PlaceQuery]) -> dict[str, Any]:
    """Active structures, the most relevant first, then the nearest.

    ``q`` finds the structures through their active services, whose text holds the
    structure's name and commune and what they offer.
    """
    result = structure_search_page(
        filters=SearchFilters(**_point(params)), page=params.page, page_size=params.page_size, user=request.user
    )
    items = [
        {
            "id": structure.pk,
            "name": structure.name,
            "commune": structure.commune_id,
            "lat": structure.latitude,
            "lon": structure.longitude,
            "distance_km": structure.distance_km,
            "services_count": structure.services_count,
        }
        for structure in result.items
    ]
    return {"count": result.count, "items": items}


@router.get("/services/{service_id}", response=ServiceDetail, auth=None, summary="One service")
def get_service(request: HttpRequest, service_id: int) -> dict[str, Any]:
    """An active service of an active structure (404 otherwise, as for a missing one)."""
    service: Service = permissions.entry_get_for(request.user, Service, service_id)
    data = {name: getattr(service, name) for name in ServiceDetail.model_fields if name not in _COMPUTED}
    try:
        url: str | None = request.build_absolute_uri(service.get_absolute_url())
    except NoReverseMatch:  # the directory's pages are not mounted
        url = None
    return {**data, **_service_item(service), "url": url}


_COMPUTED = {*ServiceItem.model_fields, "url"}
