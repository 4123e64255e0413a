"""Writes of indicator values (entered by an organisation, or imported).

``value_set`` creates or replaces the value of one cell (indicator × territory × period ×
breakdown × kind) for one organisation; ``value_delete`` removes one. Both run in one
transaction, validate everything before writing (a ``ValidationError`` keyed by the field names
of the entry form and of the bulk template: ``indicator``, ``territory``, ``period``, ``kind``,
``breakdown``, ``value``, ``comment``, ``organisation``; nothing written) and append an audit
entry. They do not check permissions: the views ask ``permissions.can_enter_value`` first.

Rules of the data (also applied, row by row, by ``imports.values_import``):

- the indicator exists, is active and is entered: a computed indicator refuses entries;
- the territory exists ("department:59", "commune:59350"…) and is within the organisation's
  departments; the period is "2025", "2025-Q1" or "2025-03"; the kind is baseline, target or
  actual;
- the breakdown is "" (the total) or "dimension=part", the dimension allowed for the indicator
  and the part one of ``enums.BREAKDOWN_PARTS``;
- the value is a number, zero or more, with at most two decimals; a whole number for the
  units of ``enums.INTEGER_UNITS``; between 0 and 100 for a percentage (but for the ratios to
  a target and the changes, ``UNBOUNDED_PERCENT_SUFFIXES``);
- for additive indicators (any unit but a percentage, any rule but the average), the parts of
  one dimension add up to at most the total of the same cell and organisation (checked both
  ways: a part too big, or a total below its parts);
- the period is not locked (``locks.find_lock``): neither for the territory nor for one
  containing it, neither for the period nor for one containing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.organisations.models import Organisation

from ..enums import (
    BREAKDOWN_PARTS,
    INTEGER_UNITS,
    Aggregation,
    Origin,
    Source,
    Unit,
    ValueKind,
)
from ..models import Indicator, IndicatorValue
from ..periods import Period
from ..territories import Territory
from . import locks

VALUE_FIELDS = (
    "indicator",
    "territory_level",
    "territory_code",
    "period_kind",
    "period_start",
    "breakdown",
    "kind",
    "value",
    "organisation",
    "origin",
    "comment",
)
MAX_VALUE = Decimal("99999999999999")  # max_digits=16, decimal_places=2
# Percentages that are not shares (a result against a target, a change from one year to the
# next) may exceed 100: the indicators whose code ends with one of these.
UNBOUNDED_PERCENT_SUFFIXES = ("_achievement_rate", "_growth")
_GROUP_NAMESPACE = 1229866061


# --- Reading the inputs -------------------------------------------------------------------


def parse_number(raw: Any) -> Decimal:
    """A number from a form, a CSV cell ("1 234,5") or an XLSX cell; ValueError otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("Give a number."))
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    else:
        text = str(raw).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not text:
            raise ValueError(_("Give a number."))
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("“%(text)s” is not a number.") % {"text": str(raw).strip()[:40]}) from None
    if not number.is_finite():
        raise ValueError(_("Give a number."))
    return number


def value_error(indicator: Indicator, number: Decimal) -> str | None:
    """Why ``number`` is not a valid value of ``indicator``, or None."""
    if number < 0:
        return _("A value cannot be negative.")
    if number != number.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        return _("Give at most two decimals.")
    if indicator.unit in INTEGER_UNITS and number != number.to_integral_value():
        return _("%(unit)s: give a whole number, without decimals.") % {"unit": Unit(indicator.unit).label}
    if indicator.unit == Unit.PERCENT and number > 100 and not indicator.code.endswith(UNBOUNDED_PERCENT_SUFFIXES):
        return _("A percentage is between 0 and 100.")
    if number > MAX_VALUE:
        return _("This number is too large.")
    return None


def parse_breakdown(indicator: Indicator, raw: Any) -> str:
    """ "" or "dimension=part", allowed for the indicator; ValueError otherwise."""
    text = str(raw or "").strip()
    if not text:
        return ""
    dimension, sep, part = (s.strip() for s in text.partition("="))
    allowed = [str(d) for d in indicator.breakdowns]
    if not sep or dimension not in BREAKDOWN_PARTS:
        raise ValueError(
            _("“%(text)s” is not a breakdown: leave it empty for the total, or write dimension=part, e.g. sex=female.")
            % {"text": text[:60]}
        )
    if dimension not in allowed:
        if not allowed:
            return _raise(_("The indicator %(code)s has no breakdown: leave it empty.") % {"code": indicator.code})
        return _raise(
            _("The indicator %(code)s is broken down only by: %(allowed)s.")
            % {"code": indicator.code, "allowed": ", ".join(allowed)}
        )
    parts = [p for p, _label in BREAKDOWN_PARTS[dimension]]
    if part not in parts:
        return _raise(
            _("“%(part)s” is not a part of %(dimension)s: choose one of %(parts)s.")
            % {"part": part[:40], "dimension": dimension, "parts": ", ".join(parts)}
        )
    return f"{dimension}={part}"


