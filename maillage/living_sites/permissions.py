"""Policy of the living sites: who sees and does what.

A site is seen by the members of the organisations working in its department
(``Organisation.departments``); platform administrators see every site. Within a department:

| role                  | see | record update, journal | edit site, actions, closure | legal procedure |
| --------------------- | --- | ---------------------- | --------------------------- | --------------- |
| coordinator           | yes | yes                    | yes                         | yes             |
| manager, professional | yes | yes                    | yes                         | State service or local auth. |
| volunteer / mediator  | yes | yes                    | no                          | no              |
| partner (read-only)   | yes | no                     | no                          | no              |

- The legal procedure fields (decision, dates) are neither shown nor accepted (pages, API,
  exports) for the others.
- Journal entries: "general" ones are read by everyone who sees the site; the other classes
  only by the members of the author's organisation whose role reads that class in Pathways
  (``pathways.permissions.CLASSES_BY_ROLE``).
- The households of a closure (references and solutions) are for the editors; the linked
  Pathways household's name is shown only if Pathways' own policy lets the user see it.
- The households living on a site are listed through ``pathways.permissions.households_visible_to``.
  In Pathways, a household or a visit is put on an open site the user sees
  (``sites_choosable_by``, ``living_site_errors``).
- Figures that leave the platform (CSV/XLSX exports, the API) go through small-cell suppression
  (``core.suppression``) unless the user is a member (not read-only) of a State service
  (``figures_suppressed``). Pages show the figures to those who may see the site.

Views never decide themselves: they call ``site_get_for`` (404 for a forbidden site, exactly as
for a missing one) and the ``can_*`` functions below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from maillage.organisations.enums import OrganisationKind, Role
from maillage.organisations.models import Membership
from maillage.pathways.permissions import CLASSES_BY_ROLE

from .enums import SiteStatus
from .models import Site, SiteAction, SiteJournalEntry

EDITING_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER, Role.PROFESSIONAL})
FIELD_ROLES = EDITING_ROLES | {Role.VOLUNTEER}
PROCEDURE_ORG_KINDS = frozenset({OrganisationKind.STATE_SERVICE, OrganisationKind.LOCAL_AUTHORITY})
_CACHE_ATTR = "_maillage_site_scope"


@dataclass(frozen=True)
class SiteScope:
    """A user's reach over sites, read once per request (one query) and cached on the user."""

    is_admin: bool = False
    # department code -> {organisation id: role}
    roles: dict[str, dict[int, str]] | None = None
    procedure_departments: frozenset[str] = frozenset()
    state_service: bool = False

    def roles_in(self, department: str) -> dict[int, str]:
        return (self.roles or {}).get(department, {})

    @property
    def departments(self) -> frozenset[str]:
        return frozenset(self.roles or {})


def site_scope(user: Any) -> SiteScope:
    if user is None or not user.is_authenticated:
        return SiteScope()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = (
        Membership.objects.active()
        .filter(user=user)
        .values_list("organisation_id", "role", "organisation__kind", "organisation__departments__code")
    )
    roles: dict[str, dict[int, str]] = {}
    procedure: set[str] = set()
    state_service = False
    is_admin = bool(user.is_superuser)
    for org_id, role, kind, department in rows:
        if role == Role.ADMIN:
            is_admin = True
        if kind == OrganisationKind.STATE_SERVICE and role != Role.PARTNER:
            state_service = True
        if not department:
            continue
        roles.setdefault(department, {})[org_id] = role
        if role == Role.COORDINATOR or (kind in PROCEDURE_ORG_KINDS and role in EDITING_ROLES):
            procedure.add(department)
    scope = SiteScope(is_admin, roles, frozenset(procedure), state_service)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def sites_visible_to(user: Any) -> QuerySet[Site]:
    scope = site_scope(user)
    if scope.is_admin:
        return Site.objects.all()
    return Site.objects.filter(department_id__in=scope.departments)


