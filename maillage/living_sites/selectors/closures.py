"""Reads of closures: the shares of households with a solution, the site page's section and
the closure page's rows.

The counts (households, people, per solution) are figures: everyone who sees the site sees
them. The rows (references, solutions, links to Pathways) are for ``can_manage_closure``; a
linked household's name only for those Pathways lets see it
(``pathways.selectors.identity_visible_households``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from maillage.pathways.selectors import identity_visible_households

from ..enums import SOLUTIONS_FOUND, Solution
from ..models import Closure, ClosureHousehold, Site
from ..permissions import can_manage_closure

FOUND = sorted(str(s) for s in SOLUTIONS_FOUND)


def solution_aggregates(prefix: str = "") -> dict[str, Any]:
    """Aggregates of ``ClosureHousehold`` rows (reached through ``prefix``, e.g.
    ``"closure__households__"``): households and people, in all, per solution and with a
    solution. Used by ``closure_shares`` and ``indicators.closure_solution_totals``; read their
    result with ``shares_from``."""
    pk, people, solution = f"{prefix}pk" if prefix else "pk", f"{prefix}people", f"{prefix}solution"
    found = Q(**{f"{solution}__in": FOUND})
    aggregates: dict[str, Any] = {
        "n_households": Count(pk),
        "n_people": Sum(people),
        "n_with_solution": Count(pk, filter=found),
        "n_people_with_solution": Sum(people, filter=found),
    }
    for value in Solution.values:
        aggregates[f"n_households_{value}"] = Count(pk, filter=Q(**{solution: value}))
        aggregates[f"n_people_{value}"] = Sum(people, filter=Q(**{solution: value}))
    return aggregates


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def shares_from(row: dict[str, Any]) -> dict[str, Any]:
    """The result of ``solution_aggregates`` shaped for the pages and the indicators:

    ``households``, ``people`` (people of the rows whose count is known), ``with_solution``,
    ``people_with_solution``, ``share`` and ``people_share`` (percent with one decimal, None
    when there is nothing to divide), ``by_solution``: a list of ``{"solution", "label",
    "households", "people", "found"}`` in the order of ``Solution``.
    """
    households = row.get("n_households") or 0
    people = row.get("n_people") or 0
    with_solution = row.get("n_with_solution") or 0
    people_with_solution = row.get("n_people_with_solution") or 0
    return {
        "households": households,
        "people": people,
        "with_solution": with_solution,
        "people_with_solution": people_with_solution,
        "share": _percent(with_solution, households),
        "people_share": _percent(people_with_solution, people),
        "by_solution": [
            {
                "solution": value,
                "label": label,
                "households": row.get(f"n_households_{value}") or 0,
                "people": row.get(f"n_people_{value}") or 0,
                "found": value in SOLUTIONS_FOUND,
            }
            for value, label in Solution.choices
        ],
    }


def _shares(rows: QuerySet[ClosureHousehold]) -> dict[str, Any]:
    return shares_from(rows.aggregate(**solution_aggregates()))


def closure_shares(closure: Closure | None) -> dict[str, Any]:
    """Households and people of a closure, per solution, and the share with a solution
    (``enums.SOLUTIONS_FOUND``; "unknown" is none). One query (none without a closure).
    See ``shares_from`` for the keys."""
    if closure is None or closure.pk is None:
        return shares_from({})
    return _shares(ClosureHousehold.objects.filter(closure=closure))


def closures_context(user: Any, site: Site) -> dict[str, Any]:
    """The site page's section: the closure's status, its counts per solution and the share
    with a solution (for everyone who sees the site), the link to the closure page for
    ``can_manage_closure``. Two queries."""
    closure = Closure.objects.filter(site=site).first()
    shares = _shares(ClosureHousehold.objects.filter(closure__site=site))
    return {
        "closure_section": {
            "closure": closure,
            "shares": shares,
            "can_manage": can_manage_closure(user, site),
        }
    }


def closure_rows(user: Any, closure: Closure | None) -> list[ClosureHousehold]:
    """The households of a closure, each with ``linked_name`` (the Pathways household's name
    when the user may see it, else None) and ``linked_organisation``. Two queries."""
    if closure is None:
        return []
    rows = list(closure.households.select_related("household__organisation").order_by("label", "pk"))
    named = set(identity_visible_households(user).filter(closures__closure=closure).values_list("pk", flat=True))
    for row in rows:
        household = row.household
        row.linked_name = household.name if household is not None and household.pk in named else None  # type: ignore[attr-defined]
        row.linked_organisation = household.organisation if household is not None else None  # type: ignore[attr-defined]
    return rows
