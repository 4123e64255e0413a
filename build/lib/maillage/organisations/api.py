from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from . import permissions, selectors, services
from .enums import OrganisationKind, Role

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    id: int
    name: str
    acronym: str
    kind: OrganisationKind
    siret: str
    address: str
    commune: str | None = Field(None, alias="commune_id")
    departments: list[str]
    email: str
    phone: str
    website: str
    is_active: bool

    @staticmethod
    def resolve_departments(obj: Any) -> list[str]:
        return sorted(d.code for d in obj.departments.all())


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    acronym: str = Field("", max_length=30)
    kind: OrganisationKind
    siret: str = Field("", max_length=14)
    address: str = Field("", max_length=250)
    commune: str | None = Field(None, max_length=5)
    departments: list[str] = Field(default_factory=list, max_length=120)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    website: str = Field("", max_length=200)


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    acronym: str | None = Field(None, max_length=30)
    kind: OrganisationKind | None = None
    siret: str | None = Field(None, max_length=14)
    address: str | None = Field(None, max_length=250)
    commune: str | None = Field(None, max_length=5)
    departments: list[str] | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=30)
    website: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class MemberOut(Schema):
    id: int
    user_id: int
    email: str = Field(..., alias="user.email")
    name: str = Field(..., alias="user.get_full_name")
    role: Role
    is_active: bool


class OrganisationFilters(Schema):
    search: str = Field("", max_length=100)
    kind: OrganisationKind | None = None
    department: str = Field("", max_length=3)


@router.get("/organisations", response=list[OrganisationOut])
@paginate(LimitOffsetPagination)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> Any:
    return selectors.organisation_list(
        user=request.user, search=filters.search, kind=filters.kind or "", department=filters.department
    )


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: int) -> Any:
    return permissions.organisation_get_for(request.user, organisation_id)


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Any:
    if not permissions.can_create_organisation(request.user):
        raise Http404
    organisation = services.organisation_create(actor=request.user, **payload.dict())
    return Status(201, organisation)


@router.patch("/organisations/{organisation_id}", response=OrganisationOut)
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch) -> Any:
    organisation = permissions.organisation_get_for(request.user, organisation_id, action="change")
    return services.organisation_update(
        actor=request.user, organisation=organisation, **payload.dict(exclude_unset=True)
    )


@router.get("/organisations/{organisation_id}/members", response=list[MemberOut])
@paginate(LimitOffsetPagination)
def list_members(request: HttpRequest, organisation_id: int) -> Any:
    organisation = permissions.organisation_get_for(request.user, organisation_id, action="view_members")
    return selectors.member_list(organisation=organisation)
