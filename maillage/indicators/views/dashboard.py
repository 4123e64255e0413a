"""Dashboards, the catalogue and the exports of the Indicators module.

- ``dashboard`` (``/indicators/?territory=department:59&year=2025&domain=&scale=``): for each
  indicator (of a domain, or all of them), the actual value of the year against its target and
  baseline, the trend on the previous year; with a domain chosen, a chart of the trend (months,
  quarters or years, with the target) and its data table, and the breakdown tables. Without
  a domain, an overview: the key figures of every domain, without charts.
- ``catalogue`` and ``indicator_detail`` (definition, rules, a table of values by territory and
  period).
- ``export`` (``csv``/``xlsx``): the dashboard's table, or with ``?indicator=<code>`` the
  indicator's table, with the same filters as the page.
- ``open_data`` (CSV) and ``open_data_schema`` (JSON description): public, always suppressed.

Everything reads ``AggregateValue`` through ``selectors.py`` (a fixed number of queries). The
figures of users outside the State services are suppressed (``figures_suppressed``) on the
pages and in the exports alike, on the canonical blocks of ``selectors`` (the same hidden cells
as the API, the open data and the reviews). An inactive indicator is not found (404).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.charts import chart_table, line_chart
from maillage.core.suppression import marker_legend
from maillage.living_sites.permissions import site_scope
from maillage.territory.models import Department

from .. import enums, exports, selectors
from ..models import Indicator
from ..permissions import can_view_indicators, figures_suppressed
from ..territories import Territory

SCALE_CHOICES = (
    ("auto", gettext_lazy("Finest available")),
    ("years", gettext_lazy("Years")),
    ("quarters", gettext_lazy("Quarters of the year")),
    ("months", gettext_lazy("Months of the year")),
)
MIN_YEAR, MAX_YEAR = 2000, 2100


# --- Filters -------------------------------------------------------------------------------


def territory_choices() -> tuple[list[Any], dict[str, Territory]]:
    """Regions and departments for the select (one query), and the territories by key."""
    regions: dict[str, str] = {}
    departments = []
    for code, name, region_code, region_name in Department.objects.order_by("code").values_list(
        "code", "name", "region_id", "region__name"
    ):
        regions[region_code] = region_name
        departments.append(Territory(enums.TerritoryLevel.DEPARTMENT, code, name))
    region_list = [Territory(enums.TerritoryLevel.REGION, code, name) for code, name in regions.items()]
    region_list.sort(key=lambda t: t.name)
    known = {t.key: t for t in [*region_list, *departments]}
    choices = [
        (_("Regions"), [(t.key, t.name) for t in region_list]),
        (_("Departments"), [(t.key, f"{t.code} – {t.name}") for t in departments]),
    ]
    return choices, known


class DashboardFilters(forms.Form):
    territory = forms.ChoiceField(label=gettext_lazy("Territory"))
    domain = forms.ChoiceField(label=gettext_lazy("Domain"), required=False)
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
    scale = forms.ChoiceField(label=gettext_lazy("Trend by"), choices=SCALE_CHOICES, required=False)

    def __init__(self, *args: Any, territories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = territories  # type: ignore[attr-defined]
        domains = [("", _("All domains (overview)")), *enums.Domain.choices]
        self.fields["domain"].choices = domains  # type: ignore[attr-defined]


def _default_territory(user: Any, known: dict[str, Territory]) -> Territory:
    """The first department of the user's organisations, else the first region."""
    for code in sorted((site_scope(user).roles or {}).keys()):
        territory = known.get(f"{enums.TerritoryLevel.DEPARTMENT}:{code}")
        if territory is not None:
            return territory
    regions = [t for t in known.values() if t.level == enums.TerritoryLevel.REGION]
    if not regions:
        raise Http404
    return regions[0]


