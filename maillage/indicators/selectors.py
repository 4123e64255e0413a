"""Reads of the Indicators module: the dashboards, an indicator's table, the exports, the API and
the annual review.

Everything here reads ``AggregateValue`` (the table the refresh job rebuilds), never the source
data: a page costs a fixed, small number of indexed queries whatever the volume behind it
(``aggvalue_dashboard_idx``: territory level, code, period kind, indicator), and the Python
work is over the pre-aggregated rows of one territory, not over raw values.

Small-cell suppression: one rule for every output
    For the users whose figures are suppressed (``permissions.figures_suppressed``), and always
    for the open data and the annual reviews, the counts go through ``core.suppression``.
    Suppressible: indicators whose unit is a number of people (``count``) and whose rule is not
    an average, values of kind actual or baseline (a target describes no one).

    The hidden cells are computed on *canonical blocks*, never on what a page or a file asked
    for: one block = one indicator × one kind × one calendar year (the year, its quarters and
    months) × one region with everything inside it (the region, its departments, their communes,
    the EPCIs whose communes are all in the region), every breakdown. A block's hidden cells
    depend only on the block's values (and the threshold), so the dashboard, the indicator's
    table, the exports, the open data, the API and the review hide the same cells whatever
    their filters: each output reads the blocks of the cells it shows, suppresses them whole,
    then keeps its own cells (``hidden_for``, or ``hidden_cells`` over whole blocks).

    In a block, the sums a reader knows are the constraints, each only where it holds exactly
    (a value stored at a level wins over the roll-up, so a sum may not hold):

    * breakdown: the total of a territory × period is the sum of the parts of each dimension;
    * time, rule ``sum``: a year is the sum of its quarters and of its months, a quarter the
      sum of its months; rule ``last``: a year equals its last quarter with a value and its
      last month with a value, a quarter its last month with a value;
    * space, rules ``sum`` and ``last``: a region is the sum of its departments, a department
      of its communes, an EPCI of its communes.

    An EPCI whose communes lie in several regions (a few dozen in France) belongs to no block:
    its suppressible cells are always hidden (its sum would link two regions' blocks). So is
    a cell of a territory missing from the territory referential.

    A block without any count from 1 to threshold − 1 hides nothing (checked before solving).
    Solving is deterministic (the block is sorted first) and kept in memory under a digest of
    the block's content (``_BLOCK_CACHE``): the aggregate table changes once a day, the pages are
    read many times. The pages do not even read the blocks when their digest is known: one query
    gives the places of the regions concerned, a second each block's digest (sums of 64-bit
    hashes of its rows, computed by PostgreSQL, with a digest of the region's places) and
    whether it has a small count; the rows are read only for the blocks not solved yet. The shown rows and the
    blocks are read by separate queries: a refresh between them is detected (the refresh
    replaces every row, so the id of a shown row disappears) and the reading is done again.

    Not covered (see ``core.suppression``): intervals (counts are not negative), sums across
    years or indicators, and shares (rates are not suppressed).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Max, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from maillage.core.suppression import (
    PRIMARY,
    SECONDARY,
    Constraint,
    primary_marker,
    secondary_marker,
    small_cell_threshold,
    suppress,
)
from maillage.territory.models import Commune, Department, Region

from . import enums
from .enums import Aggregation, Direction, PeriodKind, TerritoryLevel, Unit, ValueKind
from .models import AggregateValue, Indicator, RefreshRun
from .periods import Period
from .territories import Territory

# (indicator id, territory level, territory code, period kind, period start, breakdown, kind)
Key = tuple[int, str, str, str, date, str, str]
Row = tuple[Key, Decimal]
# A key within its block: (territory level, territory code, period kind, period start, breakdown)
BlockKey = tuple[str, str, str, date, str]
# (indicator id, kind, year, region)
Block = tuple[int, str, int, str]

SUPPRESSED_KINDS = frozenset({ValueKind.ACTUAL.value, ValueKind.BASELINE.value})
REGION, DEPARTMENT, EPCI_LEVEL, COMMUNE = (
    TerritoryLevel.REGION.value,
    TerritoryLevel.DEPARTMENT.value,
    TerritoryLevel.EPCI.value,
    TerritoryLevel.COMMUNE.value,
)
YEAR, QUARTER, MONTH = PeriodKind.YEAR.value, PeriodKind.QUARTER.value, PeriodKind.MONTH.value
# The "region" of an EPCI whose communes lie in several regions: in no block, always hidden.
CROSS = "*"
# The years shown by the trend of the dashboards and the indicator's table.
TREND_YEARS = 5
SCALES = ("auto", "years", "quarters", "months")
UNIT_SUFFIX: dict[str, str] = {Unit.PERCENT: "\u202f%", Unit.EUROS: "\u202f€"}
PART_LABELS: dict[str, dict[str, Any]] = {dim: dict(parts) for dim, parts in enums.BREAKDOWN_PARTS.items()}
DIMENSION_LABELS = dict(enums.Breakdown.choices)

VALUE_FIELDS = (
    "indicator_id",
    "territory_level",
    "territory_code",
    "period_kind",
    "period_start",
    "breakdown",
    "kind",
    "value",
)


# --- Figures -------------------------------------------------------------------------------


def format_value(value: Decimal | float | None, unit: str = "") -> str:
    """A value as the pages write it: grouped digits, decimals only when there are some."""
    if value is None:
        return "–"
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    places = 0 if number == number.to_integral_value() else (1 if unit == Unit.PERCENT else 2)
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True) + UNIT_SUFFIX.get(unit, "")


@dataclass(frozen=True)
class Figure:
    """One cell: its value, or the marker that hides it ("< 5", "s")."""

    value: Decimal | None = None
    marker: str = ""
    unit: str = ""

    @property
    def hidden(self) -> bool:
        return bool(self.marker)

    @property
    def known(self) -> bool:
        """Shown and not blank."""
        return not self.marker and self.value is not None

    @property
    def number(self) -> float | None:
        """For charts: ``None`` when hidden or missing (a gap in the line)."""
        return float(self.value) if self.known and self.value is not None else None

    @property
    def text(self) -> str:
        return self.marker or format_value(self.value, self.unit)

    @property
    def export(self) -> Any:
        """For a file: the marker, the number (int when whole), or ``None``."""
        if self.marker:
            return self.marker
        if self.value is None:
            return None
        return int(self.value) if self.value == self.value.to_integral_value() else float(self.value)

    def __str__(self) -> str:
        return self.text


# --- Small-cell suppression ----------------------------------------------------------------


def is_suppressible(indicator: Indicator) -> bool:
    return indicator.unit == Unit.COUNT and indicator.aggregation != Aggregation.AVERAGE


def _suppressed_cell(key: Key, indicators: Mapping[int, Indicator]) -> bool:
    indicator = indicators.get(key[0])
    return indicator is not None and key[6] in SUPPRESSED_KINDS and is_suppressible(indicator)


@dataclass(frozen=True)
class Geography:
    """Where the territories are: ``places[(level, code)] = (region, up1, up2)``.

    A region: ``(code, "", "")``; a department: ``(region, region, "")``; a commune:
    ``(region, department, EPCI)`` (EPCI "" when none or when it straddles regions); an EPCI:
    ``(region, "", "")``, region ``CROSS`` when its communes are in several regions.
    """

    places: Mapping[tuple[str, str], tuple[str, str, str]]

    @classmethod
    def from_regions(cls, region_of: Mapping[str, str]) -> Geography:
        """Departments and regions only: ``{department: region}``."""
        places: dict[tuple[str, str], tuple[str, str, str]] = {
            (REGION, region): (region, "", "") for region in set(region_of.values())
        }
        places.update({(DEPARTMENT, department): (region, region, "") for department, region in region_of.items()})
        return cls(places)

    @classmethod
    def load(cls) -> Geography:
        """The whole referential (one query; for the open data)."""
        regions = f"regions AS (SELECT code AS region FROM {Region._meta.db_table})"  # noqa: S608
        sql = f"WITH {regions}, {_places_sql()} SELECT * FROM places"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cls({(level, code): (region, up1, up2) for level, code, region, up1, up2 in cursor.fetchall()})

    def group(self, level: str, code: str) -> str | None:
        """The region of the block of a territory's cells, ``CROSS``, or ``None`` if unknown."""
        place = self.places.get((level, code))
        return place[0] if place else None

    def place(self, level: str, code: str) -> tuple[str, str, str] | None:
        return self.places.get((level, code))


