"""Charts drawn on the server as SVG (pygal), for pages that work without JavaScript.

The SVG is inlined in the page, so it must pass the strict Content Security Policy: pygal's
``<style>`` and ``<script>`` elements, its comments, ids and any ``style`` attribute are
removed; colours, fonts and dash patterns are written as SVG presentation attributes (which the
CSP allows), so the chart reads the same without the page's CSS, which only sizes it
(``.chart-svg`` in ``static/css/living_sites.css`` and ``indicators.css``: the width of its
container). The SVG names itself
(``role="img"``, ``<title>`` and ``<desc>`` referenced by ``aria-labelledby`` and
``aria-describedby``), each point carries a ``<title>`` (a native tooltip: series, label, value),
and the page shows the same figures in a table (``chart_table``) for those who cannot see it.

``line_chart`` is generic (the Living sites and Indicators modules use it; its values may be
decimals, e.g. percentages); ``population_chart`` draws the population of a site over its updates.
"""

from __future__ import annotations

import math
import uuid
import xml.etree.ElementTree as ET  # noqa: N817 (the usual name)
from collections.abc import Iterable, Sequence
from typing import Any

import pygal
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# Drawing size in SVG units; the page scales it to the width of its container (CSS), keeping a
# minimum width (it scrolls sideways below it) so that its text stays readable on a phone.
WIDTH = 640
HEIGHT = 380
TEXT_SIZE = 15
TITLE_SIZE = 18
# Series colours: at least 3:1 against white (WCAG 1.4.11), distinct for colour-blind readers.
COLOURS = ("#0b5563", "#b3400b", "#6a3d9a", "#1e6b32", "#a4161a", "#555d66")
# Dash patterns: series differ by more than their colour.
DASHES = ("", "10 5", "3 4", "14 4 3 4", "6 3", "2 2")
# Beyond this number of labels, only some are written under the x axis.
MAX_X_LABELS = 6


def _q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


def _y_labels(values: Iterable[float | None]) -> list[int]:
    """Whole-number ticks from 0 to a round maximum (the charts count people)."""
    top = max((v for v in values if v is not None), default=0)
    if top <= 0:
        return [0, 1]
    raw_step = top / 5
    magnitude = 10 ** math.floor(math.log10(raw_step)) if raw_step >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    step = max(1, int(step))
    return list(range(0, (math.ceil(top / step) + 1) * step, step))


def _classes(element: ET.Element) -> list[str]:
    return (element.get("class") or "").split()


def _series_index(classes: list[str]) -> int | None:
    return next((int(c[len("serie-") :]) for c in classes if c.startswith("serie-") and c[6:].isdigit()), None)


