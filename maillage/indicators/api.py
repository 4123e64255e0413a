"""JSON API of the Indicators module (mounted under ``/api/v1/``).

``GET /indicators`` (filters ``domain``, ``source``; ``?limit=&offset=``, 20 by default, 100 at
most, answering ``{"items", "count"}``): the active indicators of the catalogue.

``GET /indicators/{code}/values?territory=&period=&breakdown=&kind=`` (paginated the same way):
values read from the pre-aggregated table.

- ``territory``: ``department:59``, ``region:32``, ``epci:…``, ``commune:…``; without it, every
  region and department.
- ``period``: ``2025``, ``2025-Q1`` or ``2025-03``; without it, every period.
- ``breakdown``: ``total`` (the totals), a dimension (``sex``: its parts) or a part
  (``sex=female``); without it, everything.
- ``kind``: ``actual``, ``target`` or ``baseline``.

Bad filters answer 422 on their field; an unknown or inactive indicator 404. For users outside
the State services (``figures_suppressed``), small counts are null and named in ``suppressed``
(``primary`` or ``secondary``). The hidden cells are those of the canonical blocks (indicator ×
kind × year × a region with everything inside it, ``selectors.hidden_for``), whatever the
filters: two calls with different filters hide the same cells, as do the pages and the open data.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from . import enums, selectors
from .models import AggregateValue, Indicator
from .periods import Period
from .permissions import can_view_indicators, figures_suppressed
from .territories import Territory

router = Router(tags=["indicators"])

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class IndicatorFilters(Schema):
    domain: enums.Domain | None = None
    source: enums.Source | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class IndicatorOut(Schema):
    code: str
    name: str
    name_fr: str
    name_en: str
    definition: str
    unit: enums.Unit
    domain: enums.Domain
    source: enums.Source
    breakdowns: list[str]
    aggregation: enums.Aggregation
    direction: enums.Direction
    eu_roma_objective: str
    regional_axis: str


class IndicatorList(Schema):
    items: list[IndicatorOut]
    count: int


class ValueFilters(Schema):
    territory: str = Field("", max_length=40, description="e.g. department:59 or region:32.")
    period: str = Field("", max_length=10, description="2025, 2025-Q1 or 2025-03.")
    breakdown: str = Field("", max_length=60, description='"total", a dimension ("sex") or a part ("sex=female").')
    kind: enums.ValueKind | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class ValueOut(Schema):
    territory: str = Field(..., description="level:code")
    period: str
    breakdown: str = Field(..., description='"" for the total.')
    kind: enums.ValueKind
    value: float | None
    suppressed: str = Field(..., description='"", "primary" or "secondary" (the value is then null).')


class ValueList(Schema):
    items: list[ValueOut]
    count: int


def _check(request: HttpRequest) -> None:
    if not can_view_indicators(request.user):
        raise Http404


def _indicator_out(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_fr": indicator.name_fr,
        "name_en": indicator.name_en,
        "definition": indicator.definition,
        "unit": indicator.unit,
        "domain": indicator.domain,
        "source": indicator.source,
        "breakdowns": list(indicator.breakdowns),
        "aggregation": indicator.aggregation,
        "direction": indicator.direction,
        "eu_roma_objective": indicator.eu_roma_objective,
        "regional_axis": indicator.regional_axis,
    }


@router.get("/indicators", response=IndicatorList, description="The active indicators of the catalogue.")
def list_indicators(request: HttpRequest, filters: Query[IndicatorFilters]) -> Any:
    _check(request)
    queryset = Indicator.objects.filter(is_active=True)
    if filters.domain:
        queryset = queryset.filter(domain=filters.domain)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    items = [_indicator_out(i) for i in queryset[filters.offset : filters.offset + filters.limit]]
    return {"items": items, "count": queryset.count()}


def _check_breakdown(wanted: str) -> None:
    if not wanted or wanted == "total":
        return
    dimension, sep, part = wanted.partition("=")
    parts = dict(enums.BREAKDOWN_PARTS.get(dimension, ()))
    if not parts or (sep and part not in parts):
        raise ValidationError({"breakdown": 'Unknown breakdown: write "total", "sex" or "sex=female".'})


@router.get(
    "/indicators/{code}/values",
    response=ValueList,
    description="Values of an indicator from the pre-aggregated table, filtered by territory, period, "
    "breakdown and kind. For users outside the State services, small counts are null and named in "
    "`suppressed` (primary: a count from 1 to SMALL_CELL_THRESHOLD − 1; secondary: hidden so that no hidden "
    "count can be computed from a total).",
)
def indicator_values(request: HttpRequest, code: str, filters: Query[ValueFilters]) -> Any:
    _check(request)
    indicator = Indicator.objects.filter(code=code, is_active=True).first()
    if indicator is None:
        raise Http404
    queryset = AggregateValue.objects.filter(indicator=indicator)
    if filters.territory:
        try:
            territory = Territory.parse(filters.territory)
        except ValueError as exc:
            raise ValidationError({"territory": str(exc)}) from exc
        queryset = queryset.filter(territory_level=territory.level, territory_code=territory.code)
    else:
        queryset = queryset.filter(territory_level__in=(enums.TerritoryLevel.REGION, enums.TerritoryLevel.DEPARTMENT))
    if filters.period:
        try:
            period = Period.parse(filters.period)
        except ValueError as exc:
            raise ValidationError({"period": str(exc)}) from exc
        queryset = queryset.filter(period_kind=period.kind, period_start=period.start)
    _check_breakdown(filters.breakdown)
    if filters.breakdown == "total":
        queryset = queryset.filter(breakdown="")
    elif "=" in filters.breakdown:
        queryset = queryset.filter(breakdown=filters.breakdown)
    elif filters.breakdown:
        queryset = queryset.filter(breakdown__startswith=f"{filters.breakdown}=")
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    queryset = queryset.order_by(
        "territory_level", "territory_code", "period_start", "period_kind", "breakdown", "kind"
    )
    page = queryset[filters.offset : filters.offset + filters.limit]
    # The hidden cells of the page, computed on their whole blocks (not on what was asked).
    rows, hidden = selectors.read_values(page, {indicator.pk: indicator}, hide=figures_suppressed(request.user))
    items = []
    for key, value in rows:
        reason = hidden.get(key, "")
        items.append(
            {
                "territory": f"{key[1]}:{key[2]}",
                "period": Period(key[3], key[4]).code,
                "breakdown": key[5],
                "kind": key[6],
                "value": None if reason else float(value),
                "suppressed": reason,
            }
        )
    return {"items": items, "count": queryset.count()}
