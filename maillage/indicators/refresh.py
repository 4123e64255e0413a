"""The refresh job: recompute the computed values, then rebuild ``AggregateValue`` in SQL.

``refresh_all()`` runs in one transaction (the dashboards read the previous aggregates until
it commits) and records a ``RefreshRun`` (its error too, when it fails).

1. Computed values: for every active computed indicator, ``computations.COMPUTATIONS[key]``
   over the window (``INDICATORS_COMPUTE_YEARS`` full years before the current one, and the
   current year): its computed values of the window are replaced.
2. Aggregates, in a temporary table, then swapped into ``AggregateValue``:

   a. the stored values, the organisations' values of one cell added up (averaged for the
      rule "average");
   b. over time, for each territory: months → quarters → years;
   c. over space, for each period: communes → EPCIs, communes → departments → regions.

   A value stored at a level always wins: a roll-up only fills the cells that have no value
   of their own (a region's figure entered by the region is not replaced by the sum of its
   departments, which may be incomplete). Per aggregation rule:

   - ``sum``: the sum, over time and space;
   - ``average``: the mean of the values below (not weighted);
   - ``last``: over time, the value of the latest sub-period that has one (a stock at the end
     of the period); over space, the sum;
   - ``distinct_count``: never rolled up (a household followed in two months, or two
     communes, would count twice): only the values computed directly at each level exist.

   ``sources`` counts the stored values behind an aggregate.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import computations
from .enums import Aggregation, Origin, Source, ValueKind
from .models import AggregateValue, Indicator, IndicatorValue, RefreshRun

logger = logging.getLogger(__name__)

_SPACE = {
    # level below → (level above, SQL of the code above from the territory tables)
    "epci": ("commune", "SELECT code, epci_id FROM territory_commune WHERE epci_id IS NOT NULL"),
    "department": ("commune", "SELECT code, department_id FROM territory_commune"),
    "region": ("department", "SELECT code, region_id FROM territory_department"),
}


def window(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    years = int(getattr(settings, "INDICATORS_COMPUTE_YEARS", 4))
    return date(today.year - years, 1, 1), date(today.year, 12, 31)


def recompute(start: date, end: date) -> int:
    """Replace the computed values of the window; the number of values written."""
    written = 0
    indicators = Indicator.objects.filter(source=Source.COMPUTED, is_active=True).exclude(computation="")
    for indicator in indicators:
        function = computations.COMPUTATIONS.get(indicator.computation)
        if function is None:
            logger.warning("Indicator %s: unknown computation %r", indicator.code, indicator.computation)
            continue
        rows = function(start, end)
        IndicatorValue.objects.filter(
            indicator=indicator, origin=Origin.COMPUTED, period_start__gte=start, period_start__lte=end
        ).delete()
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
        written += len(rows)
    return written


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
    # b. over time.
    for below, above in (("month", "quarter"), ("quarter", "year")):
        statements.append(
            f"""INSERT INTO ind_refresh
            SELECT v.indicator_id, v.territory_level, v.territory_code, '{above}',
                   date_trunc('{above}', v.period_start)::date, v.breakdown, v.kind,
                   {_rule_sql("time")}, SUM(v.sources)
            FROM ind_refresh v JOIN {indicator_table} i ON i.id = v.indicator_id
            WHERE v.period_kind = '{below}' AND i.aggregation <> '{distinct}'
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


def refresh_all(*, today: date | None = None) -> RefreshRun:
    """Recompute and re-aggregate everything; the ``RefreshRun`` recorded."""
    run = RefreshRun.objects.create(started_at=timezone.now())
    began = time.monotonic()
    try:
        start, end = window(today)
        with transaction.atomic():
            run.computed_values = recompute(start, end)
            run.aggregate_values = rebuild_aggregates()
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.duration_ms = int((time.monotonic() - began) * 1000)
        run.save()
        logger.exception("Refresh of the indicators failed")
        raise
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - began) * 1000)
    run.save()
    return run