def _paint(root: ET.Element, series_names: list[str]) -> None:
    """Presentation attributes (allowed by the CSP, unlike ``style``): the chart is readable
    even without the page's CSS, and each series differs by colour *and* dash pattern."""
    root.set("font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif")
    for element in root.iter():
        classes = _classes(element)
        if element.tag == _q("rect") and "background" in classes:
            element.set("fill", "#ffffff")
        elif element.tag == _q("path") and "guide" in classes:
            element.set("fill", "none")
            element.set("stroke", "#c4ccd4")
        elif element.tag == _q("path") and "line" in classes and "reactive" not in classes:
            element.set("fill", "none")
            element.set("stroke", "#555d66")
        elif element.tag == _q("text"):
            element.set("fill", "#1b1f23")
            element.set("font-size", str(TEXT_SIZE))
    for axis in root.iter(_q("g")):
        classes = _classes(axis)
        if "axis" not in classes:
            continue
        for text in axis.iter(_q("text")):
            if "y" in classes:
                text.set("text-anchor", "end")
            else:
                text.set("text-anchor", "start" if text.get("transform") else "middle")
    for text in root.iter(_q("text")):
        if "title" in _classes(text):
            text.set("text-anchor", "middle")
            text.set("font-size", str(TITLE_SIZE))
            text.set("font-weight", "600")
    for group in root.iter(_q("g")):
        classes = _classes(group)
        index = _series_index(classes)
        if "series" not in classes or index is None:
            continue
        colour = COLOURS[index % len(COLOURS)]
        for path in group.iter(_q("path")):
            path.set("fill", "none")
            path.set("stroke", colour)
            path.set("stroke-width", "3")
            dash = DASHES[index % len(DASHES)]
            if dash:
                path.set("stroke-dasharray", dash)
        for circle in group.iter(_q("circle")):
            circle.set("fill", colour)
            circle.set("stroke", "#ffffff")
            circle.set("stroke-width", "1")
        name = series_names[index] if index < len(series_names) else ""
        for dots in group.iter(_q("g")):
            if "dots" not in _classes(dots):
                continue
            descs = {_classes(d)[0]: d.text or "" for d in dots.findall(_q("desc")) if _classes(d)}
            for desc in dots.findall(_q("desc")):
                dots.remove(desc)
            dot = dots.find(_q("circle"))
            if dot is not None:  # a native tooltip instead of pygal's script
                tip = ET.Element(_q("title"))
                tip.text = f"{name}, {descs.get('x_label', '')}: {descs.get('value', '')}"
                dot.insert(0, tip)
    # The legend: a short line in the series' colour and dash pattern instead of a square.
    for legend in root.iter(_q("g")):
        if "legend" not in _classes(legend):
            continue
        rect = legend.find(_q("rect"))
        index = _series_index(["serie-" + c[len("color-") :] for c in _classes(rect)] if rect is not None else [])
        if rect is None or index is None:
            continue
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        width, height = float(rect.get("width", 0)), float(rect.get("height", 0))
        line = ET.Element(
            _q("line"),
            {
                "x1": f"{x:g}",
                "y1": f"{y + height / 2:g}",
                "x2": f"{x + width:g}",
                "y2": f"{y + height / 2:g}",
                "stroke": COLOURS[index % len(COLOURS)],
                "stroke-width": "4",
                "class": f"legend-line color-{index}",
            },
        )
        dash = DASHES[index % len(DASHES)]
        if dash:
            line.set("stroke-dasharray", dash)
        position = list(legend).index(rect)
        legend.remove(rect)
        legend.insert(position, line)