def _places_sql() -> str:
    """SQL (common table expressions) of ``places(level, code, region, up1, up2)`` (as
    ``Geography``) for the regions of a CTE ``regions(region)`` defined before it."""
    commune, department, region = Commune._meta.db_table, Department._meta.db_table, Region._meta.db_table
    return f"""
    epcis AS (
        SELECT c.epci_id AS code, min(d.region_id) AS region, count(DISTINCT d.region_id) AS regions
        FROM {commune} c JOIN {department} d ON d.code = c.department_id
        WHERE c.epci_id IN (
            SELECT c2.epci_id FROM {commune} c2 JOIN {department} d2 ON d2.code = c2.department_id
            WHERE d2.region_id IN (SELECT region FROM regions))
        GROUP BY c.epci_id
    ),
    places AS (
        SELECT '{REGION}'::text AS level, r.code::text AS code, r.code::text AS region, ''::text AS up1,
               ''::text AS up2
        FROM {region} r WHERE r.code IN (SELECT region FROM regions)
        UNION ALL
        SELECT '{DEPARTMENT}', d.code, d.region_id, d.region_id, ''
        FROM {department} d WHERE d.region_id IN (SELECT region FROM regions)
        UNION ALL
        SELECT '{COMMUNE}', c.code, d.region_id, c.department_id,
               CASE WHEN e.regions = 1 THEN e.code ELSE '' END
        FROM {commune} c JOIN {department} d ON d.code = c.department_id LEFT JOIN epcis e ON e.code = c.epci_id
        WHERE d.region_id IN (SELECT region FROM regions)
        UNION ALL
        SELECT '{EPCI_LEVEL}', e.code, CASE WHEN e.regions = 1 THEN e.region ELSE '{CROSS}' END, '', ''
        FROM epcis e
    )"""  # noqa: S608 (names from the code)