class Filters:
    """The filters of the dashboard, its exports and the indicator's page, read from GET."""

    def __init__(self, request: HttpRequest) -> None:
        choices, known = territory_choices()
        data = request.GET.copy()
        key = data.get("territory", "")
        territory = known.get(key)
        error = ""
        if territory is None and key:
            try:
                territory = Territory.parse(key)  # an EPCI or a commune, given in the URL
                choices = [*choices, (_("Other"), [(territory.key, str(territory))])]
            except ValueError as exc:
                error = str(exc)
        if territory is None:
            territory = _default_territory(request.user, known)
            data["territory"] = territory.key
        if not data.get("year"):  # the latest year with figures (one query)
            data["year"] = str(selectors.latest_year(territory) or timezone.localdate().year)
        self.form = DashboardFilters(data, territories=choices)
        self.form.is_valid()
        if error:
            self.form.add_error("territory", error)
        cleaned = getattr(self.form, "cleaned_data", {})
        self.territory = territory
        self.domain = cleaned.get("domain") or ""
        self.scale = cleaned.get("scale") or "auto"
        self.year: int = cleaned.get("year") or timezone.localdate().year

    def query(self, **extra: Any) -> str:
        params = {"territory": self.territory.key, "year": self.year, "domain": self.domain, "scale": self.scale}
        params.update(extra)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _check(request: HttpRequest) -> None:
    if not can_view_indicators(request.user):
        raise Http404


# --- Dashboard -----------------------------------------------------------------------------


