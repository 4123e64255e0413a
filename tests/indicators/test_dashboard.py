"""The dashboard (``views/dashboard.py``, ``selectors.py``): figures, trend, charts, breakdowns,
small-cell suppression for users outside the State services, policy and query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from maillage.core.suppression import determined_cells
from maillage.indicators import enums, selectors
from maillage.indicators.models import AggregateValue, RefreshRun
from maillage.indicators.territories import Territory
from tests.indicators.factories import AggregateValueFactory, IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

URL = reverse("indicators:dashboard")
QUERY = {"territory": "department:59", "year": "2025"}


@pytest.fixture
def state_user():
    return member("manager", OrganisationFactory(departments=["59"], kind="state_service"))


@pytest.fixture
def partner_user():
    """A professional of an association: figures suppressed."""
    return member("professional", OrganisationFactory(departments=["59"]))


def values(indicator, cells, **common):
    """cells: {(period_kind, start, breakdown, kind): value}."""
    for (period_kind, start, breakdown, kind), value in cells.items():
        AggregateValueFactory(
            indicator=indicator,
            period_kind=period_kind,
            period_start=start,
            breakdown=breakdown,
            kind=kind,
            value=value,
            **common,
        )


Y, Q, M = enums.PeriodKind.YEAR, enums.PeriodKind.QUARTER, enums.PeriodKind.MONTH
A, T, B = enums.ValueKind.ACTUAL, enums.ValueKind.TARGET, enums.ValueKind.BASELINE


def welcomed(code="people_welcomed", **kwargs):
    """A count by sex: 2025 = 120 (3 women, 117 men), four quarters of 30, target 150, 2024 = 100."""
    indicator = IndicatorFactory(code=code, name_en="People welcomed", domain=enums.Domain.LANGUAGE, **kwargs)
    cells = {
        (Y, date(2025, 1, 1), "", A): 120,
        (Y, date(2025, 1, 1), "sex=female", A): 3,
        (Y, date(2025, 1, 1), "sex=male", A): 117,
        (Y, date(2025, 1, 1), "", T): 150,
        (Y, date(2024, 1, 1), "", A): 100,
        (Y, date(2023, 1, 1), "", B): 80,
    }
    for quarter in range(4):
        cells[(Q, date(2025, 3 * quarter + 1, 1), "", A)] = 30
    values(indicator, cells)
    return indicator


def test_state_user_sees_every_figure(client, state_user):
    welcomed()
    client.force_login(state_user)
    response = client.get(URL, {**QUERY, "domain": "language"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "People welcomed" in html
    assert "120" in html and "150" in html and "117" in html
    assert "Target reached" not in html and "Below the target" in html and "80 % of the target" in html
    assert "Up on the previous year (improving)" in html
    assert "Baseline 2023" in html
    assert "&lt; 5" not in html and 'class="suppressed"' not in html
    # The trend chart by quarter, accessible, with its table; the breakdown table.
    assert 'role="img"' in html and "2025-Q1" in html
    assert "Data of the chart" in html
    assert "People welcomed by Sex, 2025" in html
    assert "2.5\u202f%" in html  # 3 of 120


def test_partner_sees_small_counts_hidden_with_secondary(client, partner_user):
    welcomed()
    client.force_login(partner_user)
    html = client.get(URL, {**QUERY, "domain": "language"}).content.decode()
    assert '<span class="suppressed">&lt; 5</span>' in html  # the 3 women
    assert '<span class="suppressed">s</span>' in html  # the men, else 120 − 117 gives them back
    assert ">117<" not in html and ">3<" not in html
    assert "120" in html  # the total stays
    assert "Statistical confidentiality" in html


def test_suppression_blocks_leave_nothing_determined():
    indicator = welcomed()
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=indicator))
    hidden = selectors.hidden_cells(rows, {indicator.pk: indicator})
    female = (indicator.pk, "department", "59", Y, date(2025, 1, 1), "sex=female", A)
    male = (indicator.pk, "department", "59", Y, date(2025, 1, 1), "sex=male", A)
    assert hidden == {female: "primary", male: "secondary"}
    table = {key: int(value) for key, value in rows if key[4].year == 2025 and key[6] == A}
    constraints = selectors._constraints(table, indicator.aggregation, None)
    assert determined_cells(hidden, table, constraints) == []


def test_time_constraint_hides_a_second_quarter():
    indicator = IndicatorFactory(code="hours_given", breakdowns=[])
    values(
        indicator,
        {
            (Y, date(2025, 1, 1), "", A): 43,
            (Q, date(2025, 1, 1), "", A): 2,
            (Q, date(2025, 4, 1), "", A): 20,
            (Q, date(2025, 7, 1), "", A): 21,
        },
    )
    rows = selectors.value_rows(AggregateValue.objects.filter(indicator=indicator))
    hidden = selectors.hidden_cells(rows, {indicator.pk: indicator})
    assert sorted(hidden.values()) == ["primary", "secondary"]
    assert (indicator.pk, "department", "59", Q, date(2025, 4, 1), "", A) in hidden  # the smallest other


def test_rates_and_targets_are_not_suppressed(client, partner_user):
    rate = IndicatorFactory(code="rate_in_school", unit=enums.Unit.PERCENT, aggregation=enums.Aggregation.AVERAGE)
    count = IndicatorFactory(code="meetings", breakdowns=[])
    values(rate, {(Y, date(2025, 1, 1), "", A): 3})
    values(count, {(Y, date(2025, 1, 1), "", A): 10, (Y, date(2025, 1, 1), "", T): 2})
    client.force_login(partner_user)
    html = client.get(URL, {**QUERY, "domain": "language"}).content.decode()
    assert "3\u202f%" in html
    assert 'class="suppressed"' not in html


def test_direction_down(client, state_user):
    indicator = IndicatorFactory(code="waiting_days", direction=enums.Direction.DOWN, unit=enums.Unit.DAYS)
    values(
        indicator,
        {(Y, date(2025, 1, 1), "", A): 40, (Y, date(2025, 1, 1), "", T): 45, (Y, date(2024, 1, 1), "", A): 60},
    )
    client.force_login(state_user)
    html = client.get(URL, {**QUERY, "domain": "language"}).content.decode()
    assert "Target reached" in html
    assert "Down on the previous year (improving)" in html


def test_overview_has_no_charts_and_links_to_domains(client, state_user):
    welcomed()
    IndicatorFactory(code="homes_found", domain=enums.Domain.HOUSING, name_en="Homes found")
    client.force_login(state_user)
    html = client.get(URL, QUERY).content.decode()
    assert "French language" in html and "Housing" in html and "Homes found" in html
    assert "<svg" not in html
    assert "domain=language" in html
    assert "Indicators: Nord, 2025" in html


def test_months_scale(client, state_user):
    indicator = IndicatorFactory(code="outcomes", breakdowns=[])
    values(indicator, {(M, date(2025, month, 1), "", A): 10 * month for month in range(1, 4)})
    client.force_login(state_user)
    html = client.get(URL, {**QUERY, "domain": "language"}).content.decode()
    assert "2025-03" in html and "2025-12" in html
    assert "Actual 2025-03" in html  # no yearly value: the latest month


def test_defaults_to_the_users_department_and_latest_year(client, state_user):
    welcomed()
    client.force_login(state_user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["filters"].territory.key == "department:59"
    assert response.context["filters"].year == 2025


def test_unknown_territory_is_a_form_error(client, state_user):
    client.force_login(state_user)
    response = client.get(URL, {"territory": "department:999", "year": "2025"})
    assert response.status_code == 200
    assert "Unknown territory" in response.content.decode()
    assert response.context["filters"].territory.key == "department:59"


def test_commune_territory_from_the_url(client, state_user):
    indicator = IndicatorFactory(code="in_lille", breakdowns=[])
    values(indicator, {(Y, date(2025, 1, 1), "", A): 12}, territory_level="commune", territory_code="59350")
    client.force_login(state_user)
    response = client.get(URL, {"territory": "commune:59350", "year": "2025", "domain": "language"})
    assert response.status_code == 200
    assert response.context["data"].cards[0].actual.value == Decimal(12)


def test_bad_year_is_an_error_not_a_crash(client, state_user):
    client.force_login(state_user)
    response = client.get(URL, {"territory": "department:59", "year": "abc"})
    assert response.status_code == 200


def test_refresh_date_shown(client, state_user):
    from django.utils import timezone

    RefreshRun.objects.create(finished_at=timezone.now())
    client.force_login(state_user)
    assert "Figures updated on" in client.get(URL, QUERY).content.decode()


def test_user_without_organisation_gets_404(client, django_user_model):
    user = django_user_model.objects.create_user(email="nobody@example.org", password="x" * 12)
    client.force_login(user)
    assert client.get(URL, QUERY).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL, QUERY)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("domain", ["", "language"])
def test_fixed_number_of_queries(client, partner_user, django_assert_num_queries, domain):
    welcomed("first")
    welcomed("second")
    client.force_login(partner_user)
    query = {**QUERY, "domain": domain}
    client.get(URL, query)  # warm the caches of the session and of the suppression
    # session, user, memberships (policy, scope), departments, indicators, values, the places of
    # the region and the blocks' digests (solved already), last refresh, session save (3).
    with django_assert_num_queries(13) as two:
        assert client.get(URL, query).status_code == 200
    count = len(two.captured_queries)
    for n in range(3, 7):
        welcomed(f"more_{n}")
    client.get(URL, query)  # the new blocks solved once
    with django_assert_num_queries(count):
        assert client.get(URL, query).status_code == 200


@pytest.mark.parametrize("domain", ["", "language"])
def test_fixed_number_of_queries_with_blocks_to_solve(client, partner_user, django_assert_num_queries, domain):
    welcomed("first")
    welcomed("second")
    client.force_login(partner_user)
    query = {**QUERY, "domain": domain}
    client.get(URL, query)
    selectors.clear_suppression_cache()
    # As above, and the rows of the blocks not solved yet.
    with django_assert_num_queries(14) as two:
        assert client.get(URL, query).status_code == 200
    for n in range(3, 7):
        welcomed(f"more_{n}")
    selectors.clear_suppression_cache()
    with django_assert_num_queries(len(two.captured_queries)):
        assert client.get(URL, query).status_code == 200


def test_dashboard_selector_reads_only_the_territory():
    indicator = welcomed()
    values(indicator, {(Y, date(2025, 1, 1), "", A): 999}, territory_code="62")
    data = selectors.dashboard_data(
        territory=Territory("department", "59", "Nord"), year=2025, domain="language", hide=False
    )
    assert data.cards[0].actual.value == 120


def test_a_rate_by_month_shows_the_years_target(client, state_user):
    rate = IndicatorFactory(code="school_rate", unit=enums.Unit.PERCENT, aggregation=enums.Aggregation.AVERAGE)
    values(rate, {(M, date(2025, 1, 1), "", A): 60, (M, date(2025, 2, 1), "", A): 70, (Y, date(2025, 1, 1), "", T): 90})
    client.force_login(state_user)
    response = client.get(URL, {**QUERY, "domain": "language"})
    entry = response.context["groups"][0][2][0]
    assert entry["chart_table"]["headers"] == ["Actual", "Target 2025"]
    assert entry["chart_table"]["rows"][0] == ["2025-01", "60\u202f%", "90\u202f%"]
