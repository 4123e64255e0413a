"""Server-rendered SVG charts (``core/charts.py``): valid, script-free, accessible."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: N817
from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import translation

from maillage.core import charts
from maillage.living_sites.models import SiteUpdate

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def test_line_chart_is_valid_svg_without_script_or_style() -> None:
    svg = charts.line_chart(
        title="Children enrolled",
        x_labels=["2024", "2025", "2026"],
        series=[("Planned", [10, 20, 30]), ("Achieved", [8, None, 25])],
        description="Children enrolled in school, planned and achieved, 2024 to 2026.",
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    assert "xml-stylesheet" not in svg and "http://" not in svg.replace("http://www.w3.org/", "")
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Children enrolled"
    assert root.get("aria-labelledby") == title.get("id")
    desc = root.find(f"{SVG}desc")
    assert desc is not None and root.get("aria-describedby") == desc.get("id")
    assert "planned and achieved" in (desc.text or "")
    assert root.get("width") is None and root.get("viewBox")  # the page sizes it (CSS)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Planned" in texts and "Achieved" in texts
    assert "2025" in texts
    # A native tooltip for each point, and no pygal id repeated by a second chart.
    tips = [t.text for c in root.iter(f"{SVG}circle") for t in c.findall(f"{SVG}title")]
    assert "Achieved, 2026: 25" in tips
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert ids == [root.get("id"), title.get("id"), desc.get("id")]


def test_series_differ_by_colour_and_dash() -> None:
    root = parse(
        charts.line_chart(title="T", x_labels=["a", "b"], series=[("One", [1, 2]), ("Two", [2, 1])], description="d")
    )
    lines = [p for p in root.iter(f"{SVG}path") if "reactive" in (p.get("class") or "")]
    assert len(lines) == 2
    assert lines[0].get("stroke") != lines[1].get("stroke")
    assert lines[0].get("stroke-dasharray") != lines[1].get("stroke-dasharray")
    legend = [line for line in root.iter(f"{SVG}line") if "legend-line" in (line.get("class") or "")]
    assert len(legend) == 2


def test_two_charts_have_distinct_ids() -> None:
    first = parse(charts.line_chart(title="A", x_labels=["a"], series=[("S", [1])], description="d"))
    second = parse(charts.line_chart(title="B", x_labels=["a"], series=[("S", [1])], description="d"))
    assert first.get("id") != second.get("id")


def test_y_labels_are_whole_numbers() -> None:
    assert charts._y_labels([3]) == [0, 1, 2, 3]
    assert charts._y_labels([None, 0]) == [0, 1]
    labels = charts._y_labels([47, 12])
    assert labels[0] == 0 and labels[-1] >= 47 and all(isinstance(v, int) for v in labels)
    assert len(labels) <= 7


def test_empty_chart_says_so() -> None:
    svg = charts.line_chart(title="Nothing", x_labels=[], series=[("S", [])], description="No data.")
    assert "No figures yet" in svg
    parse(svg)


def test_population_chart_and_its_table() -> None:
    updates = [
        SiteUpdate(observed_on=date(2026, 3, 1), people=40, households=10, minors=15, children_in_school=5),
        SiteUpdate(observed_on=date(2026, 9, 1), people=55, households=13, minors=None, children_in_school=8),
    ]
    svg = charts.population_chart(updates)
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for name in ("People", "Households", "Minors", "Children in school"):
        assert name in texts
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "55 people" in (desc.text or "") and "2 updates" in (desc.text or "")
    x_labels, series = charts.population_series(updates)
    table = charts.chart_table(x_labels, series)
    assert table["headers"] == ["People", "Households", "Minors", "Children in school"]
    assert table["rows"][1][1:] == [55, 13, None, 8]


def test_many_updates_keep_the_labels_readable() -> None:
    labels = [f"{day:02d}/01/2026" for day in range(1, 25)]
    root = parse(charts.line_chart(title="T", x_labels=labels, series=[("S", list(range(24)))], description="d"))
    written = [t.text for t in root.iter(f"{SVG}text") if t.text in labels]
    assert 0 < len(written) <= 12


def test_decimal_values_such_as_rates() -> None:
    root = parse(
        charts.line_chart(
            title="Rate", x_labels=["2024", "2025"], series=[("Actual", [12.5, 47.25])], description="A rate."
        )
    )
    tips = [t.text for c in root.iter(f"{SVG}circle") for t in c.findall(f"{SVG}title")]
    assert "Actual, 2025: 47.25" in tips
