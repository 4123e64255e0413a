from datetime import date

import pytest

from maillage.indicators.periods import Period
from maillage.indicators.territories import Territory
from tests.indicators.factories import AggregateValueFactory, IndicatorValueFactory


def test_periods_parse_and_nest():
    quarter = Period.parse("2024-Q2")
    assert quarter.start == date(2024, 4, 1) and quarter.end == date(2024, 6, 30)
    assert Period.parse("2024").contains(quarter)
    assert [p.code for p in quarter.children("month")] == ["2024-04", "2024-05", "2024-06"]
    assert Period.parse("2024-12").end == date(2024, 12, 31)
    with pytest.raises(ValueError):
        Period.parse("2024-13")


@pytest.mark.django_db
def test_territory_and_factories():
    assert Territory.parse("department:59").department_codes() == {"59"}
    assert {t.key for t in Territory.parse("commune:59350").ancestors()} == {"department:59", "region:32"}
    with pytest.raises(ValueError):
        Territory.parse("department:999")
    assert IndicatorValueFactory().indicator.code
    assert AggregateValueFactory().value == 120
