"""Policy of the Indicators module.

Indicators are counts and rates per territory, never about a person. Every logged-in member
of an organisation (and the platform administrators) reads the dashboards, the catalogue and
the archived reviews of every territory. What leaves the State services is suppressed
(``core.suppression``): a user who is not a member of a State service with a role above
read-only (``figures_suppressed``) sees and exports small counts hidden, on the pages too;
the annual reviews and the open-data export are always suppressed (they are published).

Who enters values and who coordinates (locks and reopens periods, writes and generates the
annual reviews):

- coordinators: enter values for the territories of their departments; coordinate the
  territories all of whose departments they coordinate;
- managers and professionals: enter values in their organisation's name, in its departments;
- volunteers, read-only partners and platform administrators: neither.
"""

from __future__ import annotations

from typing import Any

from maillage.living_sites.permissions import figures_suppressed as _sites_figures_suppressed
from maillage.living_sites.permissions import site_scope
from maillage.organisations.enums import Role
from maillage.organisations.permissions import access_for

from .territories import Territory

ENTRY_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER, Role.PROFESSIONAL})


def can_view_indicators(user: Any) -> bool:
    scope = site_scope(user)
    return scope.is_admin or bool(access_for(user).roles_by_org)


def figures_suppressed(user: Any) -> bool:
    """Are the figures this user sees or exports suppressed? (Same rule as the living sites.)"""
    return _sites_figures_suppressed(user)


def entry_organisations(user: Any) -> dict[int, set[str]]:
    """The organisations in whose name the user enters values, with their departments."""
    scope = site_scope(user)
    result: dict[int, set[str]] = {}
    for department, roles in (scope.roles or {}).items():
        for organisation_id, role in roles.items():
            if role in ENTRY_ROLES:
                result.setdefault(organisation_id, set()).add(department)
    return result


def can_enter_value(user: Any, organisation_id: int, territory: Territory) -> bool:
    departments = entry_organisations(user).get(organisation_id)
    if not departments:
        return False
    covered = territory.department_codes()
    return bool(covered) and covered <= departments


def can_coordinate(user: Any, territory: Territory) -> bool:
    """Lock and reopen periods, write and generate the territory's review."""
    coordinated = access_for(user).coordinated_departments
    covered = territory.department_codes()
    return bool(coordinated) and bool(covered) and covered <= coordinated
