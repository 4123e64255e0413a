from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from maillage.organisations.permissions import access_for

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    organisation_id: int
    role: str


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    language: str
    is_platform_admin: bool
    memberships: list[MembershipOut]


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> Any:
    user: Any = request.user
    access = access_for(user)
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "is_platform_admin": access.is_admin,
        "memberships": [{"organisation_id": k, "role": v} for k, v in sorted(access.roles_by_org.items())],
    }