def _constraints(table: Mapping[Key, int], aggregation: str, geography: Geography | None) -> list[Constraint]:
    """The sums a reader knows between the cells of ``table`` (see the module's documentation)."""
    constraints: list[Constraint] = []

    def add(total: Key, parts: Sequence[Key]) -> None:
        if total in table and parts and table[total] == sum(table[p] for p in parts):
            constraints.append(Constraint(total, tuple(parts)))

    # Breakdown: total = Σ parts of one dimension.
    dimensions: dict[Key, dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))
    for key in table:
        if key[5]:
            dimensions[(*key[:5], "", key[6])][key[5].partition("=")[0]].append(key)
    for total, parts_by_dimension in dimensions.items():
        for parts in parts_by_dimension.values():
            add(total, parts)
    if aggregation not in (Aggregation.SUM, Aggregation.LAST):
        return constraints
    # Time. sum: year = Σ quarters = Σ months; quarter = Σ months. last: year = its last quarter
    # = its last month; quarter = its last month (the latest one with a value).
    series: dict[tuple[int, str, str, str, str], dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))
    for key in table:
        series[(key[0], key[1], key[2], key[5], key[6])][key[3]].append(key)
    last = aggregation == Aggregation.LAST
    for by_kind in series.values():
        quarters_of: dict[int, list[Key]] = defaultdict(list)
        months_of_year: dict[int, list[Key]] = defaultdict(list)
        months_of_quarter: dict[date, list[Key]] = defaultdict(list)
        for quarter_key in sorted(by_kind.get(QUARTER, []), key=lambda k: k[4]):
            quarters_of[quarter_key[4].year].append(quarter_key)
        for month_key in sorted(by_kind.get(MONTH, []), key=lambda k: k[4]):
            start = month_key[4]
            months_of_year[start.year].append(month_key)
            months_of_quarter[date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)].append(month_key)
        totals = [(k, quarters_of.get(k[4].year, [])) for k in by_kind.get(YEAR, [])]
        totals += [(k, months_of_year.get(k[4].year, [])) for k in by_kind.get(YEAR, [])]
        totals += [(k, months_of_quarter.get(k[4], [])) for k in by_kind.get(QUARTER, [])]
        for total, parts in totals:
            add(total, parts[-1:] if last else parts)
    # Space: region = Σ departments; department = Σ communes; EPCI = Σ communes.
    if geography is not None:
        sums: dict[Key, list[Key]] = defaultdict(list)
        for key in table:
            place = geography.place(key[1], key[2])
            if place is None:
                continue
            _region, up1, up2 = place
            if key[1] == DEPARTMENT and up1:
                sums[(key[0], REGION, up1, *key[3:])].append(key)  # type: ignore[arg-type]
            elif key[1] == COMMUNE:
                if up1:
                    sums[(key[0], DEPARTMENT, up1, *key[3:])].append(key)  # type: ignore[arg-type]
                if up2:
                    sums[(key[0], EPCI_LEVEL, up2, *key[3:])].append(key)  # type: ignore[arg-type]
        for total, parts in sums.items():
            add(total, parts)
    return constraints


def _blocks(
    rows: Iterable[Row], indicators: Mapping[int, Indicator], geography: Geography | None, threshold: int
) -> tuple[dict[Block, dict[Key, int]], dict[Key, str]]:
    """The suppressible cells of ``rows`` by block, and the cells hidden outside any block (an
    EPCI straddling regions, a territory unknown to the referential)."""
    blocks: dict[Block, dict[Key, int]] = defaultdict(dict)
    outright: dict[Key, str] = {}
    for key, value in rows:
        if not _suppressed_cell(key, indicators):
            continue
        count = int(value.to_integral_value())
        group = f"{key[1]}:{key[2]}" if geography is None else geography.group(key[1], key[2])
        if group is None or group == CROSS:
            outright[key] = PRIMARY if 0 < count < threshold else SECONDARY
            continue
        blocks[(key[0], key[6], key[4].year, group)][key] = count
    return blocks, outright


# Solved blocks, kept in memory under a digest of their content (see the module's documentation);
# the hidden cells are stored by their place in the block (``BlockKey``). Bounded; per process.
_BLOCK_CACHE: OrderedDict[str, dict[BlockKey, str]] = OrderedDict()
BLOCK_CACHE_SIZE = 20_000


def clear_suppression_cache() -> None:
    _BLOCK_CACHE.clear()


