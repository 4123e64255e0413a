"""Exports of the Indicators module: the dashboard's and an indicator's tables (CSV, XLSX), and the
open data (CSV of every aggregate value of the departments and regions, by year and quarter).

Formats as the other exports (``core.exports``): CSV in UTF-8 with a BOM, ``;`` separated; XLSX
in write-only mode; text cells never run as formulas. Hidden cells hold their marker ("< 5",
"s"), and a note explains them (the last lines of the CSV, a "Notes" sheet in the XLSX).

Open data: always suppressed, whoever downloads it (it is published), on the canonical blocks
of ``selectors`` (one indicator × kind × year × a region with its departments, communes and
EPCIs, every period of the year and every breakdown): the same hidden cells as the pages, the
API and the reviews. The blocks are read whole (communes and months too), the file keeps the
regions and departments by year and quarter. A hidden value is an empty ``value`` with
``suppressed`` set to ``primary`` or ``secondary``. Its columns are described by
``open_data_schema`` (JSON, Table Schema style). Rows are streamed, read by ``iterator()`` one
indicator × year at a time (one query, so one state of the table).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _

from maillage.core.exports import XLSX_CONTENT_TYPE, csv_lines, xlsx_append, xlsx_bytes, xlsx_sheet, xlsx_workbook
from maillage.core.suppression import small_cell_threshold
from maillage.territory.models import Department

from . import enums, selectors
from .models import AggregateValue, Indicator
from .periods import Period

FORMATS = ("csv", "xlsx")


def _breakdown_label(breakdown: str) -> str:
    if not breakdown:
        return _("Total")
    dimension, _sep, part = breakdown.partition("=")
    label = selectors.PART_LABELS.get(dimension, {}).get(part, part)
    return f"{selectors.DIMENSION_LABELS.get(dimension, dimension)}: {label}"


def dashboard_rows(data: selectors.Dashboard) -> tuple[list[str], list[list[Any]]]:
    """The dashboard's table: per indicator, its total row, then its breakdown parts."""
    headers = [
        _("Domain"),
        _("Code"),
        _("Indicator"),
        _("Unit"),
        _("Breakdown"),
        _("Period"),
        _("Actual"),
        _("Target"),
        _("Baseline"),
        _("Previous year"),
        _("Target reached (%)"),
        _("Against the target"),
        _("Trend"),
    ]
    domains = dict(enums.Domain.choices)
    units = dict(enums.Unit.choices)
    rows: list[list[Any]] = []
    for card in data.cards:
        indicator = card.indicator
        head = [str(domains.get(indicator.domain, "")), indicator.code, indicator.name, str(units.get(indicator.unit))]
        rows.append(
            [
                *head,
                _("Total"),
                card.actual_period,
                card.actual.export,
                card.target.export,
                card.baseline.export,
                card.previous.export,
                card.progress,
                card.status_text,
                card.trend_text,
            ]
        )
        for table in card.breakdowns:
            for label, figure, _share in table.rows:
                rows.append([*head, f"{table.label}: {label}", str(data.year), figure.export, *([None] * 4), "", ""])
    return headers, rows


def indicator_table_rows(table: selectors.IndicatorTable) -> tuple[list[str], list[list[Any]]]:
    headers = [_("Territory"), _("Code"), _("Kind of value"), *(p.code for p in table.periods)]
    kinds = dict(enums.ValueKind.choices)
    rows: list[list[Any]] = []
    for kind, lines in (
        (enums.ValueKind.ACTUAL, table.actual),
        (enums.ValueKind.TARGET, table.target),
        (enums.ValueKind.BASELINE, table.baseline),
    ):
        for territory, figures in lines:
            rows.append([territory.name, territory.key, str(kinds[kind]), *(f.export for f in figures)])
    return headers, rows


