"""The catalogue and an indicator's page: definition, rules, values by territory and period."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from maillage.indicators import enums
from tests.indicators.factories import AggregateValueFactory, IndicatorFactory
from tests.indicators.test_dashboard import A, T, Y, values
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def state_user():
    return member("manager", OrganisationFactory(departments=["59"], kind="state_service"))


@pytest.fixture
def partner_user():
    return member("professional", OrganisationFactory(departments=["59"]))


def test_catalogue_lists_active_indicators_by_domain(client, state_user):
    IndicatorFactory(code="french_hours", name_en="Hours of French", domain=enums.Domain.LANGUAGE)
    IndicatorFactory(code="homes", name_en="Homes found", domain=enums.Domain.HOUSING)
    IndicatorFactory(code="old", name_en="Old one", is_active=False)
    client.force_login(state_user)
    html = client.get(reverse("indicators:catalogue")).content.decode()
    assert "Hours of French" in html and "Homes found" in html and "Old one" not in html
    assert "2 indicators" in html
    html = client.get(reverse("indicators:catalogue"), {"domain": "housing"}).content.decode()
    assert "Homes found" in html and "Hours of French" not in html


def test_catalogue_fixed_number_of_queries(client, state_user, django_assert_num_queries):
    IndicatorFactory(code="a")
    IndicatorFactory(code="b")
    client.force_login(state_user)
    url = reverse("indicators:catalogue")
    client.get(url)
    with django_assert_num_queries(8) as two:
        client.get(url)
    for code in "cdef":
        IndicatorFactory(code=code, domain=enums.Domain.HEALTH)
    with django_assert_num_queries(len(two.captured_queries)):
        client.get(url)


def region_values():
    """Region 32 = 10 = Nord 7 + Pas-de-Calais 3, in 2025."""
    indicator = IndicatorFactory(
        code="households_followed", name_en="Households followed", definition_en="Households with a referent."
    )
    values(
        indicator,
        {(Y, date(2025, 1, 1), "", A): 10, (Y, date(2025, 1, 1), "", T): 20},
        territory_level="region",
        territory_code="32",
    )
    values(indicator, {(Y, date(2025, 1, 1), "", A): 7})
    values(indicator, {(Y, date(2025, 1, 1), "", A): 3}, territory_code="62")
    return indicator


def test_detail_shows_definition_rules_and_values(client, state_user):
    indicator = region_values()
    client.force_login(state_user)
    url = reverse("indicators:indicator_detail", args=[indicator.code])
    html = client.get(url, {"territory": "region:32", "year": "2025"}).content.decode()
    assert "Households followed" in html and "Households with a referent." in html
    assert "the departments to the region" in html  # the sum rule explained
    assert "Hauts-de-France" in html and "Nord" in html and "Pas-de-Calais" in html and "Aisne" in html
    assert "Targets, Hauts-de-France" in html
    assert "2021" in html and "2025" in html
    assert "indicator=households_followed" in html  # its export


def test_detail_suppresses_a_department_and_a_second_one(client, partner_user):
    indicator = region_values()
    client.force_login(partner_user)
    response = client.get(
        reverse("indicators:indicator_detail", args=[indicator.code]), {"territory": "region:32", "year": "2025"}
    )
    table = response.context["table"]
    actual = {territory.code: figures[-1] for territory, figures in table.actual}
    assert actual["32"].text == "10"
    assert actual["62"].marker == "< 5" and actual["62"].value is None
    assert actual["59"].marker == "s" and actual["59"].value is None  # else 10 − 3 = 7 gives it back


def test_detail_unknown_code_is_404(client, state_user):
    client.force_login(state_user)
    assert client.get(reverse("indicators:indicator_detail", args=["nope"])).status_code == 404


def test_detail_fixed_number_of_queries(client, state_user, django_assert_num_queries):
    indicator = region_values()
    client.force_login(state_user)
    url = reverse("indicators:indicator_detail", args=[indicator.code])
    query = {"territory": "region:32", "year": "2025", "scale": "quarters"}
    client.get(url, query)
    with django_assert_num_queries(11) as first:
        client.get(url, query)
    for month in range(1, 4):
        AggregateValueFactory(
            indicator=indicator, period_kind="quarter", period_start=date(2025, month * 3 - 2, 1), value=2
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url, query)
