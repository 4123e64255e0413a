"""Reads exposed to the Indicators module (it calls these; the Living sites module has no other
contract with it).

They return plain figures (counts, sums), aggregated in SQL, never a person nor a household's
name, and they apply no policy: the caller decides who sees which department, and applies
small-cell suppression (``core.suppression``) to what leaves the platform. Each function runs
a fixed small number of queries (written in its docstring), whatever the number of sites.

``department`` is a department code ("59"); None means every department.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Min, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from .enums import SiteStatus
from .models import ActionFunding, ActionIndicator, Site, SiteAction, SiteUpdate
from .selectors.actions import running_in
from .selectors.closures import shares_from, solution_aggregates

FIGURES = ("people", "households", "minors", "children_in_school")


def site_figures(*, on: date, department: str | None = None) -> list[dict[str, Any]]:
    """Open sites on the date ``on``, and their population, per department. One query.

    A site is open on ``on`` when it had settled (``opened_on``, or ``known_since`` when the
    settlement date is unknown; a site with neither counts from the day it was recorded) on or
    before ``on``, and was not closed before ``on`` (a site closed on ``on`` still counts; a
    site marked closed without a date never counts). Its figures are those of its latest
    update observed on or before ``on`` (later updates are ignored); a figure left empty in
    that update counts as nothing.

    Returns one row per department having at least one open site, ordered by code::

        {"department": "59", "sites": 12, "sites_with_figures": 10,
         "people": 640, "households": 150, "minors": 260, "children_in_school": 120}

    ``sites_with_figures``: the open sites having an update on or before ``on``. The sums are
    0 when no site has figures.
    """
    site_table = Site._meta.db_table
    update_table = SiteUpdate._meta.db_table
    params: list[Any] = [on]
    department_filter = ""
    if department:
        department_filter = "AND s.department_id = %s"
        params.append(department)
    params += [settings.TIME_ZONE, on, on]
    figures = ", ".join(f"COALESCE(SUM(l.{name}), 0) AS {name}" for name in FIGURES)
    latest_columns = ", ".join(f"u.{name}" for name in FIGURES)
    sql = f"""
        WITH latest AS (
            SELECT DISTINCT ON (u.site_id) u.site_id, {latest_columns}
            FROM {update_table} u
            WHERE u.observed_on <= %s
            ORDER BY u.site_id, u.observed_on DESC, u.id DESC
        )
        SELECT s.department_id, COUNT(s.id), COUNT(l.site_id), {figures}
        FROM {site_table} s
        LEFT JOIN latest l ON l.site_id = s.id
        WHERE TRUE {department_filter}
          AND COALESCE(s.opened_on, s.known_since, (s.created_at AT TIME ZONE %s)::date) <= %s
          AND (s.closed_on IS NULL OR s.closed_on >= %s)
          AND NOT (s.status = '{SiteStatus.CLOSED.value}' AND s.closed_on IS NULL)
        GROUP BY s.department_id
        ORDER BY s.department_id
    """  # noqa: S608 (table names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "department": row[0],
            "sites": row[1],
            "sites_with_figures": row[2],
            **{name: int(value) for name, value in zip(FIGURES, row[3:], strict=True)},
        }
        for row in rows
    ]


def action_indicator_totals(*, year: int, department: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Indicators planned and achieved in ``year`` by the actions (of ``department``). Two queries.

    Returns ``{"by_indicator": [...], "by_domain": [...]}``:

    - ``by_indicator``: one row per indicator key and unit, the key being the catalogue code
      when given, else the label: ``{"key", "code" ("" without), "label" (the first label
      met, alphabetically), "unit", "planned", "achieved", "actions"}`` (``actions``: the
      number of actions reporting it), ordered by key and unit;
    - ``by_domain``: ``{"domain", "unit", "planned", "achieved", "actions"}`` per domain of
      the action and unit (figures of different units are never added), ordered by domain
      and unit.

    An empty planned or achieved figure counts as 0.
    """
    rows = ActionIndicator.objects.filter(year=year)
    if department:
        rows = rows.filter(action__department_id=department)
    sums = {
        "planned": Coalesce(Sum("planned"), 0),
        "achieved": Coalesce(Sum("achieved"), 0),
        "actions": Count("action_id", distinct=True),
    }
    by_indicator = (
        rows.annotate(key=Coalesce(NullIf(F("code"), Value("")), F("label")))
        .values("key", "unit")
        .annotate(label_first=Min("label"), code_first=Min("code"), **sums)
        .order_by("key", "unit")
    )
    by_domain = rows.values("action__domain", "unit").annotate(**sums).order_by("action__domain", "unit")
    return {
        "by_indicator": [
            {
                "key": row["key"],
                "code": row["code_first"],
                "label": row["label_first"],
                "unit": row["unit"],
                "planned": row["planned"],
                "achieved": row["achieved"],
                "actions": row["actions"],
            }
            for row in by_indicator
        ],
        "by_domain": [
            {
                "domain": row["action__domain"],
                "unit": row["unit"],
                "planned": row["planned"],
                "achieved": row["achieved"],
                "actions": row["actions"],
            }
            for row in by_domain
        ],
    }


def action_funding_totals(*, year: int, department: str | None = None) -> list[dict[str, Any]]:
    """Fundings of ``year`` of the actions (of ``department``), by type of funder. One query.

    Returns ``[{"funder_kind", "amount" (Decimal, euros), "fundings", "actions"}]`` ordered
    by type of funder, only the types with a funding.
    """
    rows = ActionFunding.objects.filter(year=year)
    if department:
        rows = rows.filter(action__department_id=department)
    return [
        {
            "funder_kind": row["funder_kind"],
            "amount": row["amount"] or Decimal(0),
            "fundings": row["fundings"],
            "actions": row["actions"],
        }
        for row in rows.values("funder_kind")
        .annotate(amount=Sum("amount"), fundings=Count("pk"), actions=Count("action_id", distinct=True))
        .order_by("funder_kind")
    ]


def closure_solution_totals(*, year: int, department: str | None = None) -> dict[str, Any]:
    """The closures of ``year`` (sites closed that year, of ``department``): their households
    and people per solution and the share with a solution. One query.

    Returns ``{"closures": <sites closed that year>, "households", "people", "with_solution",
    "people_with_solution", "share", "people_share", "by_solution"}``: the keys after
    ``closures`` are those of ``selectors.closures.shares_from`` (shares in percent with one
    decimal, None when there is no household; "unknown" is no solution).
    """
    sites = Site.objects.filter(status=SiteStatus.CLOSED, closed_on__year=year)
    if department:
        sites = sites.filter(department_id=department)
    row = sites.aggregate(closures=Count("pk", distinct=True), **solution_aggregates("closure__households__"))
    return {"closures": row["closures"] or 0, **shares_from(row)}


def actions_running(*, year: int, department: str | None = None) -> int:
    """The number of actions running at some point of ``year`` (of ``department``). One query."""
    actions = SiteAction.objects.filter(running_in(year))
    if department:
        actions = actions.filter(department_id=department)
    return actions.count()


__all__ = [
    "action_funding_totals",
    "action_indicator_totals",
    "actions_running",
    "closure_solution_totals",
    "site_figures",
]