def _solve(
    block: Block,
    table: dict[Key, int],
    aggregation: str,
    geography: Geography | None,
    threshold: int,
    *,
    digest: str = "",
) -> dict[Key, str]:
    """The hidden cells of a whole block (cached under ``digest``, or one of its content)."""
    if not any(0 < count < threshold for count in table.values()):
        return {}
    if not digest:
        content = sorted(
            (key[1:6], count, geography.place(key[1], key[2]) if geography else None) for key, count in table.items()
        )
        digest = hashlib.sha1(  # noqa: S324 (a cache key, not a security feature)
            repr((aggregation, threshold, content)).encode(), usedforsecurity=False
        ).hexdigest()
    cached = _BLOCK_CACHE.get(digest)
    if cached is None:
        ordered = dict(sorted(table.items()))  # the same block gives the same cells, whatever the order read
        hidden = suppress(ordered, _constraints(ordered, aggregation, geography), threshold=threshold).hidden
        cached = {key[1:6]: reason for key, reason in hidden.items()}  # type: ignore[misc]
        _BLOCK_CACHE[digest] = cached
        if len(_BLOCK_CACHE) > BLOCK_CACHE_SIZE:
            _BLOCK_CACHE.popitem(last=False)
    else:
        _BLOCK_CACHE.move_to_end(digest)
    indicator_id, kind = block[0], block[1]
    return {(indicator_id, *place, kind): reason for place, reason in cached.items()}  # type: ignore[misc]


def hidden_cells(
    rows: Iterable[Row],
    indicators: Mapping[int, Indicator],
    *,
    region_of: Mapping[str, str] | None = None,
    geography: Geography | None = None,
) -> dict[Key, str]:
    """The cells to hide among ``rows``, each with its reason, ``PRIMARY`` or ``SECONDARY``.

    ``rows`` must hold whole blocks (every row of each block they touch), placed by
    ``geography`` (or ``region_of``: departments and regions only; neither: a block per
    territory, without space sums). For the pages, ``hidden_for`` reads the blocks itself.
    """
    if geography is None and region_of is not None:
        geography = Geography.from_regions(region_of)
    threshold = small_cell_threshold()
    blocks, hidden = _blocks(rows, indicators, geography, threshold)
    for block, table in blocks.items():
        hidden.update(_solve(block, table, indicators[block[0]].aggregation, geography, threshold))
    return hidden


class DataChanged(Exception):
    """The aggregate table was rebuilt while a page was reading it: read again."""


def _block_where() -> str:
    return """a.indicator_id = ANY(%(ids)s::bigint[]) AND a.kind = ANY(%(kinds)s::text[])
        AND a.period_start BETWEEN %(first)s AND %(last)s"""


