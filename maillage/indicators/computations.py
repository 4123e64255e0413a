"""The computed indicators: one function per ``Indicator.computation`` key.

Each function takes the window to compute (``start``, ``end``: first and last days) and returns
``Row``s: the values of the indicator ("actual") per territory, period and breakdown, as SQL
aggregates over the source modules (never a person: only counts). The refresh job
(``refresh.py``) stores them as computed ``IndicatorValue``s, replacing the previous ones of
the window, then rolls them up like any value.

- Counts that add up (outcomes) are given per department and month: the refresh job rolls
  them up to the region, quarters and years.
- Distinct counts (households and people followed) and rates (retention, schooling, closures
  with a solution) do not add up: they are computed directly for each department and region
  (and, for the distinct counts, each month, quarter and year), rates from the sums of their
  numerators and denominators.
- Stocks at a date (sites open, people on sites) are given per department and month (the
  figures at the end of the month): the refresh job takes the last month for a quarter or a
  year and adds departments up.
- Shares on small groups are not published: a share (percentage) whose denominator — the
  units it is computed on: outcomes followed up, minors on the sites, households at the
  closures — is below ``settings.SMALL_CELL_THRESHOLD`` (5 by default) is left out (no row,
  so no stored value nor aggregate), for the department as for the region: "1 of 2
  households" would tell about identifiable people, and the suppression of the outputs
  (``core.suppression``) hides small counts only. The rule "average" then rolls up the
  published shares only.

The department of a household or an outcome is the one of the household's commune, else the
first (by code) of the organisation's departments (as ``pathways.indicators``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from maillage.core.suppression import small_cell_threshold
from maillage.living_sites.enums import SiteStatus
from maillage.living_sites.indicators import site_figures
from maillage.living_sites.models import Site
from maillage.living_sites.selectors.closures import shares_from, solution_aggregates
from maillage.organisations.models import Organisation
from maillage.pathways import enums as pathways_enums
from maillage.pathways.indicators import RETAINED, outcomes_counts
from maillage.pathways.models import FollowUp, Household, Person
from maillage.territory.models import Commune, Department

from .enums import PeriodKind, TerritoryLevel
from .periods import Period

DEPARTMENT, REGION = str(TerritoryLevel.DEPARTMENT), str(TerritoryLevel.REGION)
MONTH, QUARTER, YEAR = str(PeriodKind.MONTH), str(PeriodKind.QUARTER), str(PeriodKind.YEAR)

# Kinds of Pathways outcomes, grouped as the parts of the "outcome" breakdown.
_K = pathways_enums.OutcomeKind
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "employment": (_K.JOB_PERMANENT, _K.JOB_FIXED_TERM, _K.JOB_SHORT, _K.JOB_INSERTION, _K.SELF_EMPLOYED),
    "training": (_K.TRAINING,),
    "housing": (_K.HOUSING, _K.INTERMEDIATE_HOUSING),
}
OUTCOME_GROUP_OF = {str(kind): group for group, kinds in OUTCOME_GROUPS.items() for kind in kinds}


@dataclass(frozen=True)
class Row:
    territory_level: str
    territory_code: str
    period_kind: str
    period_start: date
    breakdown: str
    value: Decimal


Computation = Callable[[date, date], list[Row]]


def _percent(part: int, whole: int) -> Decimal | None:
    """``part`` / ``whole`` in percent, or None when ``whole`` is below the small-cell
    threshold (a share on a small group is not published: see the module's docstring)."""
    if not whole or whole < small_cell_threshold():
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _regions() -> dict[str, str]:
    return dict(Department.objects.values_list("code", "region_id"))


def _department_sql(household: str, organisation: str) -> str:
    """SQL of a household's department (its commune's, else its organisation's first)."""
    commune = Commune._meta.db_table
    through = Organisation.departments.through._meta.db_table
    # Table and column names from the code, no value.
    sql = f"""COALESCE(
        (SELECT c.department_id FROM {commune} c WHERE c.code = {household}.commune_id),
        (SELECT od.department_id FROM {through} od WHERE od.organisation_id = {organisation}
         ORDER BY od.department_id LIMIT 1))"""  # noqa: S608
    return sql


def _fetch(sql: str, params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- Pathways ------------------------------------------------------------------------------


def pathways_outcomes(start: date, end: date) -> list[Row]:
    """Positive outcomes per department and month, in all and by group of kinds."""
    counts: dict[tuple[str, date, str], int] = defaultdict(int)
    for row in outcomes_counts(start=start, end=end):
        if not row["department"]:
            continue
        group = OUTCOME_GROUP_OF.get(row["kind"], "other")
        counts[(row["department"], row["month"], "")] += row["count"]
        counts[(row["department"], row["month"], f"outcome={group}")] += row["count"]
    return [
        Row(DEPARTMENT, department, MONTH, month, breakdown, Decimal(count))
        for (department, month, breakdown), count in sorted(counts.items())
    ]


def _periods_sql() -> str:
    """The months, quarters and years of the window (%(start)s, %(end)s) as a SQL table."""
    return """
        SELECT kind, s::date AS p_start, (s + step - interval '1 day')::date AS p_end
        FROM (VALUES ('month', interval '1 month'), ('quarter', interval '3 months'), ('year', interval '1 year'))
             AS k(kind, step),
             LATERAL generate_series(
                 date_trunc(k.kind, %(start)s::timestamp), %(end)s::timestamp, k.step
             ) AS s
    """


def _followed(start: date, end: date, *, persons: bool) -> list[Row]:
    household = Household._meta.db_table
    person = Person._meta.db_table
    department = Department._meta.db_table
    members = f"JOIN {person} pe ON pe.household_id = h.id AND pe.merged_into_id IS NULL" if persons else ""
    sex = "COALESCE(NULLIF(pe.sex, ''), 'other')" if persons else "''"
    sets = (
        "(p.kind, p.p_start, hh.department), (p.kind, p.p_start, d.region_id), "
        "(p.kind, p.p_start, hh.department, hh.sex), (p.kind, p.p_start, d.region_id, hh.sex)"
        if persons
        else "(p.kind, p.p_start, hh.department), (p.kind, p.p_start, d.region_id)"
    )
    sql = f"""
        WITH periods AS ({_periods_sql()}),
        hh AS (
            SELECT {"pe.id" if persons else "h.id"} AS id,
                   {_department_sql("h", "h.organisation_id")} AS department,
                   (h.created_at AT TIME ZONE %(tz)s)::date AS since,
                   (h.closed_at AT TIME ZONE %(tz)s)::date AS until,
                   {sex} AS sex
            FROM {household} h {members}
            WHERE h.status <> %(merged)s
              AND h.created_at < (%(end)s::date + 1)
              AND (h.closed_at IS NULL OR h.closed_at >= %(start)s::date)
        )
        SELECT p.kind, p.p_start, hh.department, d.region_id, {"hh.sex" if persons else "''"},
               GROUPING(hh.department), {"GROUPING(hh.sex)" if persons else "1"}, COUNT(DISTINCT hh.id)
        FROM hh
        JOIN {department} d ON d.code = hh.department
        JOIN periods p ON hh.since <= p.p_end AND (hh.until IS NULL OR hh.until >= p.p_start)
        GROUP BY GROUPING SETS ({sets})
    """  # noqa: S608 (table names from the models, values as parameters)
    params = {
        "start": start,
        "end": end,
        "tz": settings.TIME_ZONE,
        "merged": str(pathways_enums.HouseholdStatus.MERGED),
    }
    rows = []
    for kind, p_start, dept, region, sex_value, dept_grouped, sex_grouped, count in _fetch(sql, params):
        level, code = (REGION, region) if dept_grouped else (DEPARTMENT, dept)
        breakdown = "" if sex_grouped else f"sex={sex_value}"
        rows.append(Row(level, code, kind, p_start, breakdown, Decimal(count)))
    return rows


def pathways_households_followed(start: date, end: date) -> list[Row]:
    """Distinct households followed, per department and region, per month, quarter and year."""
    return _followed(start, end, persons=False)


def pathways_persons_followed(start: date, end: date) -> list[Row]:
    """Distinct people of the households followed, also by sex."""
    return _followed(start, end, persons=True)


def _retention(group: str) -> Computation:
    def compute(start: date, end: date) -> list[Row]:
        """Share of the group's outcomes found in the same or a better situation at 6 months,
        per department and region and year of the outcome (not when fewer than
        ``SMALL_CELL_THRESHOLD`` outcomes were followed up)."""
        through = Organisation.departments.through
        first = Subquery(
            through.objects.filter(organisation_id=OuterRef("outcome__organisation_id"))
            .order_by("department_id")
            .values("department_id")[:1]
        )
        rows = (
            FollowUp.objects.filter(
                months=6,
                outcome__kind__in=OUTCOME_GROUPS[group],
                outcome__achieved_on__gte=start,
                outcome__achieved_on__lte=end,
            )
            .annotate(
                department=Coalesce(F("outcome__household__commune__department_id"), first, output_field=CharField())
            )
            .values("department", year=ExtractYear("outcome__achieved_on"))
            .annotate(
                followed=Count(
                    "pk",
                    filter=Q(status__in=[pathways_enums.FollowUpStatus.DONE, pathways_enums.FollowUpStatus.LOST]),
                ),
                retained=Count("pk", filter=Q(status=pathways_enums.FollowUpStatus.DONE, situation__in=RETAINED)),
            )
        )
        regions = _regions()
        sums: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            if not row["department"]:
                continue
            for key in ((DEPARTMENT, row["department"]), (REGION, regions.get(row["department"], ""))):
                if key[1]:
                    total = sums[(*key, row["year"])]
                    total[0] += row["followed"]
                    total[1] += row["retained"]
        result = []
        for (level, code, year), (followed, retained) in sorted(sums.items()):
            if (share := _percent(retained, followed)) is not None:
                result.append(Row(level, code, YEAR, date(year, 1, 1), "", share))
        return result

    compute.__name__ = f"pathways_retention_{group}"
    return compute


# --- Living sites --------------------------------------------------------------------------


def _month_ends(start: date, end: date) -> list[tuple[date, date]]:
    """(first day, the day the figures are read: the month's last day, or ``end`` or today if
    sooner) of each month of the window."""
    last = min(end, timezone.localdate())
    result = []
    month = Period.of(MONTH, start)
    while month.start <= last:
        result.append((month.start, min(month.end, last)))
        month = Period.of(MONTH, month.end + timedelta(days=1))
    return result


def _site_months(start: date, end: date) -> list[tuple[date, dict[str, dict[str, Any]]]]:
    """[(month, {department: figures at the end of the month})], one query a month; a
    department stays (with zeros) after its sites closed."""
    seen: set[str] = set()
    result = []
    for month, on in _month_ends(start, end):
        figures = {row["department"]: row for row in site_figures(on=on)}
        seen |= set(figures)
        for department in seen - set(figures):
            figures[department] = {"sites": 0, "people": 0, "minors": 0, "children_in_school": 0}
        result.append((month, figures))
    return result


def sites_open(start: date, end: date) -> list[Row]:
    """Informal sites open at the end of each month, per department."""
    return [
        Row(DEPARTMENT, department, MONTH, month, "", Decimal(f["sites"]))
        for month, figures in _site_months(start, end)
        for department, f in sorted(figures.items())
    ]


def sites_people(start: date, end: date) -> list[Row]:
    """People living on the open sites at the end of each month, per department; the minors
    as age_band=0_17."""
    rows = []
    for month, figures in _site_months(start, end):
        for department, f in sorted(figures.items()):
            rows.append(Row(DEPARTMENT, department, MONTH, month, "", Decimal(f["people"])))
            if f["minors"] <= f["people"]:
                rows.append(Row(DEPARTMENT, department, MONTH, month, "age_band=0_17", Decimal(f["minors"])))
    return rows


def sites_minors_in_school(start: date, end: date) -> list[Row]:
    """Children in school / minors on the open sites at the end of each month, per department
    and region (ratio of the sums; not when fewer than ``SMALL_CELL_THRESHOLD`` minors)."""
    regions = _regions()
    rows = []
    for month, figures in _site_months(start, end):
        by_region: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for department, f in sorted(figures.items()):
            if (share := _percent(f["children_in_school"], f["minors"])) is not None:
                rows.append(Row(DEPARTMENT, department, MONTH, month, "", min(share, Decimal(100))))
            total = by_region[regions.get(department, "")]
            total[0] += f["children_in_school"]
            total[1] += f["minors"]
        for region, (in_school, minors) in sorted(by_region.items()):
            if region and (share := _percent(in_school, minors)) is not None:
                rows.append(Row(REGION, region, MONTH, month, "", min(share, Decimal(100))))
    return rows


def sites_closure_solution(start: date, end: date) -> list[Row]:
    """Households with a solution / households at the closures of the year, per department
    and region (not when fewer than ``SMALL_CELL_THRESHOLD`` households)."""
    regions = _regions()
    aggregates = solution_aggregates("closure__households__")
    keys = ("n_households", "n_with_solution")
    rows = (
        Site.objects.filter(status=SiteStatus.CLOSED, closed_on__gte=start, closed_on__lte=end)
        .values("department_id", year=ExtractYear("closed_on"))
        .annotate(**{k: aggregates[k] for k in keys})
        .order_by()
    )
    sums: dict[tuple[str, str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for row in rows:
        for key in ((DEPARTMENT, row["department_id"]), (REGION, regions.get(row["department_id"], ""))):
            if key[1]:
                for k in keys:
                    sums[(*key, row["year"])][k] += row[k] or 0
    result = []
    for (level, code, year), figures in sorted(sums.items()):
        share = shares_from(figures)["share"]
        if share is not None and figures["n_households"] >= small_cell_threshold():
            result.append(Row(level, code, YEAR, date(year, 1, 1), "", Decimal(str(share))))
    return result


COMPUTATIONS: dict[str, Computation] = {
    "pathways_outcomes": pathways_outcomes,
    "pathways_households_followed": pathways_households_followed,
    "pathways_persons_followed": pathways_persons_followed,
    "pathways_retention_employment": _retention("employment"),
    "pathways_retention_training": _retention("training"),
    "pathways_retention_housing": _retention("housing"),
    "sites_open": sites_open,
    "sites_people": sites_people,
    "sites_minors_in_school": sites_minors_in_school,
    "sites_closure_solution": sites_closure_solution,
}


def compute(key: str, start: date, end: date) -> Iterable[Row]:
    return COMPUTATIONS[key](start, end)
