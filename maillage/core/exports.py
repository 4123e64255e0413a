"""Building blocks of the CSV and XLSX exports (the directory's services, the living sites).

CSV (``csv_lines``)
    UTF-8 with a BOM, ``;`` separated: what a French spreadsheet opens directly. Lines are
    produced one by one (``Echo``), so a view can stream them. ``csv_value`` writes ``None`` as
    an empty cell, a date as dd/mm/yyyy, a number as is, and any other value as text escaped by
    ``safe_text``.

XLSX (``xlsx_workbook``, ``xlsx_sheet``, ``xlsx_append``, ``xlsx_bytes``)
    A workbook in write-only mode (rows are written once, memory stays low). Text cells are
    always strings, never formulas, with the characters XML cannot hold removed; dates are
    real dates shown dd/mm/yyyy; numbers stay numbers; ``None`` is an empty cell.

Formulas
    A spreadsheet runs a CSV cell starting with ``= + - @`` (or a tab, a carriage return) as a
    formula: ``safe_text`` puts an apostrophe in front of such text, which the spreadsheet
    shows as text. In XLSX the cell's type is enough.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
BOM = "\ufeff"
DATE_FORMAT = "%d/%m/%Y"
XLSX_DATE_FORMAT = "DD/MM/YYYY"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


class Echo:
    """A file-like object whose ``write`` gives back what it is given: ``csv.writer`` then
    returns each line instead of writing it, so lines can be streamed."""

    def write(self, value: str) -> str:
        return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def csv_value(value: Any) -> str:
    """The text of a CSV cell: empty for ``None``, dd/mm/yyyy for a date, escaped text otherwise."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if _is_number(value):
        return str(value)
    return safe_text(str(value))


def csv_lines(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV lines: the headers (after a BOM), then one line per row."""
    writer = csv.writer(Echo(), delimiter=CSV_DELIMITER)
    yield BOM + writer.writerow([csv_value(title) for title in headers])
    for row in rows:
        yield writer.writerow([csv_value(value) for value in row])


def xlsx_workbook() -> Workbook:
    return Workbook(write_only=True)


def xlsx_sheet(workbook: Workbook, title: str, headers: Sequence[str] | None = None) -> Any:
    """A new sheet (title cut to Excel's 31 characters); with ``headers``, a bold frozen first row."""
    sheet = workbook.create_sheet(title[:31])
    if headers is not None:
        sheet.freeze_panes = "A2"
        xlsx_append(sheet, headers, bold=True)
    return sheet


def xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> Any:
    """The cell to append for ``value``: a date, a number, a text (never a formula) or ``None``."""
    if value is None:
        return None
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
    elif _is_number(value):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"  # never a formula, even when it starts with "="
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_append(sheet: Any, row: Iterable[Any], *, bold: bool = False) -> None:
    sheet.append([xlsx_cell(sheet, value, bold=bold) for value in row])


def xlsx_bytes(workbook: Workbook) -> bytes:
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