def _clean_svg(svg_text: str, *, title: str, description: str, series_names: list[str]) -> str:
    root = ET.fromstring(svg_text)  # noqa: S314 (pygal's own output; the parser drops the comments)
    chart_id = f"chart-{uuid.uuid4().hex[:12]}"
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (_q("style"), _q("script")) or (
                child.tag == _q("g") and "tooltip-overlay" in _classes(child)
            ):
                parent.remove(child)
    for element in root.iter():
        element.attrib.pop("style", None)
        element.attrib.pop("id", None)  # pygal's ids would repeat with two charts on a page
    defs = root.find(_q("defs"))
    if defs is not None and len(defs) == 0:
        root.remove(defs)
    _paint(root, series_names)
    # The accessible name and description of the whole image.
    for old in root.findall(_q("title")):
        root.remove(old)
    title_node = ET.Element(_q("title"), {"id": f"{chart_id}-title"})
    title_node.text = title
    desc_node = ET.Element(_q("desc"), {"id": f"{chart_id}-desc"})
    desc_node.text = description
    root.insert(0, desc_node)
    root.insert(0, title_node)
    root.set("id", chart_id)
    root.set("class", "chart-svg")
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title")
    root.set("aria-describedby", f"{chart_id}-desc")
    root.set("focusable", "false")
    root.set("preserveAspectRatio", "xMidYMid meet")
    # Register the namespaces again at each call: another library (WeasyPrint) may have
    # registered its own default namespace since, and the SVG would come out as <ns0:svg>.
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    description: str,
) -> SafeString:
    """An accessible, script-free SVG line chart of counts.

    ``series``: ``[(name, values)]``, each list as long as ``x_labels`` (``None`` for a missing
    value; the line joins the known points). ``description`` says in words what the chart
    shows (read by screen readers; the page should also give the figures as a table).
    """
    names = [str(name) for name, _values in series]
    shown = len(x_labels) if len(x_labels) <= MAX_X_LABELS else MAX_X_LABELS
    rotate = shown > 4 and max((len(str(label)) for label in x_labels), default=0) > 5
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=HEIGHT,
        title=str(title),
        x_labels=[str(label) for label in x_labels],
        y_labels=_y_labels(v for _name, values in series for v in values),
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(series), 2) or 1,
        truncate_legend=-1,
        truncate_label=-1,
        show_minor_x_labels=len(x_labels) <= MAX_X_LABELS,
        x_labels_major_every=max(1, math.ceil(len(x_labels) / MAX_X_LABELS)),
        x_label_rotation=25 if rotate else 0,
        margin_right=20 + (45 if rotate else 0),
        show_y_guides=True,
        dots_size=4,
        legend_box_size=28,
        tooltip_fancy_mode=False,
        no_data_text=_("No figures yet"),
        style=Style(
            colors=COLOURS,
            font_family="system-ui, sans-serif",
            background="#ffffff",
            label_font_size=TEXT_SIZE,
            major_label_font_size=TEXT_SIZE,
            legend_font_size=TEXT_SIZE,
            title_font_size=TITLE_SIZE,
            no_data_font_size=TITLE_SIZE,
        ),
        pretty_print=False,
    )
    for name, values in series:
        chart.add(str(name), list(values))
    svg = chart.render(is_unicode=True)
    return mark_safe(_clean_svg(svg, title=str(title), description=str(description), series_names=names))  # noqa: S308 (built from escaped XML)


def chart_table(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
    """The chart's data for a ``<table>``: ``{"headers": [...], "rows": [[label, v1, v2…]]}``."""
    return {
        "headers": [str(name) for name, _values in series],
        "rows": [[label, *(values[i] for _name, values in series)] for i, label in enumerate(x_labels)],
    }


def population_series(updates: Sequence[Any]) -> tuple[list[str], list[tuple[str, list[int | None]]]]:
    """x labels (dates) and series (people, households, minors, children in school) of updates
    given in chronological order."""
    x_labels = [date_format(u.observed_on, "SHORT_DATE_FORMAT") for u in updates]
    series: list[tuple[str, list[int | None]]] = [
        (_("People"), [u.people for u in updates]),
        (_("Households"), [u.households for u in updates]),
        (_("Minors"), [u.minors for u in updates]),
        (_("Children in school"), [u.children_in_school for u in updates]),
    ]
    return x_labels, series


def population_chart(updates: Sequence[Any]) -> SafeString:
    """The population of a site over its updates (given in chronological order)."""
    x_labels, series = population_series(updates)
    if updates:
        last = updates[-1]
        description = ngettext(
            "%(count)s update, on %(start)s: %(people)s people, %(households)s households, %(minors)s minors, "
            "%(in_school)s children in school.",
            "%(count)s updates from %(start)s to %(end)s. Latest: %(people)s people, %(households)s households, "
            "%(minors)s minors, %(in_school)s children in school.",
            len(updates),
        ) % {
            "count": len(updates),
            "start": x_labels[0],
            "end": x_labels[-1],
            "people": _unknown(last.people),
            "households": _unknown(last.households),
            "minors": _unknown(last.minors),
            "in_school": _unknown(last.children_in_school),
        }
    else:
        description = _("No update recorded yet.")
    return line_chart(title=_("Population over time"), x_labels=x_labels, series=series, description=description)


def _unknown(value: int | None) -> str:
    return "?" if value is None else str(value)
