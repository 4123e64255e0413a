"""API: GET /api/v1/indicators and /api/v1/indicators/{code}/values, suppressed when needed."""

from __future__ import annotations

import pytest

from maillage.indicators import enums
from tests.indicators.factories import IndicatorFactory
from tests.indicators.test_catalogue_pages import region_values
from tests.indicators.test_dashboard import welcomed
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

LIST = "/api/v1/indicators"


def values_url(code):
    return f"/api/v1/indicators/{code}/values"


@pytest.fixture
def state_user():
    return member("manager", OrganisationFactory(departments=["59"], kind="state_service"))


@pytest.fixture
def partner_user():
    return member("professional", OrganisationFactory(departments=["59"]))


def test_anonymous_gets_401(client):
    assert client.get(LIST).status_code == 401


def test_list_indicators(client, state_user):
    IndicatorFactory(code="a_lang", domain=enums.Domain.LANGUAGE)
    IndicatorFactory(code="b_home", domain=enums.Domain.HOUSING, breakdowns=[])
    IndicatorFactory(code="c_old", is_active=False)
    client.force_login(state_user)
    body = client.get(LIST).json()
    assert body["count"] == 2
    assert {i["code"] for i in body["items"]} == {"a_lang", "b_home"}
    item = next(i for i in body["items"] if i["code"] == "a_lang")
    assert item["breakdowns"] == ["sex"] and item["aggregation"] == "sum" and item["unit"] == "count"
    body = client.get(LIST, {"domain": "housing"}).json()
    assert [i["code"] for i in body["items"]] == ["b_home"]
    assert client.get(LIST, {"domain": "nope"}).status_code == 422


def test_list_fixed_number_of_queries(client, state_user, django_assert_num_queries):
    IndicatorFactory(code="x1")
    IndicatorFactory(code="x2")
    client.force_login(state_user)
    client.get(LIST)
    with django_assert_num_queries(9) as two:
        client.get(LIST)
    for n in range(3, 8):
        IndicatorFactory(code=f"x{n}")
    with django_assert_num_queries(len(two.captured_queries)):
        assert client.get(LIST).json()["count"] == 7


def test_values_filtered(client, state_user):
    welcomed()
    client.force_login(state_user)
    url = values_url("people_welcomed")
    body = client.get(url, {"territory": "department:59", "period": "2025", "breakdown": "total"}).json()
    assert {(i["kind"], i["value"]) for i in body["items"]} == {("actual", 120.0), ("target", 150.0)}
    body = client.get(url, {"territory": "department:59", "period": "2025", "breakdown": "sex"}).json()
    assert {i["breakdown"]: i["value"] for i in body["items"]} == {"sex=female": 3.0, "sex=male": 117.0}
    assert all(i["suppressed"] == "" for i in body["items"])
    body = client.get(url, {"territory": "department:59", "period": "2025-Q2", "kind": "actual"}).json()
    assert body["items"] == [
        {
            "territory": "department:59",
            "period": "2025-Q2",
            "breakdown": "",
            "kind": "actual",
            "value": 30.0,
            "suppressed": "",
        }
    ]
    body = client.get(url, {"period": "2025", "breakdown": "sex=female"}).json()
    assert body["count"] == 1


def test_values_suppressed_for_a_partner_whatever_the_filter(client, partner_user):
    welcomed()
    client.force_login(partner_user)
    url = values_url("people_welcomed")
    # Asked alone, the men's count is still hidden: the block is the whole year.
    body = client.get(url, {"territory": "department:59", "period": "2025", "breakdown": "sex=male"}).json()
    assert body["items"][0]["value"] is None and body["items"][0]["suppressed"] == "secondary"
    body = client.get(url, {"territory": "department:59", "period": "2025", "breakdown": "sex=female"}).json()
    assert body["items"][0]["value"] is None and body["items"][0]["suppressed"] == "primary"


def test_values_without_territory_use_regions_and_departments(client, partner_user):
    region_values()
    client.force_login(partner_user)
    body = client.get(values_url("households_followed"), {"period": "2025", "kind": "actual", "limit": 100}).json()
    by_territory = {i["territory"]: i for i in body["items"]}
    assert by_territory["region:32"]["value"] == 10.0
    assert by_territory["department:62"]["suppressed"] == "primary"
    assert by_territory["department:59"]["suppressed"] == "secondary"


def test_values_bad_input(client, state_user):
    welcomed()
    client.force_login(state_user)
    url = values_url("people_welcomed")
    response = client.get(url, {"period": "2025-13"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "period"
    response = client.get(url, {"territory": "department:999"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "territory"
    response = client.get(url, {"breakdown": "colour=blue"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "breakdown"
    assert client.get(values_url("nope")).status_code == 404


def test_values_fixed_number_of_queries(client, state_user, django_assert_num_queries):
    welcomed()
    client.force_login(state_user)
    url = values_url("people_welcomed")
    client.get(url, {"territory": "department:59"})
    # session, user, memberships (2), indicator, territory, count, page, session save (2).
    with django_assert_num_queries(11) as first:
        assert client.get(url, {"territory": "department:59"}).json()["count"] == 10
    welcomed("other_one")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url, {"territory": "department:59"})
