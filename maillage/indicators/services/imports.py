"""Bulk import of entered values (the XLSX/CSV template of an organisation).

``values_import(*, actor, organisation, rows)`` takes the rows already read from the file, as
dicts with the template's columns (``TEMPLATE_COLUMNS``: indicator, territory, period, kind,
breakdown, value, comment); the upload view checks the columns (``columns_errors``), the size
and the type first. Every row is checked with the rules of ``values.value_set``, and the file as
a whole: the same cell twice, the parts of a breakdown above their total once every row is
counted with the values already stored. All or nothing: with any error, nothing is written and
the result lists the errors with their row numbers; otherwise each row creates or replaces the
organisation's value of its cell. One audit entry for the import.

A row's number is its ``"_row"`` key when given (the line in the file), else its position + 1
(line 1 being the header). Rows whose cells are all empty are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.organisations.models import Organisation

from ..enums import Origin
from ..models import IndicatorValue
from . import locks
from .values import Cell, Checker, group_values, hold_group, parts_errors

TEMPLATE_COLUMNS = ("indicator", "territory", "period", "kind", "breakdown", "value", "comment")
REQUIRED_COLUMNS = ("indicator", "territory", "period", "kind", "value")
MAX_ROWS = 20000


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: about the whole file
    field: str  # a column, or "" for the row or the file
    message: str

    def __str__(self) -> str:
        prefix = _("Row %(row)s") % {"row": self.row} if self.row is not None else _("File")
        column = f" ({self.field})" if self.field else ""
        return f"{prefix}{column}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0  # empty rows
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> int:
        return self.created + self.updated


def columns_errors(columns: Iterable[Any]) -> list[str]:
    """Messages about the header of a file: missing, extra or repeated columns (empty if right)."""
    names = [str(c or "").strip().lower() for c in columns]
    messages = []
    missing = [c for c in TEMPLATE_COLUMNS if c not in names]
    extra = [c or _("(empty)") for c in names if c not in TEMPLATE_COLUMNS]
    repeated = sorted({c for c in names if c in TEMPLATE_COLUMNS and names.count(c) > 1})
    if missing:
        messages.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if extra:
        messages.append(_("Unexpected columns: %(columns)s.") % {"columns": ", ".join(extra)})
    if repeated:
        messages.append(_("Repeated columns: %(columns)s.") % {"columns": ", ".join(repeated)})
    if messages:
        messages.append(_("The expected columns are: %(columns)s.") % {"columns": ", ".join(TEMPLATE_COLUMNS)})
    return messages


def _blank(row: dict[str, Any]) -> bool:
    return all(str(row.get(c) if row.get(c) is not None else "").strip() == "" for c in TEMPLATE_COLUMNS)


def values_import(*, actor: Any, organisation: Organisation, rows: list[dict[str, Any]]) -> ImportResult:
    """Check every row, then write them all, or none (see the module's docstring)."""
    result = ImportResult()
    checker = Checker(organisation, origin=Origin.ENTERED)
    cells: list[tuple[int, Cell]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for index, row in enumerate(rows):
        number = int(row.get("_row") or index + 2)
        if _blank(row):
            result.skipped += 1
            continue
        try:
            cell = checker.check(
                indicator=row.get("indicator"),
                territory=row.get("territory"),
                period=row.get("period"),
                kind=row.get("kind"),
                value=row.get("value"),
                breakdown=row.get("breakdown"),
                comment=row.get("comment"),
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    result.errors.append(RowError(number, name, message))
            continue
        if cell.key in seen:
            result.errors.append(
                RowError(
                    number,
                    "",
                    _("Same indicator, territory, period, kind and breakdown as row %(row)s.")
                    % {"row": seen[cell.key]},
                )
            )
            continue
        seen[cell.key] = number
        cells.append((number, cell))
    if len(cells) + len(result.errors) > MAX_ROWS:
        result.errors.insert(0, RowError(None, "", _("A file has at most %(max)s rows.") % {"max": MAX_ROWS}))
        return result
    if not cells and not result.errors:
        result.errors.append(RowError(None, "", _("The file has no value.")))
        return result
    if result.errors:
        # Locks and totals are checked once every row reads right.
        result.errors.sort(key=lambda e: e.row or 0)
        return result

    with transaction.atomic():
        locks.hold_for_value_write()
        groups = sorted({cell.group for _n, cell in cells}, key=lambda g: tuple(str(x) for x in g))
        for group in groups:
            hold_group(group, organisation.pk)
        lock_cache: dict[tuple[str, str, str], str | None] = {}
        for number, cell in cells:
            lock_key = (cell.territory.key, str(cell.period.kind), cell.period.code)
            if lock_key not in lock_cache:
                lock_cache[lock_key] = checker.lock_error(cell)
            if lock_cache[lock_key]:
                result.errors.append(RowError(number, "period", lock_cache[lock_key] or ""))
        # The parts of each group, stored values overlaid with the file's.
        by_group: dict[tuple[Any, ...], list[tuple[int, Cell]]] = {}
        for number, cell in cells:
            by_group.setdefault(cell.group, []).append((number, cell))
        existing: dict[tuple[Any, ...], IndicatorValue] = {}
        for group, members in by_group.items():
            stored = _stored(group, organisation.pk)
            existing.update(stored)
            state = {v.breakdown: v.value for v in stored.values()}
            for _number, cell in members:
                state[cell.breakdown] = cell.value
            indicator = members[0][1].indicator
            for dimension, message in parts_errors(indicator, state):
                rows_of = [n for n, c in members if c.breakdown == "" or c.breakdown.startswith(dimension + "=")]
                result.errors.append(RowError(min(rows_of), "value", message))
        if result.errors:
            result.errors.sort(key=lambda e: e.row or 0)
            return result
        now = timezone.now()
        entered_by = actor if getattr(actor, "is_authenticated", False) else None
        to_create: list[IndicatorValue] = []
        to_update: list[IndicatorValue] = []
        for _number, cell in cells:
            obj = existing.get(cell.key)
            if obj is None:
                obj = IndicatorValue(
                    indicator=cell.indicator,
                    territory_level=cell.territory.level,
                    territory_code=cell.territory.code,
                    period_kind=cell.period.kind,
                    period_start=cell.period.start,
                    breakdown=cell.breakdown,
                    kind=cell.kind,
                    organisation=organisation,
                )
                to_create.append(obj)
            else:
                to_update.append(obj)
            obj.value = cell.value
            obj.comment = cell.comment
            obj.origin = Origin.ENTERED
            obj.entered_by = entered_by
            obj.updated_at = now
        IndicatorValue.objects.bulk_create(to_create, batch_size=1000)
        IndicatorValue.objects.bulk_update(
            to_update, ["value", "comment", "origin", "entered_by", "updated_at"], batch_size=1000
        )
        result.created, result.updated = len(to_create), len(to_update)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type=IndicatorValue._meta.label_lower,
            object_repr=_("Import of %(count)s values for %(organisation)s")
            % {"count": len(cells), "organisation": organisation.name},
            changes={
                "organisation": str(organisation.pk),
                "created": result.created,
                "updated": result.updated,
                "indicators": sorted({c.indicator.code for _n, c in cells}),
            },
        )
    return result


def _stored(group: tuple[Any, ...], organisation_id: int) -> dict[tuple[Any, ...], IndicatorValue]:
    return {
        (v.indicator_id, v.territory_level, v.territory_code, v.period_kind, v.period_start, v.breakdown, v.kind): v
        for v in group_values(group, organisation_id)
    }
