"""The annual review of a territory (``Review``): an HTML document and its PDF, structured like
the regional review of seed 004 ("bilan" of the integration policy).

Structure: a title page (territory, year, version, date), a table of contents, a summary (per
domain: indicators followed, targets met and missed), the context (the coordinator's text),
one section per domain (the coordinator's text, the key figures of the year against the target
and the previous year, a chart of the trend over the last years with its data table), a
conclusion (the coordinator's text), then the annexes: every value of the territory by year,
by department (for a region) and by breakdown.

What is read: ``AggregateValue`` only (rebuilt by the refresh job) and ``ReviewComment``. A
review is published: its counts are ALWAYS suppressed, whoever asks for it, with the hidden
cells of the canonical blocks (``selectors.hidden_for``: one indicator × kind × year × a region
with everything inside it, every period and breakdown): the same cells as the open data, the
pages and the API, so that the review and the open data, both published, cannot be combined to
give a hidden count back. Suppressed: counts of people (``Unit.COUNT``, not averages), actual
and baseline values; targets are objectives, not observations, and stay visible. The key
figures, the charts and the annexes read the same cells. A hidden value is shown as its
marker ("< 5" or "s") in the tables and left out of the charts; a rate of achievement is not
given when the value is hidden.

``review_build(review_id)`` is the job (``tasks.generate_review``): it takes a queued review
once (a second delivery does nothing), writes its progress along the way, stores the HTML
fragment (shown inside the site's pages, under its CSP: no inline style nor script) and the
PDF (WeasyPrint, the same fragment in a document carrying its print style sheet, nothing
fetched). Any error sets the review as failed, with a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from maillage.core.charts import chart_table, line_chart
from maillage.core.suppression import marker_legend, small_cell_threshold
from maillage.territory.models import Department

from . import enums, selectors
from .models import AggregateValue, Indicator, Review, ReviewComment
from .territories import Territory

logger = logging.getLogger(__name__)

CONTEXT = "context"
CONCLUSION = "conclusion"
YEARS_SHOWN = 5  # the trend: the year of the review and the four before

# Keys of the suppressed table: (indicator id, territory level, territory code, year, breakdown, kind).
Key = tuple[int, str, str, int, str, str]


def review_sections() -> list[tuple[str, str]]:
    """The sections a coordinator writes in: the context, each domain, the conclusion."""
    return [(CONTEXT, _("Context")), *((str(v), str(label)) for v, label in enums.Domain.choices)] + [
        (CONCLUSION, _("Conclusion"))
    ]


def section_keys() -> set[str]:
    return {CONTEXT, CONCLUSION, *enums.Domain.values}


# --- Reading and suppressing ------------------------------------------------------------------


@dataclass
class _Figures:
    """The values read, and the hidden ones (with their reason)."""

    values: dict[Key, Decimal]
    hidden: dict[Key, str]

    def cell(self, indicator: Indicator, key: Key) -> dict[str, Any]:
        """A table cell: ``{"text", "hidden", "value"}`` (``value``: a number for charts, or None)."""
        if key in self.hidden:
            return {"text": selectors.marker(self.hidden[key]), "hidden": True, "value": None}
        raw = self.values.get(key)
        if raw is None:
            return {"text": "–", "hidden": False, "value": None}
        return {"text": _format(raw, indicator.unit), "hidden": False, "value": raw}


def _format(value: Decimal, unit: str) -> str:
    exponent = value.normalize().as_tuple().exponent
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    text = number_format(value, decimal_pos=digits, use_l10n=True, force_grouping=True)
    if unit == enums.Unit.PERCENT:
        return f"{text} %"
    if unit == enums.Unit.EUROS:
        return f"{text} €"
    return text


def _read(territory: Territory, year: int, children: list[str], indicators: dict[int, Indicator]) -> _Figures:
    """The aggregate values the review shows, and the hidden ones among them (always)."""
    first = date(year - YEARS_SHOWN + 1, 1, 1)
    queryset = AggregateValue.objects.filter(
        indicator_id__in=list(indicators),
        period_kind=enums.PeriodKind.YEAR,
        period_start__range=(first, date(year, 1, 1)),
    ).filter(
        Q(territory_level=territory.level, territory_code=territory.code)
        | Q(
            territory_level=enums.TerritoryLevel.DEPARTMENT,
            territory_code__in=children,
            period_start=date(year, 1, 1),
            breakdown="",
        )
    )
    rows, hidden = selectors.read_values(queryset, indicators, hide=True)

    def short(key: selectors.Key) -> Key:
        return (key[0], key[1], key[2], key[4].year, key[5], key[6])

    return _Figures({short(key): value for key, value in rows}, {short(key): reason for key, reason in hidden.items()})


# --- Building the document's context ----------------------------------------------------------


@dataclass
class _Row:
    indicator: Indicator
    previous: dict[str, Any]
    actual: dict[str, Any]
    target: dict[str, Any]
    achievement: str = ""
    assessment: str = ""  # "met", "missed" or ""
    by_year: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _assess(indicator: Indicator, actual: dict[str, Any], target: dict[str, Any]) -> tuple[str, str]:
    if actual["value"] is None or target["value"] is None:
        return "", ""
    achievement = ""
    if target["value"]:
        ratio = (actual["value"] * 100 / target["value"]).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        achievement = f"{number_format(ratio, decimal_pos=0, use_l10n=True, force_grouping=True)} %"
    if indicator.direction == enums.Direction.UP:
        return achievement, "met" if actual["value"] >= target["value"] else "missed"
    if indicator.direction == enums.Direction.DOWN:
        return achievement, "met" if actual["value"] <= target["value"] else "missed"
    return achievement, ""


def _chart(rows: list[_Row], territory: Territory, all_years: list[int]) -> dict[str, Any]:
    """The trend of the domain's key indicator (the one with the most visible values other than
    zero, then with a target, then the first): its actual values and its targets over the years,
    and the same figures as a table."""

    def score(item: tuple[int, _Row]) -> tuple[int, int, int, int]:
        index, row = item
        actual = [cell["value"] for cell in row.by_year[enums.ValueKind.ACTUAL] if cell["value"] is not None]
        has_target = any(cell["value"] is not None for cell in row.by_year[enums.ValueKind.TARGET])
        return (sum(1 for v in actual if v), len(actual), int(has_target), -index)

    index, key = max(enumerate(rows), key=score)
    if not score((index, key))[1]:
        return {}
    kinds = [(enums.ValueKind.ACTUAL, _("Actual"))]
    if any(cell["value"] is not None for cell in key.by_year[enums.ValueKind.TARGET]):
        kinds.append((enums.ValueKind.TARGET, _("Target")))
    first = next(
        (i for i in range(len(all_years) - 2) if any(key.by_year[kind][i]["value"] is not None for kind, _l in kinds)),
        len(all_years) - 2,
    )
    years = all_years[first:]
    series = [(str(label), [_number(cell["value"]) for cell in key.by_year[kind][first:]]) for kind, label in kinds]
    texts = [(str(label), [cell["text"] for cell in key.by_year[kind][first:]]) for kind, label in kinds]
    labels = [str(y) for y in years]
    name = key.indicator.name
    title = _("%(indicator)s, %(first)s–%(last)s") % {"indicator": name, "first": years[0], "last": years[-1]}
    description = _(
        "%(indicator)s in %(territory)s from %(first)s to %(last)s: %(series)s. The figures are in the table below."
    ) % {
        "indicator": name,
        "territory": territory.name,
        "first": years[0],
        "last": years[-1],
        "series": ", ".join(label for label, _values in series),
    }
    svg = line_chart(title=title, x_labels=labels, series=series, description=description)
    return {"svg": svg, "title": title, "table": chart_table(labels, texts)}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def review_document(territory: Territory, year: int, *, version: int | None = None) -> dict[str, Any]:
    """Everything the review's template needs (read in a fixed number of queries)."""
    children: list[tuple[str, str]] = []
    if territory.level == enums.TerritoryLevel.REGION:
        children = list(
            Department.objects.filter(region_id=territory.code).order_by("code").values_list("code", "name")
        )
    child_codes = [code for code, _name in children]
    indicators = {i.pk: i for i in Indicator.objects.filter(is_active=True)}
    figures = _read(territory, year, child_codes, indicators)
    values = figures.values
    comments = {
        c.section: c.text
        for c in ReviewComment.objects.filter(
            territory_level=territory.level, territory_code=territory.code, year=year
        ).only("section", "text")
    }
    level, code = territory.level, territory.code
    present = {key[0] for key in values if (key[1], key[2]) == (level, code)}
    domain_order = {value: index for index, value in enumerate(enums.Domain.values)}
    ordered = sorted(
        (indicators[pk] for pk in present), key=lambda i: (domain_order.get(i.domain, 99), i.position, i.code)
    )
    all_years = list(range(year - YEARS_SHOWN + 1, year + 1))
    kinds = [str(k) for k in enums.ValueKind.values]

    def key(
        indicator: Indicator, y: int, kind: str, breakdown: str = "", where: tuple[str, str] = (level, code)
    ) -> Key:
        return (indicator.pk, where[0], where[1], y, breakdown, kind)

    domains: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    annex_years: list[dict[str, Any]] = []
    annex_departments: list[dict[str, Any]] = []
    annex_breakdowns: list[dict[str, Any]] = []
    for domain, label in enums.Domain.choices:
        domain_indicators = [i for i in ordered if i.domain == domain]
        rows = []
        for indicator in domain_indicators:
            actual = figures.cell(indicator, key(indicator, year, enums.ValueKind.ACTUAL))
            target = figures.cell(indicator, key(indicator, year, enums.ValueKind.TARGET))
            row = _Row(
                indicator=indicator,
                previous=figures.cell(indicator, key(indicator, year - 1, enums.ValueKind.ACTUAL)),
                actual=actual,
                target=target,
                by_year={kind: [figures.cell(indicator, key(indicator, y, kind)) for y in all_years] for kind in kinds},
            )
            row.achievement, row.assessment = _assess(indicator, actual, target)
            rows.append(row)
            for kind, cells in row.by_year.items():
                if any(cell["value"] is not None or cell["hidden"] for cell in cells):
                    annex_years.append(
                        {"indicator": indicator, "kind": enums.ValueKind(kind).label, "cells": cells, "domain": label}
                    )
            if children:
                cells = [figures.cell(indicator, key(indicator, year, enums.ValueKind.ACTUAL))] + [
                    figures.cell(
                        indicator,
                        key(indicator, year, enums.ValueKind.ACTUAL, where=(enums.TerritoryLevel.DEPARTMENT, child)),
                    )
                    for child in child_codes
                ]
                if any(cell["value"] is not None or cell["hidden"] for cell in cells[1:]):
                    annex_departments.append({"indicator": indicator, "cells": cells})
            for dimension in indicator.breakdowns:
                parts = enums.BREAKDOWN_PARTS.get(dimension, ())
                cells = [
                    figures.cell(indicator, key(indicator, year, enums.ValueKind.ACTUAL, f"{dimension}={part}"))
                    for part, _part_label in parts
                ]
                if any(cell["value"] is not None or cell["hidden"] for cell in cells):
                    annex_breakdowns.append(
                        {
                            "indicator": indicator,
                            "dimension": enums.Breakdown(dimension).label,
                            "total": actual,
                            "parts": [
                                {"label": part_label, "cell": cell}
                                for (_part, part_label), cell in zip(parts, cells, strict=True)
                            ],
                        }
                    )
        chart = _chart(rows, territory, all_years) if rows else {}
        key_rows = [r for r in rows if not _empty(r.actual, r.target, r.previous)]
        summary.append(
            {
                "domain": domain,
                "label": label,
                "followed": len(key_rows),
                "met": sum(1 for r in key_rows if r.assessment == "met"),
                "missed": sum(1 for r in key_rows if r.assessment == "missed"),
            }
        )
        domains.append(
            {
                "key": domain,
                "label": label,
                "comment": comments.get(domain, ""),
                "rows": key_rows,
                "chart": chart,
            }
        )
    # The annex by year starts at the first year with a value.
    annex_start = min(
        (i for line in annex_years for i, cell in enumerate(line["cells"]) if not _empty(cell)),
        default=len(all_years) - 1,
    )
    for line in annex_years:
        line["cells"] = line["cells"][annex_start:]
    return {
        "territory": territory,
        "year": year,
        "previous_year": year - 1,
        "version": version,
        "generated_at": timezone.now(),
        "context": comments.get(CONTEXT, ""),
        "conclusion": comments.get(CONCLUSION, ""),
        "summary": summary,
        "domains": domains,
        "years": all_years[annex_start:],
        "annex_years": annex_years,
        "departments": children,
        "annex_departments": annex_departments,
        "annex_breakdowns": annex_breakdowns,
        "hidden_count": len(figures.hidden),
        "hidden": figures.hidden,
        "marker_legend": marker_legend(),
        "threshold": small_cell_threshold(),
    }


