"""Entered values: validation (unit, type, breakdown, parts ≤ total, territory, computed
indicators, locks) with nothing written on refusal, and the audit journal."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from maillage.audit.models import AuditEntry
from maillage.indicators import enums
from maillage.indicators.models import IndicatorValue
from maillage.indicators.services.locks import period_lock
from maillage.indicators.services.values import value_delete, value_set
from tests.indicators.factories import IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return OrganisationFactory(departments=["59"])


@pytest.fixture
def actor(organisation):
    return member("professional", organisation)


def _set(actor, organisation, **kwargs):
    params = {
        "indicator": "people_welcomed",
        "territory": "department:59",
        "period": "2025",
        "kind": "actual",
        "value": "120",
    }
    params.update(kwargs)
    return value_set(actor=actor, organisation=organisation, **params)


def _errors(exc_info):
    return exc_info.value.message_dict


def test_value_set_creates_then_replaces_and_journals(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    value = _set(actor, organisation, value="1 200", comment="  first  ")
    assert value.value == Decimal("1200") and value.comment == "first"
    assert value.origin == enums.Origin.ENTERED and value.entered_by == actor
    again = _set(actor, organisation, value=1300)
    assert again.pk == value.pk and again.value == Decimal("1300")
    assert IndicatorValue.objects.count() == 1
    entries = AuditEntry.objects.filter(object_type="indicators.indicatorvalue").order_by("pk")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes["value"] == ["1200.00", "1300.00"]


@pytest.mark.parametrize(
    ("unit", "raw", "field", "message"),
    [
        (enums.Unit.COUNT, "12.5", "value", "whole number"),
        (enums.Unit.DAYS, "1,5", "value", "whole number"),
        (enums.Unit.PERCENT, "101", "value", "between 0 and 100"),
        (enums.Unit.HOURS, "-3", "value", "cannot be negative"),
        (enums.Unit.HOURS, "3.125", "value", "two decimals"),
        (enums.Unit.COUNT, "twelve", "value", "is not a number"),
        (enums.Unit.COUNT, "", "value", "Give a number"),
    ],
)
def test_wrong_unit_or_type_refused(actor, organisation, unit, raw, field, message):
    IndicatorFactory(code="people_welcomed", unit=unit)
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, value=raw)
    assert message in _errors(exc_info)[field][0]
    assert not IndicatorValue.objects.exists()
    assert not AuditEntry.objects.filter(object_type="indicators.indicatorvalue").exists()


def test_decimal_allowed_for_hours_and_percent(actor, organisation):
    IndicatorFactory(code="people_welcomed", unit=enums.Unit.HOURS)
    assert _set(actor, organisation, value="12,5").value == Decimal("12.50")
    IndicatorFactory(code="rate", unit=enums.Unit.PERCENT, aggregation=enums.Aggregation.AVERAGE)
    assert _set(actor, organisation, indicator="rate", value=99.5).value == Decimal("99.50")


def test_bad_cell_fields_refused_together(actor, organisation):
    IndicatorFactory(code="people_welcomed", breakdowns=[enums.Breakdown.SEX])
    with pytest.raises(ValidationError) as exc_info:
        _set(
            actor,
            organisation,
            territory="department:999",
            period="2025-13",
            kind="forecast",
            breakdown="age_band=0_17",
        )
    errors = _errors(exc_info)
    assert "Unknown territory" in errors["territory"][0]
    assert "is not a period" in errors["period"][0]
    assert "not a kind of value" in errors["kind"][0]
    assert "broken down only by: sex" in errors["breakdown"][0]
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, indicator="unknown_code")
    assert "Unknown indicator" in _errors(exc_info)["indicator"][0]
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, breakdown="sex=unknown")
    assert "is not a part of sex" in _errors(exc_info)["breakdown"][0]
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, breakdown="women")
    assert "is not a breakdown" in _errors(exc_info)["breakdown"][0]
    assert not IndicatorValue.objects.exists()


def test_territory_outside_the_organisation_refused(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, territory="department:62")
    assert "outside the departments" in _errors(exc_info)["territory"][0]
    with pytest.raises(ValidationError):
        _set(actor, organisation, territory="region:32")
    # A commune of the department is fine.
    assert _set(actor, organisation, territory="commune:59350").territory_code == "59350"


def test_computed_and_inactive_indicators_refuse_entries(actor, organisation):
    IndicatorFactory(code="people_welcomed", source=enums.Source.COMPUTED, computation="pathways_households")
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation)
    assert "computed from Maillage" in _errors(exc_info)["indicator"][0]
    IndicatorFactory(code="old", is_active=False)
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, indicator="old")
    assert "no longer in use" in _errors(exc_info)["indicator"][0]


def test_breakdown_parts_cannot_exceed_the_total(actor, organisation):
    IndicatorFactory(code="people_welcomed", breakdowns=[enums.Breakdown.SEX, enums.Breakdown.AGE_BAND])
    _set(actor, organisation, value=100)
    _set(actor, organisation, breakdown="sex=female", value=60)
    _set(actor, organisation, breakdown="age_band=0_17", value=90)  # another dimension
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, breakdown="sex=male", value=41)
    assert "parts by sex add up to 101, more than the total 100" in _errors(exc_info)["value"][0]
    _set(actor, organisation, breakdown="sex=male", value=40)
    # Lowering the total below its parts is refused too.
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, value=95)
    assert "more than the total 95" in _errors(exc_info)["value"][0]
    assert IndicatorValue.objects.get(breakdown="").value == 100
    # Another organisation's values are its own cells.
    other = OrganisationFactory(departments=["59"])
    _set(actor, other, breakdown="sex=male", value=500)


def test_parts_of_an_average_or_a_rate_are_not_bounded(actor, organisation):
    IndicatorFactory(code="rate", unit=enums.Unit.PERCENT, aggregation=enums.Aggregation.AVERAGE)
    _set(actor, organisation, indicator="rate", value=40)
    _set(actor, organisation, indicator="rate", breakdown="sex=female", value=70)
    _set(actor, organisation, indicator="rate", breakdown="sex=male", value=60)


def test_edit_moves_a_value_and_refuses_an_occupied_cell(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    first = _set(actor, organisation, period="2024")
    _set(actor, organisation, period="2025")
    moved = _set(actor, organisation, period="2023", instance=first)
    assert moved.pk == first.pk and moved.period_start.year == 2023
    with pytest.raises(ValidationError) as exc_info:
        _set(actor, organisation, period="2025", instance=first)
    assert "already exists" in _errors(exc_info)["period"][0]


def test_locked_period_refused_for_the_territory_inside_and_sub_periods(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    value = _set(actor, organisation, period="2025-03", value=5)
    coordinator = member("coordinator", organisation)
    period_lock(actor=coordinator, territory="region:32", period="2025")
    for territory, period in [("department:59", "2025"), ("commune:59350", "2025-Q2"), ("department:59", "2025-03")]:
        with pytest.raises(ValidationError) as exc_info:
            _set(actor, organisation, territory=territory, period=period)
        assert "is locked for region:32" in _errors(exc_info)["period"][0]
    with pytest.raises(ValidationError):
        value_delete(actor=actor, value=value)
    assert IndicatorValue.objects.get().value == 5
    # Another year is open.
    _set(actor, organisation, period="2024")


def test_lock_on_a_month_does_not_lock_the_year(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    period_lock(actor=None, territory="department:59", period="2025-03")
    with pytest.raises(ValidationError):
        _set(actor, organisation, period="2025-03")
    _set(actor, organisation, period="2025-04")
    _set(actor, organisation, period="2025")


def test_value_delete_journals(actor, organisation):
    IndicatorFactory(code="people_welcomed")
    value = _set(actor, organisation)
    value_delete(actor=actor, value=value)
    assert not IndicatorValue.objects.exists()
    entry = AuditEntry.objects.filter(action="delete").get()
    assert entry.object_repr == "people_welcomed department:59 2025 actual"


def test_computed_value_cannot_be_deleted(actor):
    indicator = IndicatorFactory(code="computed_one", source=enums.Source.COMPUTED)
    value = IndicatorValue.objects.create(
        indicator=indicator,
        territory_level="department",
        territory_code="59",
        period_kind="year",
        period_start="2025-01-01",
        kind="actual",
        value=3,
        origin=enums.Origin.COMPUTED,
    )
    with pytest.raises(ValidationError):
        value_delete(actor=actor, value=value)