def _raise(message: str) -> str:
    raise ValueError(message)


def breakdown_bounded(indicator: Indicator) -> bool:
    """Do the parts of a breakdown add up to at most the total? (Not for rates and averages.)"""
    return indicator.unit != Unit.PERCENT and indicator.aggregation != Aggregation.AVERAGE


# --- One checked value ---------------------------------------------------------------------


@dataclass
class Cell:
    """A value checked field by field, ready to be written."""

    indicator: Indicator
    territory: Territory
    period: Period
    kind: str
    breakdown: str
    value: Decimal
    comment: str = ""
    enclosing: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, str, str, str, date, str, str]:
        return (
            self.indicator.pk,
            str(self.territory.level),
            self.territory.code,
            str(self.period.kind),
            self.period.start,
            self.breakdown,
            str(self.kind),
        )

    @property
    def group(self) -> tuple[int, str, str, str, date, str]:
        """The cells whose parts are checked against their total (all breakdowns)."""
        return self.key[:5] + (self.key[6],)


class Checker:
    """Checks values one by one, remembering what it read (indicators, territories, the
    organisation's departments) so that a file of many rows reads each once."""

    def __init__(self, organisation: Organisation | None, *, origin: str = Origin.ENTERED) -> None:
        self.organisation = organisation
        self.origin = origin
        self._indicators: dict[str, Indicator | None] = {}
        self._territories: dict[str, Territory | str] = {}
        self._enclosing: dict[str, list[tuple[str, str]]] = {}
        self._departments: set[str] | None = None

    def indicator(self, raw: Any) -> Indicator:
        if isinstance(raw, Indicator):
            return raw
        code = str(raw or "").strip()
        if not code:
            raise ValueError(_("Give the code of the indicator."))
        if code not in self._indicators:
            self._indicators[code] = Indicator.objects.filter(code=code).first()
        found = self._indicators[code]
        if found is None:
            raise ValueError(_("Unknown indicator: %(code)s.") % {"code": code[:60]})
        return found

    def territory(self, raw: Any) -> Territory:
        if isinstance(raw, Territory):
            return raw
        text = str(raw or "").strip()
        if text not in self._territories:
            try:
                self._territories[text] = Territory.parse(text)
            except ValueError as exc:
                self._territories[text] = str(exc)
        found = self._territories[text]
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def enclosing(self, territory: Territory) -> list[tuple[str, str]]:
        if territory.key not in self._enclosing:
            self._enclosing[territory.key] = locks.enclosing_territories(territory)
        return self._enclosing[territory.key]

    def organisation_departments(self) -> set[str]:
        if self._departments is None:
            self._departments = (
                set(self.organisation.departments.values_list("code", flat=True)) if self.organisation else set()
            )
        return self._departments

    def check(
        self,
        *,
        indicator: Any,
        territory: Any,
        period: Any,
        kind: Any,
        value: Any,
        breakdown: Any = "",
        comment: Any = "",
    ) -> Cell:
        """A ``Cell``, or a ``ValidationError`` keyed by field (locks and parts not checked)."""
        errors: dict[str, str] = {}
        ind: Indicator | None = None
        try:
            ind = self.indicator(indicator)
        except ValueError as exc:
            errors["indicator"] = str(exc)
        if ind is not None:
            if not ind.is_active:
                errors["indicator"] = _("The indicator %(code)s is no longer in use.") % {"code": ind.code}
            elif ind.source == Source.COMPUTED and self.origin != Origin.COMPUTED:
                errors["indicator"] = _(
                    "The indicator %(code)s is computed from Maillage's data: it cannot be entered."
                ) % {"code": ind.code}
        terr: Territory | None = None
        try:
            terr = self.territory(territory)
        except ValueError as exc:
            errors["territory"] = str(exc)
        if terr is not None and self.organisation is not None:
            departments = self.organisation_departments()
            covered = {code for level, code in self.enclosing(terr) if level == "department"}
            if not covered or not covered <= departments:
                errors["territory"] = _(
                    "%(territory)s is outside the departments of %(organisation)s (%(departments)s)."
                ) % {
                    "territory": terr.key,
                    "organisation": self.organisation.name,
                    "departments": ", ".join(sorted(departments)) or "—",
                }
        per: Period | None = None
        if isinstance(period, Period):
            per = period
        else:
            try:
                per = Period.parse(str(period if period is not None else ""))
            except ValueError as exc:
                errors["period"] = str(exc)
        kind_text = str(kind or "").strip().lower()
        if kind_text not in ValueKind.values:
            errors["kind"] = _("“%(text)s” is not a kind of value: write baseline, target or actual.") % {
                "text": str(kind or "")[:30]
            }
        number: Decimal | None = None
        try:
            number = parse_number(value)
        except ValueError as exc:
            errors["value"] = str(exc)
        bd = ""
        if ind is not None:
            try:
                bd = parse_breakdown(ind, breakdown)
            except ValueError as exc:
                errors["breakdown"] = str(exc)
            if number is not None and (message := value_error(ind, number)):
                errors["value"] = message
        comment_text = str(comment or "").strip()
        if len(comment_text) > 500:
            errors["comment"] = _("Write at most 500 characters.")
        if errors:
            raise ValidationError(errors)
        if ind is None or terr is None or per is None or number is None:  # pragma: no cover - errors set
            raise ValidationError(_("The value could not be read."))
        return Cell(
            indicator=ind,
            territory=terr,
            period=per,
            kind=kind_text,
            breakdown=bd,
            value=number.quantize(Decimal("0.01")),
            comment=comment_text,
            enclosing=self.enclosing(terr),
        )

    def lock_error(self, cell: Cell) -> str | None:
        lock = locks.find_lock(cell.territory, cell.period, enclosing=cell.enclosing)
        return locks.lock_message(lock) if lock is not None else None


