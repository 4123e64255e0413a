from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("territory")

URL = "/api/v1/communes"


def search(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def codes(data: dict[str, Any]) -> list[str]:
    return [item["code"] for item in data["items"]]


def test_search_by_name_contract(client: Client) -> None:
    data = search(client, search="roubaix")
    first = data["items"][0]
    assert first["code"] == "59512"
    assert first["name"] == "Roubaix"
    assert first["department"] == "59"
    assert first["postal_codes"] == ["59100"]
    assert first["lat"] == pytest.approx(50.69, abs=0.02)
    assert first["lon"] == pytest.approx(3.17, abs=0.02)
    assert first["population"] > 90_000
    assert first["coordinates_approximate"] is False
    assert list(first)[:6] == ["code", "name", "department", "postal_codes", "lat", "lon"]
    assert set(data) == {"count", "items"}
    assert data["count"] == len(data["items"])


@pytest.mark.parametrize("query", ["faches thumesnil", "Fâches-Thumesnil", "FACHES", "faches-thum"])
def test_search_ignores_accents_case_and_hyphens(client: Client, query: str) -> None:
    assert codes(search(client, search=query))[0] == "59220"


@pytest.mark.parametrize("query", ["saint-denis", "SAINT DENIS", "saint denis", "St-Denis"])
def test_search_saint_denis(client: Client, query: str) -> None:
    assert codes(search(client, search=query))[0] == "93066"


def test_search_tolerates_typos(client: Client) -> None:
    assert codes(search(client, search="rubaix"))[0] == "59512"
    assert codes(search(client, search="tourcoin"))[0] == "59599"


def test_search_ranks_exact_then_prefix_then_population(client: Client) -> None:
    names = [item["name"] for item in search(client, search="lille", limit=100)["items"]]
    assert names[0] == "Lille"
    prefix = [n for n in names if n.lower().startswith("lille") and n != "Lille"]
    assert names[1 : 1 + len(prefix)] == prefix  # "Lillers" before "Saint-André-lez-Lille"


def test_search_by_postal_code(client: Client) -> None:
    data = search(client, search="59100")
    assert codes(data)[0] == "59512"
    assert all("59100" in item["postal_codes"] or item["code"] == "59100" for item in data["items"])


def test_search_by_postal_code_prefix(client: Client) -> None:
    data = search(client, search="931", limit=100)
    assert data["count"] > 0
    assert all(any(p.startswith("931") for p in i["postal_codes"]) for i in data["items"])


def test_search_without_result(client: Client) -> None:
    assert search(client, search="zzqxw") == {"count": 0, "items": []}
    assert search(client, search="00000") == {"count": 0, "items": []}


def test_department_filter(client: Client) -> None:
    data = search(client, search="saint", department="62", limit=100)
    assert data["count"] > 0
    assert {item["department"] for item in data["items"]} == {"62"}


def test_pagination(client: Client) -> None:
    full = search(client, search="lez", limit=100)
    assert full["count"] > 10
    page1 = search(client, search="lez", limit=5, offset=0)
    page2 = search(client, search="lez", limit=5, offset=5)
    assert page1["count"] == page2["count"] == full["count"]
    assert codes(page1) + codes(page2) == codes(full)[:10]
    beyond = search(client, search="lez", limit=5, offset=full["count"])
    assert beyond == {"count": full["count"], "items": []}


@pytest.mark.parametrize(
    "params",
    [{}, {"search": ""}, {"search": "x" * 101}, {"search": "lille", "limit": 101}, {"search": "lille", "offset": -1}],
)
def test_invalid_parameters(client: Client, params: dict[str, Any]) -> None:
    assert client.get(URL, params).status_code == 422


def test_search_runs_a_fixed_number_of_queries(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):  # count + page
        data = search(client, search="a", limit=100)
    assert len(data["items"]) == 100


def test_departments_and_regions(client: Client, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        departments = client.get("/api/v1/departments").json()
    assert {"code": "59", "name": "Nord", "region": "32"} in departments
    with django_assert_num_queries(1):
        regions = client.get("/api/v1/regions").json()
    assert {"code": "32", "name": "Hauts-de-France"} in regions