def sites_choosable_by(user: Any) -> QuerySet[Site]:
    """The sites a user may give, in Pathways, as where a household lives or a visit takes
    place: the open sites they see."""
    return sites_visible_to(user).filter(status=SiteStatus.OPEN)


def living_site_errors(user: Any, site_id: int | None, *, kept_id: int | None = None) -> dict[str, str]:
    """Pathways' check of a household's or a visit's living site (keyed ``living_site``): an
    open site the user sees. A site kept unchanged (``kept_id``) stays, even if it closed since
    or is out of the user's reach."""
    if site_id is None or site_id == kept_id:
        return {}
    if not sites_choosable_by(user).filter(pk=site_id).exists():
        return {"living_site": _("Choose an open living site among those you see.")}
    return {}


def site_get_for(user: Any, pk: Any, *, edit: bool = False) -> Site:
    """The site, or 404 if it is missing or the user may not see (or, with ``edit``, edit) it."""
    try:
        site = sites_visible_to(user).select_related("commune", "department", "organisation").get(pk=int(pk))
    except (Site.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if edit and not can_edit_site(user, site):
        raise Http404
    return site


def _has_role(user: Any, department_id: str, allowed: frozenset[str]) -> bool:
    return any(role in allowed for role in site_scope(user).roles_in(department_id).values())


def departments_editable_by(user: Any) -> list[str]:
    """Departments where the user may create sites and actions."""
    scope = site_scope(user)
    return sorted(d for d, orgs in (scope.roles or {}).items() if any(r in EDITING_ROLES for r in orgs.values()))


def can_create_site(user: Any, department_id: str) -> bool:
    return _has_role(user, department_id, EDITING_ROLES)


def can_edit_site(user: Any, site: Site) -> bool:
    return _has_role(user, site.department_id, EDITING_ROLES)


def can_record_update(user: Any, site: Site) -> bool:
    return _has_role(user, site.department_id, FIELD_ROLES)


def can_see_procedure(user: Any, site: Site | None = None, *, department_id: str | None = None) -> bool:
    department = site.department_id if site is not None else department_id
    return department in site_scope(user).procedure_departments


def journal_organisations(user: Any, site: Site) -> list[int]:
    """The user's organisations (in the site's department) in whose name they may write."""
    return sorted(org for org, role in site_scope(user).roles_in(site.department_id).items() if role in FIELD_ROLES)


def journal_classes(user: Any, site: Site, organisation_id: int) -> frozenset[str]:
    """The classes the user may read (and write) for the entries of this organisation."""
    role = site_scope(user).roles_in(site.department_id).get(organisation_id)
    if role == Role.COORDINATOR:
        return CLASSES_BY_ROLE[Role.MANAGER]
    return CLASSES_BY_ROLE.get(role, frozenset()) if role else frozenset()


def journal_visible_to(user: Any, site: Site) -> QuerySet[SiteJournalEntry]:
    condition = Q(sensitivity="general")
    for org_id in site_scope(user).roles_in(site.department_id):
        classes = journal_classes(user, site, org_id)
        if classes:
            condition |= Q(organisation_id=org_id, sensitivity__in=sorted(classes))
    return site.journal.filter(condition)


def can_manage_closure(user: Any, site: Site) -> bool:
    """Prepare or record a closure, and see its households and their solutions."""
    return can_edit_site(user, site)


def can_edit_action(user: Any, action: SiteAction) -> bool:
    roles = site_scope(user).roles_in(action.department_id)
    return roles.get(action.lead_organisation_id) in EDITING_ROLES or Role.COORDINATOR in roles.values()


def actions_visible_to(user: Any) -> QuerySet[SiteAction]:
    scope = site_scope(user)
    if scope.is_admin:
        return SiteAction.objects.all()
    return SiteAction.objects.filter(department_id__in=scope.departments)


def figures_suppressed(user: Any) -> bool:
    """Do the figures this user exports (files, API) go through small-cell suppression?"""
    return not site_scope(user).state_service
