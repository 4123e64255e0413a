"""Reads of the Indicators module: the dashboards, an indicator's table, the exports and the API.

Everything here reads ``AggregateValue`` (the table the refresh job rebuilds), never the source
data: a page costs a fixed, small number of indexed queries whatever the volume behind it
(``aggvalue_dashboard_idx``: territory level, code, period kind, indicator), and the Python
work is over the pre-aggregated rows of one territory, not over raw values.

Small-cell suppression (``hidden_cells``)
    For the users whose figures are suppressed (``permissions.figures_suppressed``), and always
    for the open data, the counts go through ``core.suppression``. Suppressible: indicators
    whose unit is a number of people (``count``) and whose rule is not an average, values of
    kind actual or baseline (a target describes no one). Cells are suppressed in blocks: one
    indicator, one kind, one calendar year, one territory (with ``region_of``: a region and
    its departments together). In a block, the sums a reader knows are the constraints, each
    only where it holds exactly:

    * breakdown: the total of a territory × period is the sum of the parts of each dimension;
    * time (rule ``sum``): a year is the sum of its quarters and of its months, a quarter the
      sum of its months;
    * space (rules ``sum`` and ``last``, with ``region_of``): a region is the sum of its
      departments.

    A block without any count from 1 to threshold − 1 hides nothing (checked before solving).
    The same block gives the same hidden cells on the dashboard, in its exports and in the API.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from maillage.core.suppression import (
    PRIMARY,
    Constraint,
    primary_marker,
    secondary_marker,
    small_cell_threshold,
    suppress,
)
from maillage.territory.models import Department

from . import enums
from .enums import Aggregation, Direction, PeriodKind, TerritoryLevel, Unit, ValueKind
from .models import AggregateValue, Indicator, RefreshRun
from .periods import Period
from .territories import Territory

# (indicator id, territory level, territory code, period kind, period start, breakdown, kind)
Key = tuple[int, str, str, str, date, str, str]

SUPPRESSED_KINDS = frozenset({ValueKind.ACTUAL, ValueKind.BASELINE})
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


def is_suppressible(indicator: Indicator) -> bool:
    return indicator.unit == Unit.COUNT and indicator.aggregation != Aggregation.AVERAGE


def _constraints(table: Mapping[Key, int], aggregation: str, region_of: Mapping[str, str] | None) -> list[Constraint]:
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
    if aggregation == Aggregation.SUM:
        # Time: year = Σ quarters = Σ months; quarter = Σ months.
        series: dict[tuple[str, str, str, str], dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))
        for key in table:
            series[(key[1], key[2], key[5], key[6])][key[3]].append(key)
        for by_kind in series.values():
            months = by_kind.get(PeriodKind.MONTH, [])
            for year_key in by_kind.get(PeriodKind.YEAR, []):
                add(year_key, by_kind.get(PeriodKind.QUARTER, []))
                add(year_key, months)
            by_quarter: dict[date, list[Key]] = defaultdict(list)
            for month_key in months:
                start = month_key[4]
                by_quarter[date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)].append(month_key)
            for quarter_key in by_kind.get(PeriodKind.QUARTER, []):
                add(quarter_key, by_quarter.get(quarter_key[4], []))
    if region_of and aggregation in (Aggregation.SUM, Aggregation.LAST):
        # Space: region = Σ its departments.
        departments: dict[tuple[str, str, date, str, str], list[Key]] = defaultdict(list)
        for key in table:
            if key[1] == TerritoryLevel.DEPARTMENT and key[2] in region_of:
                departments[(region_of[key[2]], key[3], key[4], key[5], key[6])].append(key)
        for (region, period_kind, start, breakdown, kind), parts in departments.items():
            add((parts[0][0], TerritoryLevel.REGION, region, period_kind, start, breakdown, kind), parts)
    return constraints


def hidden_cells(
    rows: Iterable[tuple[Key, Decimal]],
    indicators: Mapping[int, Indicator],
    *,
    region_of: Mapping[str, str] | None = None,
) -> dict[Key, str]:
    """The cells to hide among ``rows``, each with its reason, ``PRIMARY`` or ``SECONDARY``
    (see the module's documentation)."""
    threshold = small_cell_threshold()
    blocks: dict[tuple[int, str, int, str, str], dict[Key, int]] = defaultdict(dict)
    for key, value in rows:
        indicator = indicators.get(key[0])
        if indicator is None or key[6] not in SUPPRESSED_KINDS or not is_suppressible(indicator):
            continue
        group = (key[1], key[2])
        if region_of is not None:
            if key[1] == TerritoryLevel.DEPARTMENT and key[2] in region_of:
                group = (TerritoryLevel.REGION, region_of[key[2]])
        blocks[(key[0], key[6], key[4].year, *group)][key] = int(value.to_integral_value())
    hidden: dict[Key, str] = {}
    for (indicator_id, *_rest), table in blocks.items():
        if not any(0 < count < threshold for count in table.values()):
            continue
        hidden.update(_suppress_block(table, indicators[indicator_id].aggregation, region_of, threshold))
    return hidden


# Suppression of a block depends only on its cells, its rule and the threshold: the result is
# kept in memory under a digest of them (the aggregate table changes once a day, the pages are
# read many times), so a page does not solve the same blocks again. Bounded; per process.
_BLOCK_CACHE: OrderedDict[str, dict[Key, str]] = OrderedDict()
BLOCK_CACHE_SIZE = 20_000


def _suppress_block(
    table: dict[Key, int], aggregation: str, region_of: Mapping[str, str] | None, threshold: int
) -> dict[Key, str]:
    space = (
        None if region_of is None else sorted((k[2], region_of.get(k[2], "")) for k in table if k[1] == "department")
    )
    digest = hashlib.sha1(  # noqa: S324 (a cache key, not a security feature)
        repr((aggregation, threshold, space, sorted(table.items()))).encode(), usedforsecurity=False
    ).hexdigest()
    cached = _BLOCK_CACHE.get(digest)
    if cached is not None:
        _BLOCK_CACHE.move_to_end(digest)
        return cached
    result = suppress(table, _constraints(table, aggregation, region_of), threshold=threshold).hidden
    _BLOCK_CACHE[digest] = result
    if len(_BLOCK_CACHE) > BLOCK_CACHE_SIZE:
        _BLOCK_CACHE.popitem(last=False)
    return result


def marker(reason: str) -> str:
    """What a hidden cell shows: "< 5" or "s"."""
    if reason == PRIMARY:
        return primary_marker()
    return secondary_marker() if reason else ""


def region_of_departments() -> dict[str, str]:
    """{department code: region code} (one query)."""
    return dict(Department.objects.values_list("code", "region_id"))


class Values:
    """The rows read, with the hidden ones: ``figure(key)``."""

    def __init__(self, rows: list[tuple[Key, Decimal]], hidden: Mapping[Key, str], units: Mapping[int, str]):
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


def value_rows(queryset: Any) -> list[tuple[Key, Decimal]]:
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
    if actual.value is None:  # no yearly value: the latest quarter or month of the year
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
    """The dashboard of a territory for a year: three queries (indicators, values, last refresh).

    Without ``trend`` (the overview), only the year and the previous one are read (their whole
    blocks: the same cells are hidden as on the domain's page), and the series cover them only.
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
    rows = value_rows(queryset) if by_id else []
    hidden = hidden_cells(rows, by_id) if hide else {}
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
    """The values of one indicator for a territory (and a region's departments) by period (the
    totals; the breakdowns are read too, so that suppression sees the same sums as the dashboard)."""
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
    rows = value_rows(
        AggregateValue.objects.filter(
            where,
            indicator=indicator,
            period_start__range=(date(periods[0].start.year, 1, 1), current.end),
        )
    )
    region_of = {t.code: territory.code for t in territories[1:]} if territory.level == TerritoryLevel.REGION else None
    # The suppression blocks cover the whole year (all its periods): the same as the dashboard's.
    hidden = hidden_cells(rows, {indicator.pk: indicator}, region_of=region_of) if hide else {}
    values = Values(rows, hidden, {indicator.pk: indicator.unit})

    def line(kind: str) -> list[tuple[Territory, list[Figure]]]:
        return [
            (t, [values.figure((indicator.pk, t.level, t.code, p.kind, p.start, "", kind)) for p in periods])
            for t in territories
        ]

    def present(lines: list[tuple[Territory, list[Figure]]]) -> list[tuple[Territory, list[Figure]]]:
        return lines if any(f.value is not None for _t, figures in lines for f in figures) else []

    return IndicatorTable(
        indicator,
        periods,
        territories,
        line(ValueKind.ACTUAL),
        present(line(ValueKind.TARGET)),
        present(line(ValueKind.BASELINE)),
    )
