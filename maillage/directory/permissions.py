"""Policy of the directory.

Active entries are public. An entry is edited by the members (manager, professional or
coordinator) of the organisation in charge of it, by the coordinators of its territory and
by administrators.
Referents' contact details are shown only to logged-in members of the network.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from maillage.organisations.enums import Role
from maillage.organisations.models import Organisation
from maillage.organisations.permissions import access_for

from .models import Project, Referent, Service, Structure

EDITOR_ROLES = frozenset({Role.MANAGER, Role.PROFESSIONAL, Role.COORDINATOR})

Entry = Structure | Service | Referent | Project


def _owner_id(entry: Entry) -> int | None:
    if isinstance(entry, Service):
        return entry.structure.organisation_id
    return entry.organisation_id


def _departments(entry: Entry) -> set[str]:
    if isinstance(entry, Service):
        commune = entry.commune or entry.structure.commune
        return {commune.department_id} if commune else set()
    if isinstance(entry, Structure):
        return {entry.commune.department_id} if entry.commune else set()
    return {d.code for d in entry.departments.all()}


def can_edit_entry(user: Any, entry: Entry) -> bool:
    access = access_for(user)
    if access.is_admin:
        return True
    if access.role_in(_owner_id(entry)) in EDITOR_ROLES:
        return True
    return bool(access.coordinated_departments & _departments(entry))


def can_view_entry(user: Any, entry: Entry) -> bool:
    """Active entries are public; inactive ones only for those who may edit them."""
    if entry.is_active and (not isinstance(entry, Service) or entry.structure.is_active):
        return True
    return can_edit_entry(user, entry)


def can_see_referent_contacts(user: Any) -> bool:
    return bool(user.is_authenticated and access_for(user).roles_by_org)


def editable_organisations(user: Any) -> models.QuerySet[Organisation]:
    """Organisations for which the user may add directory entries."""
    access = access_for(user)
    qs = Organisation.objects.active()
    if access.is_admin:
        return qs
    own = [org_id for org_id, role in access.roles_by_org.items() if role in EDITOR_ROLES]
    return qs.filter(models.Q(pk__in=own) | models.Q(departments__code__in=access.coordinated_departments)).distinct()


def can_import(user: Any) -> bool:
    access = access_for(user)
    return access.is_admin or bool(access.coordinated_departments)


_QUERYSETS: dict[type, Any] = {
    Structure: lambda: Structure.objects.select_related("commune", "organisation"),
    Service: lambda: Service.objects.select_related("structure__commune", "structure__organisation", "commune"),
    Referent: lambda: Referent.objects.select_related("organisation", "structure").prefetch_related("departments"),
    Project: lambda: Project.objects.select_related("organisation").prefetch_related("departments"),
}


def entry_get_for(user: Any, model: type[Entry], pk: Any, *, action: str = "view") -> Any:
    """Fetch an entry and check the user may ``view`` or ``edit`` it; 404 otherwise, like a missing one."""
    try:
        entry = _QUERYSETS[model]().get(pk=int(pk))
    except (ObjectDoesNotExist, TypeError, ValueError):
        raise Http404 from None
    allowed = can_edit_entry(user, entry) if action == "edit" else can_view_entry(user, entry)
    if not allowed:
        raise Http404
    return entry
