"""Bulk import of an organisation's values: all or nothing, errors per row."""

from decimal import Decimal

import pytest

from maillage.audit.models import AuditEntry
from maillage.indicators import enums
from maillage.indicators.models import IndicatorValue
from maillage.indicators.services.imports import columns_errors, values_import
from maillage.indicators.services.locks import period_lock
from tests.indicators.factories import IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def row(**kwargs):
    base = {
        "indicator": "people_welcomed",
        "territory": "department:59",
        "period": "2025",
        "kind": "actual",
        "breakdown": "",
        "value": "100",
        "comment": "",
    }
    base.update(kwargs)
    return base


@pytest.fixture
def setup():
    organisation = OrganisationFactory(departments=["59", "62"])
    IndicatorFactory(code="people_welcomed", breakdowns=[enums.Breakdown.SEX])
    IndicatorFactory(code="french_hours", unit=enums.Unit.HOURS, breakdowns=[])
    return organisation, member("manager", organisation)


def test_import_writes_all_rows_and_replaces_existing(setup):
    organisation, actor = setup
    rows = [
        row(),
        row(breakdown="sex=female", value=60),
        row(breakdown="sex=male", value="40"),
        row(indicator="french_hours", territory="department:62", period="2025-Q1", value=12.5),
        row(indicator="", territory="", period="", kind="", value="", breakdown=None, comment=None),
        row(kind="target", value=150, comment="Plan 2025"),
    ]
    result = values_import(actor=actor, organisation=organisation, rows=rows)
    assert result.ok and (result.created, result.updated, result.skipped) == (5, 0, 1)
    assert IndicatorValue.objects.get(indicator__code="french_hours").value == Decimal("12.5")
    assert IndicatorValue.objects.get(kind="target").comment == "Plan 2025"
    again = values_import(actor=actor, organisation=organisation, rows=[row(value=110)])
    assert (again.created, again.updated) == (0, 1)
    assert IndicatorValue.objects.get(indicator__code="people_welcomed", kind="actual", breakdown="").value == 110
    assert AuditEntry.objects.filter(object_type="indicators.indicatorvalue").count() == 2


def test_any_error_writes_nothing_and_lists_rows(setup):
    organisation, actor = setup
    rows = [
        row(_row=2),
        row(_row=3, value="12.5"),
        row(_row=4, territory="department:93"),
        row(_row=5, breakdown="age_band=0_17"),
        row(_row=6, period="2025-14", kind="plan"),
        row(_row=7),
    ]
    result = values_import(actor=actor, organisation=organisation, rows=rows)
    assert not result.ok and result.written == 0
    found = [(e.row, e.field) for e in result.errors]
    assert found == [(3, "value"), (4, "territory"), (5, "breakdown"), (6, "period"), (6, "kind"), (7, "")]
    assert "row 2" in result.errors[-1].message
    assert str(result.errors[0]).startswith("Row 3 (value): ")
    assert not IndicatorValue.objects.exists()


def test_parts_exceeding_total_counted_with_stored_values(setup):
    organisation, actor = setup
    assert values_import(
        actor=actor, organisation=organisation, rows=[row(value=100), row(breakdown="sex=female", value=70)]
    ).ok
    result = values_import(
        actor=actor,
        organisation=organisation,
        rows=[row(breakdown="sex=male", value=31), row(indicator="french_hours", value=2)],
    )
    assert [(e.row, e.field) for e in result.errors] == [(2, "value")]
    assert "add up to 101, more than the total 100" in result.errors[0].message
    assert IndicatorValue.objects.count() == 2
    # Raising the total in the same file makes it right.
    result = values_import(
        actor=actor, organisation=organisation, rows=[row(breakdown="sex=male", value=31), row(value=101)]
    )
    assert result.ok and result.created == 1 and result.updated == 1


def test_locked_period_refuses_the_whole_file(setup):
    organisation, actor = setup
    period_lock(actor=None, territory="department:62", period="2025")
    result = values_import(
        actor=actor, organisation=organisation, rows=[row(), row(territory="commune:62041", period="2025-02")]
    )
    assert [(e.row, e.field) for e in result.errors] == [(3, "period")]
    assert "locked for department:62" in result.errors[0].message
    assert not IndicatorValue.objects.exists()


def test_empty_file_and_columns():
    organisation = OrganisationFactory()
    result = values_import(actor=None, organisation=organisation, rows=[])
    assert not result.ok and result.errors[0].row is None
    assert columns_errors(["indicator", "territory", "period", "kind", "breakdown", "value", "comment"]) == []
    messages = columns_errors(["Indicator", "territory", "period", "kind", "value", "value", "extra"])
    assert messages[0] == "Missing columns: breakdown, comment."
    assert messages[1] == "Unexpected columns: extra."
    assert messages[2] == "Repeated columns: value."
