"""Period locks: a coordinator closes a period for a territory; no value of that territory, or
of a territory inside it, for that period or a period inside it, can then be written until a
coordinator reopens it, with a reason. Every lock and reopening is an event of the lock's
history and an entry of the audit journal.

These functions do not check permissions: the views ask ``permissions.can_coordinate`` first.

Writes of values and locks are serialised by a PostgreSQL advisory lock: a value write holds it
shared, a lock or a reopening holds it exclusively, so a value is never written in a period
that was locked while the write was being validated.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.territory.models import Commune

from ..enums import PeriodKind, TerritoryLevel
from ..models import PeriodLock, PeriodLockEvent
from ..periods import Period
from ..territories import Territory

# Key of the advisory lock shared by value writes and taken exclusively by lock changes.
_ADVISORY_NAMESPACE = 1229866060  # "INDL"
_KIND_ORDER = {str(PeriodKind.MONTH): 0, str(PeriodKind.QUARTER): 1, str(PeriodKind.YEAR): 2}


def hold_for_value_write() -> None:
    """Called by the value writes, inside their transaction, before checking the locks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [_ADVISORY_NAMESPACE])


def _hold_for_lock_change() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_ADVISORY_NAMESPACE])


def containing_periods(period: Period) -> list[Period]:
    """The period itself and the quarter and year containing it."""
    rank = _KIND_ORDER[str(period.kind)]
    return [period.parent(kind) for kind, order in _KIND_ORDER.items() if order >= rank]


def enclosing_territories(territory: Territory) -> list[tuple[str, str]]:
    """(level, code) of the territory and of every territory containing it: its EPCI (for a
    commune), its department(s) and its region(s)."""
    result = [(str(territory.level), territory.code)]
    if territory.level == TerritoryLevel.COMMUNE:
        epci = Commune.objects.filter(pk=territory.code).values_list("epci_id", flat=True).first()
        if epci:
            result.append((str(TerritoryLevel.EPCI), epci))
    result += [(str(t.level), t.code) for t in territory.ancestors()]
    return result


def find_lock(
    territory: Territory, period: Period, *, enclosing: list[tuple[str, str]] | None = None
) -> PeriodLock | None:
    """The lock that forbids writing a value of ``territory`` for ``period``, if any."""
    places = enclosing if enclosing is not None else enclosing_territories(territory)
    q = Q()
    for level, code in places:
        q |= Q(territory_level=level, territory_code=code)
    when = Q()
    for p in containing_periods(period):
        when |= Q(period_kind=p.kind, period_start=p.start)
    return PeriodLock.objects.filter(q, when, is_locked=True).order_by("pk").first()


def lock_message(lock: PeriodLock) -> str:
    period = Period(lock.period_kind, lock.period_start)
    return _("The period %(period)s is locked for %(territory)s: a coordinator must reopen it before any change.") % {
        "period": period.code,
        "territory": f"{lock.territory_level}:{lock.territory_code}",
    }


def _lock_row(territory: Territory, period: Period) -> PeriodLock | None:
    return (
        PeriodLock.objects.select_for_update()
        .filter(
            territory_level=territory.level,
            territory_code=territory.code,
            period_kind=period.kind,
            period_start=period.start,
        )
        .first()
    )


def _parse(territory: Territory | str, period: Period | str) -> tuple[Territory, Period]:
    errors: dict[str, str] = {}
    t: Territory | None = territory if isinstance(territory, Territory) else None
    p: Period | None = period if isinstance(period, Period) else None
    if t is None:
        try:
            t = Territory.parse(str(territory))
        except ValueError as exc:
            errors["territory"] = str(exc)
    if p is None:
        try:
            p = Period.parse(str(period))
        except ValueError as exc:
            errors["period"] = str(exc)
    if errors or t is None or p is None:
        raise ValidationError(errors)
    return t, p


def period_lock(*, actor: Any, territory: Territory | str, period: Period | str, reason: str = "") -> PeriodLock:
    """Lock ``period`` for ``territory`` (and everything inside both)."""
    t, p = _parse(territory, period)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": _("Write at most 500 characters.")})
    with transaction.atomic():
        _hold_for_lock_change()
        lock = _lock_row(t, p)
        if lock is not None and lock.is_locked:
            raise ValidationError(
                {
                    "period": _("The period %(period)s is already locked for %(territory)s.")
                    % {"period": p.code, "territory": t.key}
                }
            )
        now = timezone.now()
        if lock is None:
            lock = PeriodLock.objects.create(
                territory_level=t.level, territory_code=t.code, period_kind=p.kind, period_start=p.start, updated_at=now
            )
        else:
            lock.is_locked = True
            lock.updated_at = now
            lock.save(update_fields=["is_locked", "updated_at"])
        _record_change(actor=actor, lock=lock, label=f"{t.key} {p.code}", reason=reason, at=now)
    return lock


def period_reopen(*, actor: Any, territory: Territory | str, period: Period | str, reason: str) -> PeriodLock:
    """Reopen a locked period, with a reason (kept in the history and the journal)."""
    t, p = _parse(territory, period)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason of the reopening.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Write at most 500 characters.")})
    with transaction.atomic():
        _hold_for_lock_change()
        lock = _lock_row(t, p)
        if lock is None or not lock.is_locked:
            raise ValidationError(
                {
                    "period": _("The period %(period)s is not locked for %(territory)s.")
                    % {"period": p.code, "territory": t.key}
                }
            )
        now = timezone.now()
        lock.is_locked = False
        lock.updated_at = now
        lock.save(update_fields=["is_locked", "updated_at"])
        _record_change(actor=actor, lock=lock, label=f"{t.key} {p.code}", reason=reason, at=now)
    return lock


def _record_change(*, actor: Any, lock: PeriodLock, label: str, reason: str, at: Any) -> None:
    """The history event and the audit entry of a lock or a reopening (``lock.is_locked`` is the new state)."""
    PeriodLockEvent.objects.create(
        lock=lock,
        action=PeriodLockEvent.Action.LOCKED if lock.is_locked else PeriodLockEvent.Action.REOPENED,
        reason=reason,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=lock,
        object_repr=label,
        changes={"is_locked": [not lock.is_locked, lock.is_locked]},
        reason=reason,
    )
