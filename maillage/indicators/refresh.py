"""The refresh job: recompute the computed values, then rebuild ``AggregateValue`` in SQL.

``refresh_all()`` runs in one transaction (the dashboards read the previous aggregates until
it commits) and records a ``RefreshRun`` (its error too, when it fails).

Concurrency: the transaction first takes a PostgreSQL advisory lock of its own
(``pg_advisory_xact_lock`` on ``REFRESH_LOCK_KEY``), so two runs (the daily job and a manual
one, or a bench) never interleave: the second waits until the first commits, then recomputes
from what the first wrote. It then holds the lock of value writes
(``locks.hold_for_value_write``, shared): entries and imports go on, but a period cannot be
locked or reopened while a refresh runs (the refresh sees the locks as they are when it
starts, and they stay so until it commits).

1. Computed values: for every active computed indicator, ``computations.COMPUTATIONS[key]``
   over the window (``INDICATORS_COMPUTE_YEARS`` full years before the current one, and the
   current year): its computed values of the window are replaced, except in locked periods.
   A computed value whose territory (or a territory containing it) is locked for its period
   (or a period containing it) — the rule of ``services.locks.find_lock`` — is neither
   deleted nor rewritten: a locked period keeps the figures it was locked with until a
   coordinator reopens it, and the next refresh after the reopening updates them. The number
   of computed rows left unwritten because of a lock is logged and given as
   ``RefreshRun.skipped_locked`` (not saved: the model has no column for it).
   Shares (percentages) computed from fewer than ``SMALL_CELL_THRESHOLD`` units (their
   denominator) are not produced by the computations, so never stored nor published
   (see ``computations``).
2. Aggregates, in a temporary table, then swapped into ``AggregateValue``:

   a. the stored values, the organisations' values of one cell added up (averaged for the
      rule "average");
   b. over time, for each territory: months → quarters → years;
   c. over space, for each period: communes → EPCIs, communes → departments → regions.

   A value stored at a level always wins: a roll-up only fills the cells that have no value
   of their own (a region's figure entered by the region is not replaced by the sum of its
   departments, which may be incomplete). Per aggregation rule:

   - ``sum``: the sum, over time and space;
   - ``average``: over time, the mean of the months of the period when it has any (a year
     is the mean of its months, not of its quarters' means, so that quarters with fewer
     months don't weigh more), else the mean of its quarters (for a year); over space, the
     mean of the values below (not weighted);
   - ``last``: over time, the value of the latest sub-period that has one (a stock at the end
     of the period); over space, the sum;
   - ``distinct_count``: never rolled up (a household followed in two months, or two
     communes, would count twice): only the values computed directly at each level exist.

   ``sources`` counts the stored values behind an aggregate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from maillage.territory.models import Department

from . import computations
from .enums import Aggregation, Origin, Source, TerritoryLevel, ValueKind
from .models import AggregateValue, Indicator, IndicatorValue, PeriodLock, RefreshRun
from .periods import Period
from .services import locks
from .territories import Territory

logger = logging.getLogger(__name__)

_SPACE = {
    # level below → (level above, SQL of the code above from the territory tables)
    "epci": ("commune", "SELECT code, epci_id FROM territory_commune WHERE epci_id IS NOT NULL"),
    "department": ("commune", "SELECT code, department_id FROM territory_commune"),
    "region": ("department", "SELECT code, region_id FROM territory_department"),
}


# Key of the advisory lock that serialises the refresh runs (distinct from the value writes').
REFRESH_LOCK_KEY = 1229866066  # "INDR"


def window(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    years = int(getattr(settings, "INDICATORS_COMPUTE_YEARS", 4))
    return date(today.year - years, 1, 1), date(today.year, 12, 31)


class LockGuard:
    """Which cells are locked (``locks.find_lock``'s rule), from the locks read once."""

    def __init__(self) -> None:
        self.locked = set(
            PeriodLock.objects.filter(is_locked=True).values_list(
                "territory_level", "territory_code", "period_kind", "period_start"
            )
        )
        self._enclosing: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._regions: dict[str, str] | None = None

    def __bool__(self) -> bool:
        return bool(self.locked)

    def _places(self, level: str, code: str) -> list[tuple[str, str]]:
        key = (level, code)
        if key not in self._enclosing:
            if level == TerritoryLevel.DEPARTMENT:  # the usual case, without a query a department
                if self._regions is None:
                    self._regions = dict(Department.objects.values_list("code", "region_id"))
                region = self._regions.get(code)
                places = [key] + ([(str(TerritoryLevel.REGION), region)] if region else [])
            else:
                places = locks.enclosing_territories(Territory(level, code))
            self._enclosing[key] = places
        return self._enclosing[key]

    def is_locked(self, level: str, code: str, period_kind: str, period_start: date) -> bool:
        if not self.locked:
            return False
        periods = locks.containing_periods(Period(period_kind, period_start))
        return any(
            (place_level, place_code, str(p.kind), p.start) in self.locked
            for place_level, place_code in self._places(level, code)
            for p in periods
        )


@dataclass
class Recomputed:
    written: int = 0
    # Computed rows not written, and stored computed values kept, because of a lock.
    skipped_locked: int = 0
    kept_locked: int = 0


def recompute(start: date, end: date, guard: LockGuard | None = None) -> Recomputed:
    """Replace the computed values of the window but those of locked cells (see the module's
    docstring)."""
    guard = guard if guard is not None else LockGuard()
    result = Recomputed()
    indicators = Indicator.objects.filter(source=Source.COMPUTED, is_active=True).exclude(computation="")
    for indicator in indicators:
        function = computations.COMPUTATIONS.get(indicator.computation)
        if function is None:
            logger.warning("Indicator %s: unknown computation %r", indicator.code, indicator.computation)
            continue
        rows = function(start, end)
        stored = IndicatorValue.objects.filter(
            indicator=indicator, origin=Origin.COMPUTED, period_start__gte=start, period_start__lte=end
        )
        if guard:
            unlocked = []
            for pk, level, code, period_kind, period_start in stored.values_list(
                "pk", "territory_level", "territory_code", "period_kind", "period_start"
            ).iterator(chunk_size=5000):
                if guard.is_locked(level, code, period_kind, period_start):
                    result.kept_locked += 1
                else:
                    unlocked.append(pk)
            for i in range(0, len(unlocked), 5000):
                IndicatorValue.objects.filter(pk__in=unlocked[i : i + 5000]).delete()
            written = [
                row
                for row in rows
                if not guard.is_locked(row.territory_level, row.territory_code, row.period_kind, row.period_start)
            ]
            result.skipped_locked += len(rows) - len(written)
            rows = written
        else:
            stored.delete()
        now = timezone.now()
        IndicatorValue.objects.bulk_create(
            [
                IndicatorValue(
                    indicator=indicator,
                    territory_level=row.territory_level,
                    territory_code=row.territory_code,
                    period_kind=row.period_kind,
                    period_start=row.period_start,
                    breakdown=row.breakdown,
                    kind=ValueKind.ACTUAL,
                    value=row.value.quantize(Decimal("0.01")),
                    origin=Origin.COMPUTED,
                    updated_at=now,
                )
                for row in rows
            ],
            batch_size=2000,
        )
        result.written += len(rows)
    return result


_CELL = "indicator_id, territory_level, territory_code, period_kind, period_start, breakdown, kind"


def _rule_sql(over: str) -> str:
    """The SQL aggregate of ``v`` (value), per rule ``i.aggregation``, over time or space."""
    last = "(array_agg(v.value ORDER BY v.period_start DESC))[1]" if over == "time" else "SUM(v.value)"
    return f"""CASE i.aggregation
        WHEN '{Aggregation.AVERAGE.value}' THEN AVG(v.value)
        WHEN '{Aggregation.LAST.value}' THEN {last}
        ELSE SUM(v.value) END"""


def rebuild_aggregates() -> int:
    """Rebuild ``AggregateValue`` from the stored values (see the module's docstring)."""
    value_table = IndicatorValue._meta.db_table
    indicator_table = Indicator._meta.db_table
    aggregate_table = AggregateValue._meta.db_table
    distinct = Aggregation.DISTINCT_COUNT.value
    statements = [
        f"""CREATE TEMPORARY TABLE ind_refresh (
            indicator_id bigint, territory_level varchar(12), territory_code varchar(9),
            period_kind varchar(10), period_start date, breakdown varchar(60), kind varchar(10),
            value numeric, sources integer,
            PRIMARY KEY ({_CELL})
        ) ON COMMIT DROP""",
        # a. stored values, organisations added up.
        f"""INSERT INTO ind_refresh
            SELECT v.indicator_id, v.territory_level, v.territory_code, v.period_kind, v.period_start,
                   v.breakdown, v.kind,
                   CASE i.aggregation WHEN '{Aggregation.AVERAGE.value}' THEN AVG(v.value) ELSE SUM(v.value) END,
                   COUNT(*)
            FROM {value_table} v JOIN {indicator_table} i ON i.id = v.indicator_id
            WHERE i.is_active
            GROUP BY v.indicator_id, v.territory_level, v.territory_code, v.period_kind, v.period_start,
                     v.breakdown, v.kind, i.aggregation""",  # noqa: S608 (names from the code)
    ]
    # b. over time: months → quarters, months → years (the rule "average" only: the mean of
    # the months), quarters → years (the years not filled yet).
    average = Aggregation.AVERAGE.value
    steps = (("month", "quarter", False), ("month", "year", True), ("quarter", "year", False))
    for below, above, only_average in steps:
        rules = f"i.aggregation = '{average}'" if only_average else f"i.aggregation <> '{distinct}'"
        statements.append(
            f"""INSERT INTO ind_refresh
            SELECT v.indicator_id, v.territory_level, v.territory_code, '{above}',
                   date_trunc('{above}', v.period_start)::date, v.breakdown, v.kind,
                   {_rule_sql("time")}, SUM(v.sources)
            FROM ind_refresh v JOIN {indicator_table} i ON i.id = v.indicator_id
            WHERE v.period_kind = '{below}' AND {rules}
            GROUP BY v.indicator_id, v.territory_level, v.territory_code, date_trunc('{above}', v.period_start),
                     v.breakdown, v.kind, i.aggregation
            ON CONFLICT DO NOTHING"""  # noqa: S608
        )
    # c. over space (EPCIs and departments from communes, then regions from departments).
    for above in ("epci", "department", "region"):
        below, mapping = _SPACE[above]
        statements.append(
            f"""INSERT INTO ind_refresh
            SELECT v.indicator_id, '{above}', m.up, v.period_kind, v.period_start, v.breakdown, v.kind,
                   {_rule_sql("space")}, SUM(v.sources)
            FROM ind_refresh v
            JOIN {indicator_table} i ON i.id = v.indicator_id
            JOIN ({mapping}) AS m(code, up) ON m.code = v.territory_code
            WHERE v.territory_level = '{below}' AND i.aggregation <> '{distinct}'
            GROUP BY v.indicator_id, m.up, v.period_kind, v.period_start, v.breakdown, v.kind, i.aggregation
            ON CONFLICT DO NOTHING"""  # noqa: S608
        )
    statements += [
        f"DELETE FROM {aggregate_table}",  # noqa: S608
        f"""INSERT INTO {aggregate_table} ({_CELL}, value, sources, refreshed_at)
            SELECT {_CELL}, round(value, 2), sources, %s FROM ind_refresh""",  # noqa: S608
    ]
    now = timezone.now()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [now] if "%s" in sql else None)
        cursor.execute("SELECT COUNT(*) FROM ind_refresh")
        count = int(cursor.fetchone()[0])
        cursor.execute("DROP TABLE ind_refresh")
    return count