def parts_errors(indicator: Indicator, state: dict[str, Decimal]) -> list[tuple[str, str]]:
    """(breakdown part, message) for each dimension whose parts exceed the total of ``state``
    ({breakdown: value} of one cell group)."""
    total = state.get("")
    if total is None or not breakdown_bounded(indicator):
        return []
    sums: dict[str, Decimal] = {}
    for breakdown, number in state.items():
        if breakdown:
            dimension = breakdown.partition("=")[0]
            sums[dimension] = sums.get(dimension, Decimal(0)) + number
    result = []
    for dimension, parts in sorted(sums.items()):
        if parts > total:
            result.append(
                (
                    dimension,
                    _("The parts by %(dimension)s add up to %(parts)s, more than the total %(total)s.")
                    % {"dimension": dimension, "parts": _plain(parts), "total": _plain(total)},
                )
            )
    return result


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def group_values(group: tuple[Any, ...], organisation_id: int | None) -> QuerySet[IndicatorValue]:
    """The stored values of one cell group (every breakdown) for one organisation (None: none)."""
    indicator_id, level, code, period_kind, period_start, kind = group
    qs = IndicatorValue.objects.filter(
        indicator_id=indicator_id,
        territory_level=level,
        territory_code=code,
        period_kind=period_kind,
        period_start=period_start,
        kind=kind,
    )
    return (
        qs.filter(organisation__isnull=True) if organisation_id is None else qs.filter(organisation_id=organisation_id)
    )