def _empty(*cells: dict[str, Any]) -> bool:
    return all(cell["value"] is None and not cell["hidden"] for cell in cells)


def review_html(document: dict[str, Any]) -> SafeString:
    """The review as an HTML fragment (an ``<article>``), shown in the site's pages and in the PDF."""
    return mark_safe(render_to_string("indicators/reviews/document/review.html", document))  # noqa: S308 (a template: escaped)


def review_pdf(html: str, *, title: str) -> bytes:
    """The PDF of the review's HTML fragment, with the print style sheet; nothing is fetched."""
    from weasyprint import HTML

    from maillage.pathways.pdf import _no_fetch

    document = render_to_string(
        "indicators/reviews/document/pdf.html",
        {"body": mark_safe(html), "title": title, "language": translation.get_language()},  # noqa: S308 (our own HTML)
    )
    return HTML(string=document, base_url="about:blank", url_fetcher=_no_fetch).write_pdf()  # type: ignore[no-any-return]


def _progress(review_id: int, percent: int) -> None:
    Review.objects.filter(pk=review_id).update(progress=percent)


def review_build(review_id: int) -> Review | None:
    """Build a queued review (once: a review already taken is left alone)."""
    claimed = Review.objects.filter(pk=review_id, status=Review.Status.QUEUED).update(
        status=Review.Status.RUNNING, progress=5
    )
    if not claimed:
        return None
    review = Review.objects.select_related("created_by").get(pk=review_id)
    language = getattr(review.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            territory = Territory.parse(f"{review.territory_level}:{review.territory_code}")
            document = review_document(territory, review.year, version=review.version)
            _progress(review_id, 30)
            html = review_html(document)
            _progress(review_id, 50)
            title = _("Annual review %(year)s – %(territory)s") % {"year": review.year, "territory": territory.name}
            pdf = review_pdf(html, title=title)
        except Exception as error:  # any failure is reported on the review
            logger.exception("Annual review %s failed.", review_id)
            review.status = Review.Status.FAILED
            review.error = _(
                "The review stopped on an unexpected error (%(error)s); details are in the server logs."
            ) % {"error": error.__class__.__name__}
            review.finished_at = timezone.now()
            review.save(update_fields=["status", "error", "finished_at"])
            return review
    review.html = str(html)
    review.pdf = pdf
    review.status = Review.Status.DONE
    review.progress = 100
    review.error = ""
    review.finished_at = timezone.now()
    review.save(update_fields=["html", "pdf", "status", "progress", "error", "finished_at"])
    return review