def _places_for(places: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """The places (as ``Geography``) of the regions of the given territories (one query)."""
    commune, department = Commune._meta.db_table, Department._meta.db_table
    sql = f"""
    WITH wanted AS (SELECT * FROM unnest(%(levels)s::text[], %(codes)s::text[]) AS w(level, code)),
    regions AS (
        SELECT w.code AS region FROM wanted w WHERE w.level = '{REGION}'
        UNION SELECT d.region_id FROM wanted w JOIN {department} d ON w.level = '{DEPARTMENT}' AND d.code = w.code
        UNION SELECT d.region_id FROM wanted w
            JOIN {commune} c ON w.level = '{COMMUNE}' AND c.code = w.code
            JOIN {department} d ON d.code = c.department_id
        UNION SELECT d.region_id FROM wanted w
            JOIN {commune} c ON w.level = '{EPCI_LEVEL}' AND c.epci_id = w.code
            JOIN {department} d ON d.code = c.department_id
    ),
    {_places_sql()}
    SELECT level, code, region, up1, up2 FROM places
    """  # noqa: S608 (names from the code)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"levels": [p[0] for p in places], "codes": [p[1] for p in places]})
        return {(level, code): (region, up1, up2) for level, code, region, up1, up2 in cursor.fetchall()}


def _region_branch(index: int, region: str, codes: Mapping[str, list[str]], params: dict[str, Any]) -> str:
    """The condition "the row is a territory of this region" (codes given: indexed look-ups, no
    join, so the plan does not depend on the table's statistics)."""
    params[f"region_{index}"] = region
    conditions = []
    for level in (REGION, DEPARTMENT, COMMUNE, EPCI_LEVEL):
        if codes.get(level):
            params[f"codes_{index}_{level}"] = codes[level]
            conditions.append(
                f"(a.territory_level = '{level}' AND a.territory_code = ANY(%(codes_{index}_{level})s::text[]))"
            )
    return " OR ".join(conditions) or "FALSE"


def hidden_for(rows: Sequence[Row], indicators: Mapping[int, Indicator], *, probe: int | None = None) -> dict[Key, str]:
    """The hidden cells among ``rows`` (the cells an output shows), computed on the canonical
    blocks they belong to (read from ``AggregateValue``): the same cells whatever the output.

    Two queries when the blocks are already solved (the places of their regions, the blocks'
    digests), one more for the rows of the others. ``probe``: the id of one of ``rows`` as read;
    ``DataChanged`` if it is gone (a refresh happened in between: the caller reads its rows
    again, see ``read_values``).
    """
    shown = [(key, value) for key, value in rows if _suppressed_cell(key, indicators)]
    if not shown:
        return {}
    threshold = small_cell_threshold()
    places = _places_for(sorted({(key[1], key[2]) for key, _value in shown}))
    codes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (level, code), (region, _up1, _up2) in sorted(places.items()):
        if region != CROSS:
            codes[region][level].append(code)
    region_digest = {
        region: hashlib.sha1(  # noqa: S324 (a cache key, not a security feature)
            repr(sorted((k, v) for k, v in places.items() if v[0] == region)).encode(), usedforsecurity=False
        ).hexdigest()
        for region in codes
    }
    triples = {(key[0], key[6], key[4].year) for key, _value in shown}
    params: dict[str, Any] = {
        "ids": sorted({t[0] for t in triples}),
        "kinds": sorted({t[1] for t in triples}),
        "first": date(min(t[2] for t in triples), 1, 1),
        "last": date(max(t[2] for t in triples), 12, 31),
        "blocks": sorted(f"{i}:{k}:{y}" for i, k, y in triples),
        "threshold": threshold,
        "probe": probe or 0,
    }
    aggregate = AggregateValue._meta.db_table
    # Each block's digest: two sums of 64-bit hashes of its rows (independent of the order, so
    # no sort) and the number of rows.
    branches = [
        f"""SELECT 'block', %(region_{index})s::text, a.indicator_id, a.kind, a.year,
               bool_or(a.value > 0 AND a.value < %(threshold)s),
               sum(a.h0::numeric)::text || ':' || sum(a.h1::numeric)::text,
               count(*)
        FROM (
            SELECT a.indicator_id, a.kind::text AS kind, EXTRACT(YEAR FROM a.period_start)::int AS year, a.value,
                   hashtextextended(line, 0) AS h0, hashtextextended(line, 1) AS h1
            FROM {aggregate} a, LATERAL concat_ws('|', a.territory_level, a.territory_code, a.period_kind,
                                                  a.period_start, a.breakdown, a.value) AS line
            WHERE {_block_where()} AND ({_region_branch(index, region, codes[region], params)})
        ) AS a
        WHERE a.indicator_id::text || ':' || a.kind || ':' || a.year::text = ANY(%(blocks)s::text[])
        GROUP BY 3, 4, 5"""  # noqa: S608 (names from the code)
        for index, region in enumerate(sorted(codes))
    ]
    branches.append(
        f"SELECT 'probe', NULL, NULL, NULL, NULL, EXISTS(SELECT 1 FROM {aggregate} WHERE id = %(probe)s), NULL, NULL"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        answer = cursor.fetchall()
    digests: dict[Block, tuple[str, int]] = {}
    for tag, region, indicator_id, kind, year, small, digest, count in answer:
        if tag == "probe":
            if probe and not small:
                raise DataChanged
        elif small:
            digests[(indicator_id, kind, year, region)] = (digest, count)
    hidden: dict[Key, str] = {}
    missing: dict[Block, str] = {}
    for block, (digest, count) in digests.items():
        aggregation = indicators[block[0]].aggregation
        cache_key = f"sql|{aggregation}|{threshold}|{region_digest[block[3]]}|{digest}|{count}"
        cached = _BLOCK_CACHE.get(cache_key)
        if cached is None:
            missing[block] = cache_key
            continue
        _BLOCK_CACHE.move_to_end(cache_key)
        hidden.update({(block[0], *place, block[1]): reason for place, reason in cached.items()})  # type: ignore[misc]
    if missing:
        hidden.update(_read_and_solve(missing, digests, indicators, codes, places, params, threshold, bool(probe)))
    for key, value in shown:
        place = places.get((key[1], key[2]))
        if place is None or place[0] == CROSS:  # unknown, or an EPCI straddling regions: always hidden
            count = int(value.to_integral_value())
            hidden[key] = PRIMARY if 0 < count < threshold else SECONDARY
    return {key: hidden[key] for key, _value in shown if key in hidden}


def _read_and_solve(
    missing: Mapping[Block, str],
    digests: Mapping[Block, tuple[str, int]],
    indicators: Mapping[int, Indicator],
    codes: Mapping[str, Mapping[str, list[str]]],
    places: Mapping[tuple[str, str], tuple[str, str, str]],
    params: dict[str, Any],
    threshold: int,
    check: bool,
) -> dict[Key, str]:
    """Read the rows of the blocks not solved yet, solve them and keep them in the cache."""
    params = {"threshold": threshold, "probe": params["probe"]}
    aggregate = AggregateValue._meta.db_table
    by_region: dict[str, list[Block]] = defaultdict(list)
    for block in missing:
        by_region[block[3]].append(block)
    branches = []
    for index, (region, blocks) in enumerate(sorted(by_region.items())):
        params[f"ids_{index}"] = sorted({b[0] for b in blocks})
        params[f"first_{index}"] = date(min(b[2] for b in blocks), 1, 1)
        params[f"last_{index}"] = date(max(b[2] for b in blocks), 12, 31)
        params[f"blocks_{index}"] = sorted(f"{b[0]}:{b[1]}:{b[2]}" for b in blocks)
        branches.append(
            f"""SELECT a.indicator_id, a.territory_level, a.territory_code, a.period_kind, a.period_start,
                   a.breakdown, a.kind, a.value, %(region_{index})s::text
            FROM {aggregate} a
            WHERE a.indicator_id = ANY(%(ids_{index})s::bigint[])
                AND a.period_start BETWEEN %(first_{index})s AND %(last_{index})s
                AND ({_region_branch(index, region, codes[region], params)})
                AND a.indicator_id::text || ':' || a.kind || ':' || EXTRACT(YEAR FROM a.period_start)::int::text
                    = ANY(%(blocks_{index})s::text[])"""  # noqa: S608 (names from the code)
        )
    sql = " UNION ALL ".join(branches)
    sql = f"SELECT *, (SELECT EXISTS(SELECT 1 FROM {aggregate} WHERE id = %(probe)s)) FROM ({sql}) AS fetched"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if check and (not fetched or not fetched[0][9]):
        raise DataChanged
    tables: dict[Block, dict[Key, int]] = defaultdict(dict)
    for row in fetched:
        key: Key = tuple(row[:7])  # type: ignore[assignment]
        tables[(key[0], key[6], key[4].year, row[8])][key] = int(row[7].to_integral_value())
    geography = Geography(places)
    hidden: dict[Key, str] = {}
    for block, cache_key in missing.items():
        table = tables.get(block, {})
        if len(table) != digests[block][1]:
            raise DataChanged
        aggregation = indicators[block[0]].aggregation
        hidden.update(_solve(block, table, aggregation, geography, threshold, digest=cache_key))
    return hidden


def read_values(queryset: Any, indicators: Mapping[int, Indicator], *, hide: bool) -> tuple[list[Row], dict[Key, str]]:
    """The rows of ``queryset`` and, with ``hide``, the hidden ones among them (``hidden_for``),
    read again if a refresh happened in between."""
    for _attempt in range(3):
        raw = list(queryset.values_list("id", *VALUE_FIELDS))
        rows: list[Row] = [(tuple(r[1:8]), r[8]) for r in raw]  # type: ignore[misc]
        if not hide:
            return rows, {}
        try:
            return rows, hidden_for(rows, indicators, probe=max((r[0] for r in raw), default=None))
        except DataChanged:
            continue
    raise DataChanged


def marker(reason: str) -> str:
    """What a hidden cell shows: "< 5" or "s"."""
    if reason == PRIMARY:
        return primary_marker()
    return secondary_marker() if reason else ""


class Values:
    """The rows read, with the hidden ones: ``figure(key)``."""

    def __init__(self, rows: list[Row], hidden: Mapping[Key, str], units: Mapping[int, str]):
        self.values: dict[Key, Decimal] = dict(rows)
        self.hidden = hidden
        self.units = units
        self.markers = {reason: marker(reason) for reason in set(hidden.values())}
        self.by_indicator: dict[int, list[Key]] = defaultdict(list)
        for key in self.values:
            self.by_indicator[key[0]].append(key)

    def figure(self, key: Key) -> Figure:
        unit = self.units.get(key[0], "")
        reason = self.hidden.get(key)
        if reason:
            return Figure(None, self.markers[reason], unit)
        return Figure(self.values.get(key), "", unit)

    def __contains__(self, key: Key) -> bool:
        return key in self.values


def value_rows(queryset: Any) -> list[Row]:
    return [(tuple(row[:7]), row[7]) for row in queryset.values_list(*VALUE_FIELDS)]  # type: ignore[misc]


# --- Dashboard -----------------------------------------------------------------------------


@dataclass
class BreakdownTable:
    dimension: str
    label: str
    total: Figure
    rows: list[tuple[str, Figure, str]]  # (part label, figure, share text)


@dataclass
class Card:
    """One indicator on the dashboard."""

    indicator: Indicator
    actual: Figure
    actual_period: str
    target: Figure
    baseline: Figure
    baseline_period: str
    previous: Figure
    status: str = ""  # "reached", "behind", "" (no target, neutral, hidden)
    status_text: str = ""
    progress: int | None = None  # % of the target reached (direction up)
    trend: str = ""  # "up", "down", "stable", ""
    trend_text: str = ""
    trend_good: bool | None = None
    scale: str = "years"
    x_labels: list[str] = field(default_factory=list)
    series: list[tuple[str, list[Figure]]] = field(default_factory=list)
    breakdowns: list[BreakdownTable] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        figures = [f for _name, series in self.series for f in series] + [self.actual]
        return any(f.value is not None or f.hidden for f in figures)


@dataclass
class Dashboard:
    territory: Territory
    year: int
    domain: str
    cards: list[Card]
    refreshed_at: datetime | None
    suppressed: bool

    @property
    def by_domain(self) -> list[tuple[str, str, list[Card]]]:
        labels = dict(enums.Domain.choices)
        groups: dict[str, list[Card]] = {}
        for card in self.cards:
            groups.setdefault(card.indicator.domain, []).append(card)
        return [(domain, str(labels.get(domain, domain)), cards) for domain, cards in groups.items()]


def latest_year(territory: Territory) -> int | None:
    """The latest year with an actual value for the territory (one query)."""
    start = (
        AggregateValue.objects.filter(
            territory_level=territory.level, territory_code=territory.code, kind=ValueKind.ACTUAL
        )
        .aggregate(latest=Max("period_start"))
        .get("latest")
    )
    return start.year if start else None


def last_refresh() -> datetime | None:
    return (
        RefreshRun.objects.filter(finished_at__isnull=False, error="")
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )


def _cell(indicator: Indicator, territory: Territory, period: Period, kind: str, breakdown: str = "") -> Key:
    return (indicator.pk, territory.level, territory.code, period.kind, period.start, breakdown, kind)


def _scale(requested: str, available: set[str]) -> str:
    if requested in ("years", "quarters", "months"):
        return requested
    if PeriodKind.MONTH in available:
        return "months"
    if PeriodKind.QUARTER in available:
        return "quarters"
    return "years"


def _status(card: Card) -> None:
    indicator, actual, target = card.indicator, card.actual, card.target
    if actual.known and target.known and indicator.direction != Direction.NEUTRAL:
        actual_value, target_value = actual.value or Decimal(0), target.value or Decimal(0)
        if indicator.direction == Direction.UP:
            reached = actual_value >= target_value
            if target_value > 0:
                card.progress = int(actual_value * 100 / target_value)
        else:
            reached = actual_value <= target_value
        card.status = "reached" if reached else "behind"
        if reached:
            card.status_text = _("Target reached")
        elif indicator.direction == Direction.UP:
            card.status_text = _("Below the target")
        else:
            card.status_text = _("Above the target")
    if actual.known and card.previous.known:
        now, before = actual.value or Decimal(0), card.previous.value or Decimal(0)
        if now > before:
            card.trend = "up"
        elif now < before:
            card.trend = "down"
        else:
            card.trend = "stable"
        if card.trend != "stable" and indicator.direction != Direction.NEUTRAL:
            card.trend_good = (card.trend == "up") == (indicator.direction == Direction.UP)
        words = {
            "up": _("Up on the previous year"),
            "down": _("Down on the previous year"),
            "stable": _("Stable on the previous year"),
        }
        card.trend_text = words[card.trend]
        if card.trend_good is True:
            card.trend_text += " " + _("(improving)")
        elif card.trend_good is False:
            card.trend_text += " " + _("(worsening)")


def _breakdowns(card: Card, values: Values, territory: Territory, year: Period) -> list[BreakdownTable]:
    indicator = card.indicator
    tables = []
    total = values.figure(_cell(indicator, territory, year, ValueKind.ACTUAL))
    shares = indicator.unit == Unit.COUNT and total.known and total.value
    for dimension in indicator.breakdowns:
        parts = enums.BREAKDOWN_PARTS.get(dimension, ())
        keys = [
            (label, _cell(indicator, territory, year, ValueKind.ACTUAL, f"{dimension}={part}")) for part, label in parts
        ]
        if not any(key in values for _label, key in keys):
            continue
        rows = []
        for label, key in keys:
            figure = values.figure(key)
            share = ""
            if shares and figure.known and figure.value is not None and total.value:
                share = format_value(figure.value * 100 / total.value, Unit.PERCENT)
            rows.append((str(label), figure, share))
        tables.append(BreakdownTable(dimension, str(DIMENSION_LABELS.get(dimension, dimension)), total, rows))
    return tables


def _card(indicator: Indicator, values: Values, territory: Territory, year: int, scale: str) -> Card:
    current = Period(PeriodKind.YEAR, date(year, 1, 1))
    previous = Period(PeriodKind.YEAR, date(year - 1, 1, 1))

    def figure(period: Period, kind: str, breakdown: str = "") -> Figure:
        return values.figure(_cell(indicator, territory, period, kind, breakdown))

    actual, actual_period = figure(current, ValueKind.ACTUAL), current
    if actual.value is None and not actual.hidden:  # no yearly value: the latest quarter or month of the year
        for sub in sorted(
            (p for kind in (PeriodKind.QUARTER, PeriodKind.MONTH) for p in current.children(kind)),
            key=lambda p: (p.end, p.kind == PeriodKind.QUARTER),
            reverse=True,
        ):
            if _cell(indicator, territory, sub, ValueKind.ACTUAL) in values:
                actual, actual_period = figure(sub, ValueKind.ACTUAL), sub
                break
    baseline, baseline_period = Figure(unit=indicator.unit), ""
    baselines = sorted(
        (key for key in values.by_indicator.get(indicator.pk, ()) if key[6] == ValueKind.BASELINE and not key[5]),
        key=lambda key: Period(key[3], key[4]).end,
    )
    baselines = [key for key in baselines if Period(key[3], key[4]).end <= current.end]
    if baselines:
        baseline, baseline_period = values.figure(baselines[-1]), Period(baselines[-1][3], baselines[-1][4]).code
    card = Card(
        indicator=indicator,
        actual=actual,
        actual_period=actual_period.code,
        target=figure(current, ValueKind.TARGET),
        baseline=baseline,
        baseline_period=baseline_period,
        previous=figure(previous, ValueKind.ACTUAL),
    )
    _status(card)
    available = {
        key[3]
        for key in values.by_indicator.get(indicator.pk, ())
        if key[6] == ValueKind.ACTUAL and not key[5] and key[4].year == year
    }
    card.scale = _scale(scale, available)
    if card.scale == "years":
        periods = [Period(PeriodKind.YEAR, date(y, 1, 1)) for y in range(year - TREND_YEARS + 1, year + 1)]
    else:
        periods = current.children(PeriodKind.MONTH if card.scale == "months" else PeriodKind.QUARTER)
    card.x_labels = [p.code for p in periods]
    card.series = [(str(_("Actual")), [figure(p, ValueKind.ACTUAL) for p in periods])]
    targets = [figure(p, ValueKind.TARGET) for p in periods]
    if any(t.value is not None for t in targets):
        card.series.append((str(_("Target")), targets))
    elif (
        card.scale != "years" and card.target.known and indicator.aggregation in (Aggregation.LAST, Aggregation.AVERAGE)
    ):
        # A stock or a rate: the year's target applies to each of its months or quarters.
        label = _("Target %(year)s") % {"year": year}
        card.series.append((label, [card.target] * len(periods)))
    card.breakdowns = _breakdowns(card, values, territory, current)
    return card


def dashboard_data(
    *, territory: Territory, year: int, domain: str = "", scale: str = "auto", hide: bool, trend: bool = True
) -> Dashboard:
    """The dashboard of a territory for a year: three queries (indicators, values, last refresh),
    and with ``hide`` those of ``hidden_for`` (one when the blocks are already solved).

    Without ``trend`` (the overview), only the year and the previous one are read, and the
    series cover them only (the hidden cells are those of the canonical blocks all the same).
    """
    indicators = list(Indicator.objects.filter(is_active=True, **({"domain": domain} if domain else {})))
    by_id = {indicator.pk: indicator for indicator in indicators}
    first = date(year - (TREND_YEARS - 1 if trend else 1), 1, 1)
    last = date(year, 12, 31)
    queryset = AggregateValue.objects.filter(
        Q(period_start__range=(first, last)) | Q(kind=ValueKind.BASELINE, period_start__lte=last),
        territory_level=territory.level,
        territory_code=territory.code,
        indicator_id__in=list(by_id),
    )
    rows, hidden = read_values(queryset, by_id, hide=hide) if by_id else ([], {})
    values = Values(rows, hidden, {i.pk: i.unit for i in indicators})
    cards = [_card(indicator, values, territory, year, scale if trend else "years") for indicator in indicators]
    return Dashboard(territory, year, domain, cards, last_refresh(), hide)


# --- One indicator's table -----------------------------------------------------------------


@dataclass
class IndicatorTable:
    """Rows: the territory (and a region's departments); columns: periods."""

    indicator: Indicator
    periods: list[Period]
    territories: list[Territory]
    actual: list[tuple[Territory, list[Figure]]]
    target: list[tuple[Territory, list[Figure]]]
    baseline: list[tuple[Territory, list[Figure]]]


def sub_territories(territory: Territory) -> list[Territory]:
    """The territory, then its departments if it is a region (one query for a region)."""
    result = [territory]
    if territory.level == TerritoryLevel.REGION:
        result += [
            Territory(TerritoryLevel.DEPARTMENT, code, name)
            for code, name in Department.objects.filter(region_id=territory.code)
            .order_by("code")
            .values_list("code", "name")
        ]
    return result


def indicator_table(
    *, indicator: Indicator, territory: Territory, year: int, scale: str = "years", hide: bool
) -> IndicatorTable:
    """The values of one indicator for a territory (and a region's departments) by period."""
    territories = sub_territories(territory)
    current = Period(PeriodKind.YEAR, date(year, 1, 1))
    if scale == "months":
        periods = current.children(PeriodKind.MONTH)
    elif scale == "quarters":
        periods = current.children(PeriodKind.QUARTER)
    else:
        periods = [Period(PeriodKind.YEAR, date(y, 1, 1)) for y in range(year - TREND_YEARS + 1, year + 1)]
    where = Q()
    for level in {t.level for t in territories}:
        where |= Q(territory_level=level, territory_code__in=[t.code for t in territories if t.level == level])
    queryset = AggregateValue.objects.filter(
        where,
        indicator=indicator,
        period_kind=periods[0].kind,
        breakdown="",
        period_start__range=(periods[0].start, current.end),
    )
    # The hidden cells are those of the canonical blocks (the same as the dashboard's, the API's...).
    rows, hidden = read_values(queryset, {indicator.pk: indicator}, hide=hide)
    values = Values(rows, hidden, {indicator.pk: indicator.unit})

    def line(kind: str) -> list[tuple[Territory, list[Figure]]]:
        return [
            (t, [values.figure((indicator.pk, t.level, t.code, p.kind, p.start, "", kind)) for p in periods])
            for t in territories
        ]

    def present(lines: list[tuple[Territory, list[Figure]]]) -> list[tuple[Territory, list[Figure]]]:
        return lines if any(f.value is not None or f.hidden for _t, figures in lines for f in figures) else []

    return IndicatorTable(
        indicator,
        periods,
        territories,
        line(ValueKind.ACTUAL),
        present(line(ValueKind.TARGET)),
        present(line(ValueKind.BASELINE)),
    )