def _hold_refresh_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])


def refresh_all(*, today: date | None = None) -> RefreshRun:
    """Recompute and re-aggregate everything, leaving the locked periods' computed values as
    they are; the ``RefreshRun`` recorded, with ``skipped_locked`` (not saved): the computed
    rows not written because their period is locked."""
    run = RefreshRun.objects.create(started_at=timezone.now())
    run.skipped_locked = 0  # type: ignore[attr-defined]
    began = time.monotonic()
    try:
        start, end = window(today)
        with transaction.atomic():
            _hold_refresh_lock()
            locks.hold_for_value_write()
            recomputed = recompute(start, end, LockGuard())
            run.computed_values = recomputed.written
            run.skipped_locked = recomputed.skipped_locked  # type: ignore[attr-defined]
            run.aggregate_values = rebuild_aggregates()
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - began) * 1000)
        run.save()
        logger.exception("Refresh of the indicators failed")
        raise
    # Fresh statistics for the dashboards' queries on the rebuilt table (outside the transaction).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE indicators_aggregatevalue")
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - began) * 1000)
    run.save()
    if recomputed.skipped_locked or recomputed.kept_locked:
        logger.info(
            "Refresh run %s: %s computed values left out and %s kept because their period is locked",
            run.pk,
            recomputed.skipped_locked,
            recomputed.kept_locked,
        )
    return run
