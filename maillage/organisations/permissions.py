"""Policy of the organisations app: may this user do X on this organisation?

Every view and API endpoint asks these functions; nothing else decides. The user's active
memberships are read once per request and cached on the user object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from .enums import TWO_FACTOR_ROLES, Role
from .models import Membership, Organisation

_CACHE_ATTR = "_maillage_access"


@dataclass(frozen=True)
class Access:
    """What a user is, across their active memberships."""

    is_admin: bool
    roles_by_org: dict[int, str]
    coordinated_departments: frozenset[str]

    def role_in(self, organisation_id: int | None) -> str | None:
        return self.roles_by_org.get(organisation_id) if organisation_id is not None else None


def access_for(user: Any) -> Access:
    if user is None or not user.is_authenticated:
        return Access(False, {}, frozenset())
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    memberships = list(
        Membership.objects.active()
        .filter(user=user)
        .values_list("organisation_id", "role", "organisation__departments__code")
    )
    roles_by_org: dict[int, str] = {}
    departments: set[str] = set()
    for org_id, role, department in memberships:
        roles_by_org[org_id] = role
        if role == Role.COORDINATOR and department:
            departments.add(department)
    is_admin = bool(user.is_superuser) or Role.ADMIN in roles_by_org.values()
    result = Access(is_admin, roles_by_org, frozenset(departments))
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_access(user: Any) -> None:
    """Drop the cached access (after a membership of this user changed)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_platform_admin(user: Any) -> bool:
    return access_for(user).is_admin


def requires_two_factor(user: Any) -> bool:
    access = access_for(user)
    return access.is_admin or any(role in TWO_FACTOR_ROLES for role in access.roles_by_org.values())


def _org_departments(organisation: Organisation) -> set[str]:
    cached = getattr(organisation, "_prefetched_objects_cache", {}).get("departments")
    if cached is not None:
        return {d.code for d in cached}
    return set(organisation.departments.values_list("code", flat=True))


def _coordinates(access: Access, organisation: Organisation) -> bool:
    return bool(access.coordinated_departments) and bool(
        access.coordinated_departments & _org_departments(organisation)
    )


# --- Actions ---------------------------------------------------------------------------


def can_view_organisation(user: Any, organisation: Organisation) -> bool:
    """Active organisations are known to every member of the network; inactive ones only
    to administrators and the coordinators of their territory (an inactive organisation's
    memberships give no right)."""
    access = access_for(user)
    if not user.is_authenticated:
        return False
    if organisation.is_active:
        return True
    return access.is_admin or organisation.pk in access.roles_by_org or _coordinates(access, organisation)


def can_create_organisation(user: Any) -> bool:
    access = access_for(user)
    return access.is_admin or bool(access.coordinated_departments)


def can_change_organisation(user: Any, organisation: Organisation) -> bool:
    access = access_for(user)
    if access.is_admin:
        return True
    if access.role_in(organisation.pk) in (Role.MANAGER, Role.COORDINATOR):
        return True
    return _coordinates(access, organisation)


def can_view_members(user: Any, organisation: Organisation) -> bool:
    access = access_for(user)
    return access.is_admin or organisation.pk in access.roles_by_org or _coordinates(access, organisation)


def can_manage_members(user: Any, organisation: Organisation) -> bool:
    return can_change_organisation(user, organisation)


def grantable_roles(user: Any, organisation: Organisation) -> list[str]:
    """Roles this user may give in this organisation: nobody grants more than they hold."""
    access = access_for(user)
    if access.is_admin:
        return list(Role.values)
    if not can_manage_members(user, organisation):
        return []
    if access.coordinated_departments and (
        _coordinates(access, organisation) or access.role_in(organisation.pk) == Role.COORDINATOR
    ):
        return [r for r in Role.values if r != Role.ADMIN]
    return [Role.MANAGER, Role.PROFESSIONAL, Role.VOLUNTEER, Role.PARTNER]


# --- Fetch-and-check helpers (a forbidden object answers like a missing one) ------------


def organisation_get_for(user: Any, pk: Any, *, action: str = "view") -> Organisation:
    checks = {
        "view": can_view_organisation,
        "change": can_change_organisation,
        "view_members": can_view_members,
        "manage_members": can_manage_members,
    }
    try:
        organisation = Organisation.objects.prefetch_related("departments").get(pk=int(pk))
    except (Organisation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not checks[action](user, organisation):
        raise Http404
    return organisation
