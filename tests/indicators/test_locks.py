"""Period locks: lock, refused writes, logged reopening (reason required), then allowed."""

import pytest
from django.core.exceptions import ValidationError

from maillage.audit.models import AuditEntry
from maillage.indicators.models import IndicatorValue, PeriodLock, PeriodLockEvent
from maillage.indicators.services.locks import period_lock, period_reopen
from maillage.indicators.services.values import value_set
from tests.indicators.factories import IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def test_lock_refuses_then_reopening_with_reason_allows():
    organisation = OrganisationFactory(departments=["02", "59", "60", "62", "80"])
    coordinator = member("coordinator", organisation)
    IndicatorFactory(code="people_welcomed")

    def write(value):
        return value_set(
            actor=coordinator,
            organisation=organisation,
            indicator="people_welcomed",
            territory="department:59",
            period="2025-Q1",
            kind="actual",
            value=value,
        )

    write(10)
    lock = period_lock(actor=coordinator, territory="department:59", period="2025", reason="Review closed")
    with pytest.raises(ValidationError) as exc_info:
        write(11)
    assert "locked" in exc_info.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as exc_info:
        period_lock(actor=coordinator, territory="department:59", period="2025")
    assert "already locked" in exc_info.value.message_dict["period"][0]

    with pytest.raises(ValidationError) as exc_info:
        period_reopen(actor=coordinator, territory="department:59", period="2025", reason="  ")
    assert "reason" in exc_info.value.message_dict
    assert PeriodLock.objects.get().is_locked

    period_reopen(actor=coordinator, territory="department:59", period="2025", reason="Correction of Q1")
    assert write(11).value == 11
    assert IndicatorValue.objects.count() == 1

    events = list(PeriodLockEvent.objects.filter(lock=lock).order_by("at", "pk"))
    assert [(e.action, e.reason, e.actor) for e in events] == [
        ("locked", "Review closed", coordinator),
        ("reopened", "Correction of Q1", coordinator),
    ]
    journal = AuditEntry.objects.filter(object_type="indicators.periodlock").order_by("pk")
    assert [e.reason for e in journal] == ["Review closed", "Correction of Q1"]
    assert journal[1].changes == {"is_locked": [True, False]}

    # Locked again: the same row, a third event.
    period_lock(actor=coordinator, territory="department:59", period="2025")
    assert PeriodLock.objects.count() == 1 and PeriodLockEvent.objects.count() == 3


def test_reopen_of_an_open_period_and_bad_input_refused():
    with pytest.raises(ValidationError) as exc_info:
        period_reopen(actor=None, territory="department:59", period="2025", reason="x")
    assert "not locked" in exc_info.value.message_dict["period"][0]
    with pytest.raises(ValidationError) as exc_info:
        period_lock(actor=None, territory="nowhere", period="20")
    assert set(exc_info.value.message_dict) == {"territory", "period"}
    assert not PeriodLock.objects.exists()
