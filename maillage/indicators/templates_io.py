"""The bulk entry template of an organisation (CSV or XLSX) and the reading of a filled one.

The template has exactly the columns ``COLUMNS``: ``indicator`` (its code), ``territory``
("department:59", "commune:59350"…), ``period`` ("2025", "2025-Q1", "2025-03"), ``kind``
(baseline, target, actual), ``breakdown`` (empty for the total, else "sex=female"…),
``value`` and ``comment``. It is pre-filled with one row per entered indicator × department of
the organisation for the last year (kind "actual"), with the value already entered if any.
The XLSX has a second sheet of instructions and a third one listing the indicators.

Reading (``read_upload``) checks the file (type, size, columns: missing or extra ones are
refused with the list) and reads the cells (a spreadsheet's date is read back as a month, "12,5" as
12.5); rows without a value are left out. It gives the rows as
``{column: text}`` (the value as a number when it reads as one) with their line numbers in
the file (``_row``); the service (``services.imports.values_import``) validates their meaning
and writes them, all or nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from maillage.core.exports import CSV_DELIMITER, csv_lines, xlsx_append, xlsx_bytes, xlsx_sheet, xlsx_workbook

from . import enums
from .models import Indicator, IndicatorValue
from .periods import Period
from .services.imports import TEMPLATE_COLUMNS, columns_errors
from .services.values import parse_number

COLUMNS = TEMPLATE_COLUMNS
VALUES_SHEET = "Values"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
SUFFIXES = (".csv", ".xlsx")


class TemplateFileError(Exception):
    """The file can't be read as a template: wrong type, too large, wrong columns."""

    def __init__(self, message: str, *, messages: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.messages = messages or [message]


@dataclass
class ParsedRows:
    """What was read: the rows to import (``{column: text}``, the value a Decimal when it reads
    as a number, ``_row`` the line in the file), the row errors found while reading
    ([(line, message)]), and how many rows without a value were left out."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0


# --- Building the template -------------------------------------------------------------


def template_year(today: date | None = None) -> int:
    """The year the template is pre-filled for: the last full year."""
    return (today or date.today()).year - 1


def template_rows(organisation: Any, departments: Iterable[str], year: int) -> list[list[Any]]:
    """Rows of the template: each active entered indicator × department × ``year``, kind
    "actual", total; with the organisation's value and comment where it already entered one.
    Two queries."""
    indicators = list(
        Indicator.objects.filter(source=enums.Source.ENTERED, is_active=True).order_by("domain", "position", "code")
    )
    departments = sorted(departments)
    period = Period(enums.PeriodKind.YEAR, date(year, 1, 1))
    existing = {
        (v.indicator_id, v.territory_code): v
        for v in IndicatorValue.objects.filter(
            organisation=organisation,
            territory_level=enums.TerritoryLevel.DEPARTMENT,
            territory_code__in=departments,
            period_kind=period.kind,
            period_start=period.start,
            breakdown="",
            kind=enums.ValueKind.ACTUAL,
        )
    }
    rows = []
    for indicator in indicators:
        for department in departments:
            value = existing.get((indicator.pk, department))
            rows.append(
                [
                    indicator.code,
                    f"{enums.TerritoryLevel.DEPARTMENT}:{department}",
                    period.code,
                    str(enums.ValueKind.ACTUAL),
                    "",
                    _number(value.value) if value else None,
                    value.comment if value else "",
                ]
            )
    return rows


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def template_csv(rows: Sequence[Sequence[Any]]) -> Iterable[str]:
    return csv_lines(COLUMNS, rows)


def _instructions() -> list[list[str]]:
    kinds = ", ".join(str(k) for k in enums.ValueKind.values)
    breakdowns = "; ".join(
        f"{dimension}=" + "|".join(part for part, _label in parts) for dimension, parts in enums.BREAKDOWN_PARTS.items()
    )
    return [
        [_("How to fill this template")],
        [""],
        [_("Fill the “%(sheet)s” sheet, one value per row. Keep its columns as they are.") % {"sheet": VALUES_SHEET}],
        [_("Rows without a value are left out. Nothing is saved if a row has an error: correct it and send again.")],
        [""],
        [_("Column"), _("What to write")],
        ["indicator", _("The code of the indicator (see the “Indicators” sheet).")],
        [
            "territory",
            _("department:59, commune:59350, epci:200093201 or region:32, in your organisation's departments."),
        ],
        ["period", _("A year (2025), a quarter (2025-Q1) or a month (2025-03).")],
        ["kind", _("One of: %(kinds)s.") % {"kinds": kinds}],
        [
            "breakdown",
            _("Empty for the total, else a part allowed for the indicator: %(parts)s.") % {"parts": breakdowns},
        ],
        ["value", _("A number. Counts and days are whole numbers; percentages are between 0 and 100.")],
        ["comment", _("Optional, 500 characters at most. No names.")],
        [""],
        [_("A value already entered by your organisation for the same row is replaced.")],
        [_("A locked period can't be changed: ask your coordinator to reopen it.")],
    ]


def template_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = xlsx_workbook()
    values = xlsx_sheet(workbook, VALUES_SHEET, list(COLUMNS))
    for row in rows:
        xlsx_append(values, row)
    instructions = xlsx_sheet(workbook, _("Instructions"))
    for line in _instructions():
        xlsx_append(instructions, line)
    catalogue = xlsx_sheet(
        workbook, _("Indicators"), [_("Code"), _("Name"), _("Unit"), _("Breakdowns allowed"), _("Aggregation rule")]
    )
    for indicator in Indicator.objects.filter(source=enums.Source.ENTERED, is_active=True).order_by(
        "domain", "position", "code"
    ):
        xlsx_append(
            catalogue,
            [
                indicator.code,
                indicator.name,
                indicator.get_unit_display(),  # type: ignore[attr-defined]
                ", ".join(indicator.breakdowns),
                indicator.get_aggregation_display(),  # type: ignore[attr-defined]
            ],
        )
    return xlsx_bytes(workbook)


# --- Reading a filled template -----------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        # A spreadsheet turned "2025-03" into a date: give the month back.
        return f"{value.year}-{value.month:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # The CSV exports put an apostrophe before a text starting with a formula sign.
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _check_columns(header: Sequence[Any]) -> list[str]:
    names = [_text(name).lower() for name in header]
    while names and not names[-1]:
        names.pop()
    messages = columns_errors(names)
    if messages:
        raise TemplateFileError(" ".join(messages), messages=messages)
    return names


def _csv_table(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise TemplateFileError(_("The file can't be read: save it as CSV UTF-8."))
    first = text.split("\n", 1)[0]
    delimiter = CSV_DELIMITER if first.count(CSV_DELIMITER) >= first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise TemplateFileError(_("The CSV file can't be read: %(error)s.") % {"error": error}) from None


def _xlsx_table(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise TemplateFileError(_("The file is not a readable XLSX workbook.")) from None
    try:
        sheet = workbook[VALUES_SHEET] if VALUES_SHEET in workbook.sheetnames else workbook.worksheets[0]
        table = []
        for row in sheet.iter_rows(values_only=True):
            table.append(list(row))
            if len(table) > MAX_ROWS + 1:
                break
        return table
    finally:
        workbook.close()


def read_upload(name: str, data: bytes) -> ParsedRows:
    """Read a filled template (``name`` tells the type). TemplateFileError if the file can't be
    used at all; row errors are in the result."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        raise TemplateFileError(_("“%(name)s” is not a CSV or XLSX file.") % {"name": name})
    if len(data) > MAX_UPLOAD_BYTES:
        raise TemplateFileError(
            _("“%(name)s” is larger than %(size)s MB: split it.")
            % {"name": name, "size": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    if suffix == ".xlsx":
        if not data.startswith(b"PK"):
            raise TemplateFileError(_("The file is not a readable XLSX workbook."))
        table = _xlsx_table(data)
    else:
        table = _csv_table(data)
    # Leading empty lines are ignored; the first line with something is the header.
    while table and not any(_text(cell) for cell in table[0]):
        table.pop(0)
    if not table:
        raise TemplateFileError(_("The file is empty."))
    names = _check_columns(table[0])
    if len(table) - 1 > MAX_ROWS:
        raise TemplateFileError(_("The file has more than %(count)s rows: split it.") % {"count": MAX_ROWS})
    result = ParsedRows()
    width = len(names)
    for number, cells in enumerate(table[1:], start=2):
        cells = list(cells)
        if not any(_text(cell) for cell in cells):
            continue
        if any(_text(cell) for cell in cells[width:]):
            result.errors.append((number, _("This row has more cells than the columns.")))
            continue
        cells += [None] * (width - len(cells))
        raw = dict(zip(names, cells, strict=False))
        if not _text(raw["value"]):
            result.skipped += 1
            continue
        row: dict[str, Any] = {column: _text(raw[column]) for column in COLUMNS}
        try:
            row["value"] = parse_number(raw["value"])
        except ValueError:
            pass  # left as written: the service says it is not a number, with the other errors
        row["_row"] = number
        result.rows.append(row)
    if not result.rows and not result.errors:
        raise TemplateFileError(_("The file has no row with a value."))
    return result