def _chart(card: selectors.Card, territory: Territory) -> dict[str, Any]:
    indicator = card.indicator
    series = [(name, [f.number for f in figures]) for name, figures in card.series]
    description = _("%(indicator)s in %(territory)s, %(first)s to %(last)s.") % {
        "indicator": indicator.name,
        "territory": territory.name or territory.key,
        "first": card.x_labels[0],
        "last": card.x_labels[-1],
    }
    if card.actual.known:
        description += " " + _("Actual %(period)s: %(value)s.") % {
            "period": card.actual_period,
            "value": card.actual.text,
        }
    if card.target.known:
        description += " " + _("Target: %(value)s.") % {"value": card.target.text}
    return {
        "chart": line_chart(title=indicator.name, x_labels=card.x_labels, series=series, description=description),
        "chart_table": chart_table(card.x_labels, [(name, [f.text for f in figures]) for name, figures in card.series]),
        "chart_caption": _("%(indicator)s: figures of the chart") % {"indicator": indicator.name},
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    _check(request)
    filters = Filters(request)
    hide = figures_suppressed(request.user)
    data = selectors.dashboard_data(
        territory=filters.territory,
        year=filters.year,
        domain=filters.domain,
        scale=filters.scale,
        hide=hide,
        trend=bool(filters.domain),
    )
    cards = []
    for card in data.cards:
        entry: dict[str, Any] = {"card": card}
        if filters.domain and card.has_values:
            entry.update(_chart(card, filters.territory))
        cards.append(entry)
    domain_labels = dict(enums.Domain.choices)
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in cards:
        groups.setdefault(entry["card"].indicator.domain, []).append(entry)
    return render(
        request,
        "indicators/dashboard/dashboard.html",
        {
            "filters": filters,
            "form": filters.form,
            "data": data,
            "groups": [(domain, domain_labels.get(domain, domain), entries) for domain, entries in groups.items()],
            "query": filters.query(),
            "overview": not filters.domain,
            "legend": marker_legend() if hide else "",
        },
    )


# --- Catalogue -----------------------------------------------------------------------------


def catalogue(request: HttpRequest) -> HttpResponse:
    _check(request)
    domain = request.GET.get("domain", "")
    indicators = Indicator.objects.filter(is_active=True)
    if domain in enums.Domain.values:
        indicators = indicators.filter(domain=domain)
    else:
        domain = ""
    labels = dict(enums.Domain.choices)
    groups: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        groups.setdefault(indicator.domain, []).append(indicator)
    return render(
        request,
        "indicators/catalogue/list.html",
        {
            "groups": [(key, labels.get(key, key), items) for key, items in groups.items()],
            "domains": enums.Domain.choices,
            "domain": domain,
            "count": sum(len(items) for items in groups.values()),
        },
    )


RULE_TEXTS: dict[str, Any] = {
    enums.Aggregation.SUM: gettext_lazy(
        "The values of the communes add up to the department's, those of the departments to the region's; "
        "the months add up to the quarter, the quarters to the year."
    ),
    enums.Aggregation.AVERAGE: gettext_lazy(
        "A territory's value is the mean of the values inside it, and a period's the mean of its sub-periods."
    ),
    enums.Aggregation.LAST: gettext_lazy(
        "A period's value is the latest value known in it (a stock, not a flow); territories add up."
    ),
    enums.Aggregation.DISTINCT_COUNT: gettext_lazy(
        "Distinct count: a person is counted once, so values never add up; each territory and period is "
        "computed directly."
    ),
}


def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    _check(request)
    indicator = Indicator.objects.filter(code=code, is_active=True).first()
    if indicator is None:
        raise Http404
    filters = Filters(request)
    hide = figures_suppressed(request.user)
    scale = filters.scale if filters.scale in ("years", "quarters", "months") else "years"
    table = selectors.indicator_table(
        indicator=indicator, territory=filters.territory, year=filters.year, scale=scale, hide=hide
    )
    return render(
        request,
        "indicators/catalogue/detail.html",
        {
            "indicator": indicator,
            "filters": filters,
            "form": filters.form,
            "table": table,
            "rule": RULE_TEXTS.get(indicator.aggregation, ""),
            "breakdowns": [enums.Breakdown(b).label for b in indicator.breakdowns if b in enums.Breakdown.values],
            "query": filters.query(scale=scale),
            "legend": marker_legend() if hide else "",
        },
    )


# --- Exports -------------------------------------------------------------------------------


def export(request: HttpRequest, fmt: str) -> HttpResponse:
    _check(request)
    if fmt not in exports.FORMATS:
        raise Http404
    filters = Filters(request)
    hide = figures_suppressed(request.user)
    code = request.GET.get("indicator", "")
    notes = [
        _("Territory: %(territory)s. Year: %(year)s.") % {"territory": filters.territory, "year": filters.year},
    ]
    if code:
        indicator = Indicator.objects.filter(code=code, is_active=True).first()
        if indicator is None:
            raise Http404
        scale = filters.scale if filters.scale in ("years", "quarters", "months") else "years"
        table = selectors.indicator_table(
            indicator=indicator, territory=filters.territory, year=filters.year, scale=scale, hide=hide
        )
        headers, rows = exports.indicator_table_rows(table)
        name = f"indicator-{indicator.code}"
        title = indicator.code
    else:
        data = selectors.dashboard_data(
            territory=filters.territory, year=filters.year, domain=filters.domain, scale="years", hide=hide
        )
        headers, rows = exports.dashboard_rows(data)
        name = "dashboard"
        title = _("Indicators")
    if hide:
        notes.append(marker_legend())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"maillage-{name}-{filters.territory.level}-{filters.territory.code}-{filters.year}-{stamp}.{fmt}"
    return exports.table_response(fmt, title=str(title), headers=headers, rows=rows, notes=notes, filename=filename)


@login_not_required
def open_data(request: HttpRequest) -> StreamingHttpResponse:
    """All aggregate values of the departments and regions, by year and quarter, suppressed."""
    response = StreamingHttpResponse(exports.open_data_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="maillage-indicators-{date.today():%Y%m%d}.csv"'
    return response


@login_not_required
def open_data_schema(request: HttpRequest) -> JsonResponse:
    return JsonResponse(exports.open_data_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2})


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("catalogue/", catalogue, name="catalogue"),
    path("catalogue/<slug:code>/", indicator_detail, name="indicator_detail"),
    path("export.<str:fmt>", export, name="export"),
    path("open-data.csv", open_data, name="open_data"),
    path("open-data.json", open_data_schema, name="open_data_schema"),
]