def group_state(
    group: tuple[int, str, str, str, date, str], organisation_id: int | None, *, exclude_pk: int | None = None
) -> dict[str, Decimal]:
    """{breakdown: value} of the stored values of one cell group for one organisation."""
    qs = group_values(group, organisation_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return dict(qs.values_list("breakdown", "value"))


def hold_group(group: tuple[int, str, str, str, date, str], organisation_id: int | None) -> None:
    """Serialise the writes of one cell group (the parts' check reads the others)."""
    key = "|".join(str(x) for x in (*group, organisation_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_GROUP_NAMESPACE, key])


def _snapshot(value: IndicatorValue) -> dict[str, Any]:
    return model_snapshot(value, VALUE_FIELDS)


# --- Services ------------------------------------------------------------------------------


def value_set(
    *,
    actor: Any,
    indicator: Indicator | str,
    territory: Territory | str,
    period: Period | str,
    kind: str,
    value: Any,
    breakdown: str = "",
    organisation: Organisation | None = None,
    comment: str = "",
    origin: str = Origin.ENTERED,
    instance: IndicatorValue | None = None,
) -> IndicatorValue:
    """Create or replace the value of a cell for ``organisation``.

    With ``instance`` (an edit of a stored value), that value is moved to the given cell; a
    value already stored in the target cell for the same organisation is refused. Without it,
    a value already in the cell is replaced. The indicator, territory and period may be given
    as objects or as their codes ("languages_hours", "department:59", "2025-Q1").
    """
    checker = Checker(organisation, origin=origin)
    cell = checker.check(
        indicator=indicator,
        territory=territory,
        period=period,
        kind=kind,
        value=value,
        breakdown=breakdown,
        comment=comment,
    )
    organisation_id = organisation.pk if organisation else None
    with transaction.atomic():
        locks.hold_for_value_write()
        hold_group(cell.group, organisation_id)
        errors: dict[str, str] = {}
        if message := checker.lock_error(cell):
            errors["period"] = message
        current: IndicatorValue | None = None
        if instance is not None:
            current = IndicatorValue.objects.select_for_update().filter(pk=instance.pk).first()
            if current is None:
                raise ValidationError(_("This value no longer exists."))
            if current.organisation_id != organisation_id:
                raise ValidationError({"organisation": _("This value was entered by another organisation.")})
            old = Cell(
                indicator=current.indicator,
                territory=Territory(current.territory_level, current.territory_code),
                period=Period(current.period_kind, current.period_start),
                kind=current.kind,
                breakdown=current.breakdown,
                value=current.value,
            )
            if "period" not in errors and (message := checker.lock_error(old)):
                errors["period"] = message
        existing = (
            IndicatorValue.objects.select_for_update()
            .filter(
                indicator=cell.indicator,
                territory_level=cell.territory.level,
                territory_code=cell.territory.code,
                period_kind=cell.period.kind,
                period_start=cell.period.start,
                breakdown=cell.breakdown,
                kind=cell.kind,
            )
            .filter(**({"organisation_id": organisation_id} if organisation_id else {"organisation__isnull": True}))
            .first()
        )
        if current is not None and existing is not None and existing.pk != current.pk:
            errors["breakdown" if cell.breakdown else "period"] = _(
                "A value already exists for this indicator, territory, period, breakdown and kind."
            )
        target = current if current is not None else existing
        if not errors:
            state = group_state(cell.group, organisation_id, exclude_pk=target.pk if target else None)
            state[cell.breakdown] = cell.value
            for _dimension, message in parts_errors(cell.indicator, state):
                errors["value"] = message
        if errors:
            raise ValidationError(errors)
        before = _snapshot(target) if target is not None else {}
        obj = target or IndicatorValue(organisation=organisation)
        obj.indicator = cell.indicator
        obj.territory_level = cell.territory.level
        obj.territory_code = cell.territory.code
        obj.period_kind = cell.period.kind
        obj.period_start = cell.period.start
        obj.breakdown = cell.breakdown
        obj.kind = cell.kind
        obj.value = cell.value
        obj.comment = cell.comment
        obj.origin = origin
        obj.entered_by = actor if getattr(actor, "is_authenticated", False) else None
        obj.updated_at = timezone.now()
        obj.save()
        changes = diff(before, _snapshot(obj))
        if target is None or changes:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE if target is None else AuditAction.UPDATE,
                obj=obj,
                object_repr=f"{cell.indicator.code} {cell.territory.key} {cell.period.code} {cell.kind}",
                changes=changes,
            )
    return obj


def value_delete(*, actor: Any, value: IndicatorValue) -> None:
    """Delete an entered or imported value (not in a locked period; computed ones are the
    refresh job's)."""
    with transaction.atomic():
        locks.hold_for_value_write()
        current = IndicatorValue.objects.select_for_update().select_related("indicator").filter(pk=value.pk).first()
        if current is None:
            return
        if current.origin == Origin.COMPUTED:
            raise ValidationError(_("A computed value is recomputed by Maillage: it cannot be deleted."))
        territory = Territory(current.territory_level, current.territory_code)
        period = Period(current.period_kind, current.period_start)
        lock = locks.find_lock(territory, period)
        if lock is not None:
            raise ValidationError({"period": locks.lock_message(lock)})
        before = _snapshot(current)
        repr_ = f"{current.indicator.code} {territory.key} {period.code} {current.kind}"
        current.delete()
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            object_type=IndicatorValue._meta.label_lower,
            object_id=str(value.pk),
            object_repr=repr_,
            changes=diff(before, {}),
        )
