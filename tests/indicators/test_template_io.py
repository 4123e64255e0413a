"""Reading a filled template (``templates_io.read_upload``): cells, blank rows, headers."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from maillage.indicators.templates_io import COLUMNS, TemplateFileError, read_upload

HEADER = ";".join(COLUMNS)


def _csv(*lines):
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


def test_rows_are_read_with_their_line_numbers_and_rows_without_a_value_left_out():
    parsed = read_upload(
        "v.csv",
        _csv(
            "a;department:59;2025;actual;;1 234,5;'=not a formula",
            "b;department:59;2025;actual;;;only a comment",
            ";;;;;;",
            "c;department:59;2025;target;sex=female;abc;",
        ),
    )
    assert [row["_row"] for row in parsed.rows] == [2, 5]
    assert parsed.rows[0]["value"] == Decimal("1234.5") and parsed.rows[0]["comment"] == "=not a formula"
    assert parsed.rows[1]["value"] == "abc"  # the service says it is not a number
    assert parsed.skipped == 1 and parsed.errors == []


def test_header_is_case_insensitive_and_trailing_empty_columns_are_ignored():
    data = b"\n\nIndicator;Territory;Period;Kind;Breakdown;Value;Comment;;\na;department:59;2025;actual;;3;;;\n"
    parsed = read_upload("v.csv", data)
    assert parsed.rows[0]["indicator"] == "a" and parsed.rows[0]["value"] == 3


def test_a_row_longer_than_the_header_is_an_error():
    parsed = read_upload("v.csv", _csv("a;department:59;2025;actual;;3;;surprise"))
    assert parsed.errors == [(2, "This row has more cells than the columns.")]


def test_xlsx_cells_keep_their_meaning():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Other"
    values = workbook.create_sheet("Values")
    values.append(list(COLUMNS))
    values.append(["a", "department:59", 2025, "actual", None, 12.0, None])
    values.append(["a", "department:59", date(2025, 3, 1), "actual", None, 0.25, None])
    out = io.BytesIO()
    workbook.save(out)
    parsed = read_upload("v.XLSX", out.getvalue())
    assert [(r["period"], r["value"]) for r in parsed.rows] == [("2025", 12), ("2025-03", Decimal("0.25"))]


def test_columns_refused_with_the_list():
    with pytest.raises(TemplateFileError) as error:
        read_upload("v.csv", b"indicator;territory;value;notes\n")
    assert error.value.messages[:2] == [
        "Missing columns: period, kind, breakdown, comment.",
        "Unexpected columns: notes.",
    ]
