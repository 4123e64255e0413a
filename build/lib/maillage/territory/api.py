"""Public read-only API of the territory referential (mounted under ``/api/v1/``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from maillage.territory.models import Department, Region
from maillage.territory.selectors import commune_search

router = Router(tags=["territory"])


class CommuneOut(Schema):
    code: str
    name: str
    department: str
    postal_codes: list[str]
    lat: float | None
    lon: float | None
    population: int | None
    coordinates_approximate: bool


class CommuneList(Schema):
    count: int
    items: list[CommuneOut]


class DepartmentOut(Schema):
    code: str
    name: str
    region: str


class RegionOut(Schema):
    code: str
    name: str


@router.get("/communes", response=CommuneList, auth=None, summary="Search communes")
def list_communes(
    request: HttpRequest,
    search: str = Query(..., min_length=1, max_length=100),  # noqa: B008
    department: str | None = Query(None, max_length=3),  # noqa: B008
    limit: int = Query(20, ge=1, le=100),  # noqa: B008
    offset: int = Query(0, ge=0),  # noqa: B008
) -> dict[str, object]:
    """Communes matching a name (accents, case and small typos tolerated) or a postal code."""
    communes = commune_search(query=search)
    if department:
        communes = communes.filter(department_id=department.strip().upper())
    count = communes.count()
    page = communes[offset : offset + limit] if offset < count else []
    items = [
        {
            "code": c.code,
            "name": c.name,
            "department": c.department_id,
            "postal_codes": c.postal_codes,
            "lat": c.latitude,
            "lon": c.longitude,
            "population": c.population,
            "coordinates_approximate": c.coordinates_approximate,
        }
        for c in page
    ]
    return {"count": count, "items": items}


@router.get("/departments", response=list[DepartmentOut], auth=None, summary="List departments")
def list_departments(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"code": code, "name": name, "region": region}
        for code, name, region in Department.objects.order_by("code").values_list("code", "name", "region_id")
    ]


@router.get("/regions", response=list[RegionOut], auth=None, summary="List regions")
def list_regions(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in Region.objects.order_by("code").values_list("code", "name")]