def table_response(
    fmt: str, *, title: str, headers: list[str], rows: list[list[Any]], notes: list[str], filename: str
) -> HttpResponse:
    if fmt == "xlsx":
        workbook = xlsx_workbook()
        sheet = xlsx_sheet(workbook, title, headers)
        for row in rows:
            xlsx_append(sheet, row)
        notes_sheet = xlsx_sheet(workbook, _("Notes"))
        for line in notes:
            xlsx_append(notes_sheet, [line])
        response = HttpResponse(xlsx_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
    else:
        padding = [""] * (len(headers) - 1)
        lines = csv_lines(headers, [*rows, *([note, *padding] for note in notes)])
        response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Open data -----------------------------------------------------------------------------

OPEN_DATA_FIELDS: list[tuple[str, str, str]] = [
    ("indicator", "string", "Code of the indicator (see /indicators/catalogue/)."),
    ("indicator_name", "string", "Name of the indicator, in French."),
    ("domain", "string", "Domain: " + ", ".join(enums.Domain.values) + "."),
    ("unit", "string", "Unit: " + ", ".join(enums.Unit.values) + "."),
    ("aggregation", "string", "How values add up: " + ", ".join(enums.Aggregation.values) + "."),
    ("territory_level", "string", "region or department."),
    ("territory_code", "string", "INSEE code of the region or department."),
    ("territory_name", "string", "Name of the territory."),
    ("period", "string", "A year (2024) or a quarter (2024-Q1)."),
    ("kind", "string", "baseline, target or actual."),
    ("breakdown", "string", 'Empty for the total, else "dimension=part" (e.g. sex=female).'),
    ("value", "number", "The value; empty when suppressed."),
    ("suppressed", "string", "Empty, or why the value is hidden: primary (a small count) or secondary."),
]
OPEN_DATA_LEVELS = (enums.TerritoryLevel.REGION, enums.TerritoryLevel.DEPARTMENT)
OPEN_DATA_PERIODS = (enums.PeriodKind.YEAR, enums.PeriodKind.QUARTER)


def open_data_schema() -> dict[str, Any]:
    threshold = small_cell_threshold()
    return {
        "name": "maillage-indicators",
        "title": "Maillage – indicators by department and region",
        "format": "csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ";", "header": True},
        "description": (
            "Every value of the indicators, at department and region level, by year and quarter, "
            "as rebuilt by the daily refresh job. Counts of people from 1 to "
            f"{threshold - 1} are hidden (primary suppression), and other values are hidden so that "
            "no hidden count can be computed exactly from the published sums (secondary suppression: a "
            "region is the sum of its departments, a year of its quarters, a total of its breakdown parts, "
            "a stock (rule last) of a year its value of the last quarter, where these hold). "
            "The same values are hidden in every output of the platform. Targets, rates and averages "
            "are not suppressed."
        ),
        "small_cell_threshold": threshold,
        "fields": [
            {"name": name, "type": kind, "description": description} for name, kind, description in OPEN_DATA_FIELDS
        ],
    }


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def open_data_rows() -> Iterator[list[Any]]:
    indicators = {i.pk: i for i in Indicator.objects.filter(is_active=True)}
    names: dict[tuple[str, str], str] = {}
    for code, name, region, region_name in Department.objects.values_list("code", "name", "region_id", "region__name"):
        names[(enums.TerritoryLevel.DEPARTMENT, code)] = name
        names[(enums.TerritoryLevel.REGION, region)] = region_name
    geography = selectors.Geography.load()
    suppressible = [pk for pk, indicator in indicators.items() if selectors.is_suppressible(indicator)]
    queryset = (
        AggregateValue.objects.filter(indicator_id__in=list(indicators))
        .filter(
            Q(territory_level__in=OPEN_DATA_LEVELS, period_kind__in=OPEN_DATA_PERIODS)
            | Q(indicator_id__in=suppressible, kind__in=selectors.SUPPRESSED_KINDS)  # the whole blocks
        )
        .order_by(
            "indicator_id", "period_start", "territory_level", "territory_code", "period_kind", "breakdown", "kind"
        )
        .values_list(*selectors.VALUE_FIELDS)
    )
    block: list[tuple[selectors.Key, Decimal]] = []
    current: tuple[int, int] | None = None

    def flush() -> Iterator[list[Any]]:
        hidden = selectors.hidden_cells(block, indicators, geography=geography)
        for key, value in block:
            if key[1] not in OPEN_DATA_LEVELS or key[3] not in OPEN_DATA_PERIODS:
                continue
            indicator = indicators[key[0]]
            reason = hidden.get(key, "")
            yield [
                indicator.code,
                indicator.name_fr,
                indicator.domain,
                indicator.unit,
                indicator.aggregation,
                key[1],
                key[2],
                names.get((key[1], key[2]), ""),
                Period(key[3], key[4]).code,
                key[6],
                key[5],
                None if reason else _number(value),
                reason,
            ]

    for row in queryset.iterator(chunk_size=5000):
        key: selectors.Key = tuple(row[:7])  # type: ignore[assignment]
        group = (key[0], key[4].year)
        if group != current and block:
            yield from flush()
            block = []
        current = group
        block.append((key, row[7]))
    if block:
        yield from flush()


def open_data_lines() -> Iterator[str]:
    return csv_lines([name for name, _kind, _description in OPEN_DATA_FIELDS], open_data_rows())
