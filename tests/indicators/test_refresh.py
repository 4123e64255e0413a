"""The refresh job: roll-ups over time and space per aggregation rule, stored values winning,
organisations added up, the run recorded."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.indicators import enums
from maillage.indicators.models import AggregateValue, RefreshRun
from maillage.indicators.refresh import refresh_all
from maillage.territory.models import Commune
from tests.indicators.factories import IndicatorFactory, IndicatorValueFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)


def commune(code, indicator, month, value, **kwargs):
    return IndicatorValueFactory(
        indicator=indicator,
        territory_level="commune",
        territory_code=code,
        period_kind="month",
        period_start=date(2025, month, 1),
        value=value,
        **kwargs,
    )


def agg(indicator, level, code, kind, start, breakdown="", value_kind="actual"):
    row = AggregateValue.objects.filter(
        indicator=indicator,
        territory_level=level,
        territory_code=code,
        period_kind=kind,
        period_start=start,
        breakdown=breakdown,
        kind=value_kind,
    ).first()
    return None if row is None else row.value


def test_sum_rolls_up_over_time_and_space():
    indicator = IndicatorFactory(aggregation=enums.Aggregation.SUM)
    commune("59350", indicator, 1, 10)
    commune("59350", indicator, 2, 5)
    commune("59009", indicator, 1, 3)
    commune("62041", indicator, 4, 7)
    commune("59350", indicator, 1, 4, breakdown="sex=female")
    commune("59350", indicator, 1, 20, kind="target")
    run = refresh_all(today=TODAY)
    assert run.error == "" and run.duration_ms is not None and run.aggregate_values == AggregateValue.objects.count()
    assert agg(indicator, "commune", "59350", "quarter", date(2025, 1, 1)) == 15
    assert agg(indicator, "department", "59", "month", date(2025, 1, 1)) == 13
    assert agg(indicator, "department", "59", "quarter", date(2025, 1, 1)) == 18
    assert agg(indicator, "department", "59", "year", date(2025, 1, 1)) == 18
    assert agg(indicator, "department", "62", "year", date(2025, 1, 1)) == 7
    assert agg(indicator, "region", "32", "year", date(2025, 1, 1)) == 25
    assert agg(indicator, "region", "32", "quarter", date(2025, 4, 1)) == 7
    assert agg(indicator, "region", "32", "year", date(2025, 1, 1), breakdown="sex=female") == 4
    assert agg(indicator, "region", "32", "year", date(2025, 1, 1), value_kind="target") == 20
    epci = Commune.objects.get(code="59350").epci_id
    assert agg(indicator, "epci", epci, "year", date(2025, 1, 1)) == 15 + (
        3 if Commune.objects.get(code="59009").epci_id == epci else 0
    )
    assert (
        AggregateValue.objects.get(
            indicator=indicator, territory_level="region", period_kind="year", breakdown="", kind="actual"
        ).sources
        == 4
    )


def test_stored_value_wins_over_the_roll_up():
    indicator = IndicatorFactory(aggregation=enums.Aggregation.SUM)
    commune("59350", indicator, 1, 10)
    IndicatorValueFactory(indicator=indicator, territory_level="region", territory_code="32", value=100)
    IndicatorValueFactory(
        indicator=indicator,
        territory_level="department",
        territory_code="59",
        period_kind="quarter",
        period_start=date(2025, 1, 1),
        value=12,
    )
    refresh_all(today=TODAY)
    assert agg(indicator, "region", "32", "year", date(2025, 1, 1)) == 100
    assert agg(indicator, "department", "59", "quarter", date(2025, 1, 1)) == 12
    assert agg(indicator, "department", "59", "month", date(2025, 1, 1)) == 10


def test_average_last_and_distinct_count():
    average = IndicatorFactory(aggregation=enums.Aggregation.AVERAGE, unit=enums.Unit.PERCENT)
    commune("59350", average, 1, 10)
    commune("59009", average, 1, 21)
    commune("59350", average, 2, 30)
    last = IndicatorFactory(aggregation=enums.Aggregation.LAST)
    commune("59350", last, 1, 5)
    commune("59350", last, 3, 7)
    commune("59350", last, 5, 9)
    commune("59009", last, 2, 2)
    distinct = IndicatorFactory(aggregation=enums.Aggregation.DISTINCT_COUNT)
    IndicatorValueFactory(indicator=distinct, period_kind="month", period_start=date(2025, 1, 1), value=40)
    IndicatorValueFactory(indicator=distinct, period_kind="month", period_start=date(2025, 2, 1), value=45)
    refresh_all(today=TODAY)
    assert agg(average, "department", "59", "month", date(2025, 1, 1)) == Decimal("15.5")
    assert agg(average, "commune", "59350", "quarter", date(2025, 1, 1)) == 20
    # The department's quarter: the mean of its communes' quarters (20 and 21).
    assert agg(average, "department", "59", "quarter", date(2025, 1, 1)) == Decimal("20.5")
    assert agg(last, "commune", "59350", "quarter", date(2025, 1, 1)) == 7
    assert agg(last, "commune", "59350", "year", date(2025, 1, 1)) == 9
    assert agg(last, "department", "59", "year", date(2025, 1, 1)) == 11  # 9 + 2: summed over space
    assert agg(distinct, "department", "59", "month", date(2025, 2, 1)) == 45
    assert agg(distinct, "department", "59", "quarter", date(2025, 1, 1)) is None
    assert agg(distinct, "region", "32", "month", date(2025, 1, 1)) is None


def test_organisations_values_added_up_and_inactive_ignored():
    indicator = IndicatorFactory()
    IndicatorValueFactory(indicator=indicator, organisation=OrganisationFactory(), value=10)
    IndicatorValueFactory(indicator=indicator, organisation=OrganisationFactory(), value=20)
    inactive = IndicatorFactory(is_active=False)
    IndicatorValueFactory(indicator=inactive)
    refresh_all(today=TODAY)
    assert agg(indicator, "department", "59", "year", date(2025, 1, 1)) == 30
    assert not AggregateValue.objects.filter(indicator=inactive).exists()
    # A second run replaces everything.
    refresh_all(today=TODAY)
    assert AggregateValue.objects.filter(indicator=indicator).count() == 2
    assert RefreshRun.objects.count() == 2


def test_average_over_time_is_the_mean_of_the_months():
    """Uneven months per quarter: the year is the mean of its months, not of its quarters'
    means; without months, of its quarters; else the value stored for the year."""
    average = IndicatorFactory(aggregation=enums.Aggregation.AVERAGE, unit=enums.Unit.PERCENT)
    for month, value in ((1, 10), (2, 20), (3, 30), (4, 80)):
        commune("59350", average, month, value)
    for start, value in ((date(2025, 1, 1), 10), (date(2025, 7, 1), 40)):
        IndicatorValueFactory(
            indicator=average,
            territory_level="commune",
            territory_code="59009",
            period_kind="quarter",
            period_start=start,
            value=value,
        )
    IndicatorValueFactory(indicator=average, territory_level="commune", territory_code="62041", value=60)
    refresh_all(today=TODAY)
    year = date(2025, 1, 1)
    assert agg(average, "commune", "59350", "quarter", year) == 20
    assert agg(average, "commune", "59350", "quarter", date(2025, 4, 1)) == 80
    assert agg(average, "commune", "59350", "year", year) == 35  # (10+20+30+80)/4, not (20+80)/2
    assert agg(average, "commune", "59009", "year", year) == 25  # quarters only
    assert agg(average, "commune", "62041", "year", year) == 60  # stored year only
    assert agg(average, "department", "59", "year", year) == 30  # mean of its communes' years
