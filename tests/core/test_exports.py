"""The shared CSV / XLSX helpers: formula escaping, values, streaming, write-only workbooks."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from maillage.core.exports import (
    csv_lines,
    csv_value,
    safe_text,
    xlsx_append,
    xlsx_bytes,
    xlsx_sheet,
    xlsx_workbook,
)


def test_safe_text_escapes_what_a_spreadsheet_would_run() -> None:
    for text in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(text) == "'" + text
    assert safe_text("Lille") == "Lille"
    assert safe_text("") == ""


def test_csv_values() -> None:
    assert csv_value(None) == ""
    assert csv_value(date(2026, 3, 1)) == "01/03/2026"
    assert csv_value(0) == "0"
    assert csv_value(12) == "12"
    assert csv_value("< 5") == "< 5"
    assert csv_value("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_csv_lines_are_streamed_with_a_bom_and_semicolons() -> None:
    lines = csv_lines(["Name", "Count"], iter([["A;B", 3], ["-x", None]]))
    first = next(lines)
    assert first == "\ufeffName;Count\r\n"
    rest = list(lines)
    assert list(csv.reader(io.StringIO("".join(rest)), delimiter=";")) == [["A;B", "3"], ["'-x", ""]]


def test_xlsx_cells() -> None:
    workbook = xlsx_workbook()
    sheet = xlsx_sheet(workbook, "A title longer than thirty-one characters", ["Name", "Date", "Count"])
    xlsx_append(sheet, ["=1+1\x07", date(2026, 3, 1), 4])
    xlsx_append(sheet, ["Total", None, 4], bold=True)
    notes = xlsx_sheet(workbook, "Notes")
    xlsx_append(notes, ["A note"])
    loaded = load_workbook(io.BytesIO(xlsx_bytes(workbook)))
    data, note = loaded.worksheets
    assert data.title == "A title longer than thirty-one characters"[:31]
    assert data.freeze_panes == "A2"
    assert data["A1"].font.bold
    assert data["A2"].value == "=1+1"  # illegal character removed, kept as text
    assert data["A2"].data_type == "s"
    assert data["B2"].value.date() == date(2026, 3, 1)
    assert data["B2"].number_format == "DD/MM/YYYY"
    assert data["C2"].value == 4
    assert data["A3"].font.bold and data["C3"].font.bold and data["B3"].value is None
    assert note["A1"].value == "A note"
    assert note.freeze_panes is None
