"""POST /api/v1/rights/evaluate: public, validated, rate limited, stores nothing."""

import json

import pytest

from maillage.rights import rules

URL = "/api/v1/rights/evaluate"
pytestmark = pytest.mark.django_db

BODY = {
    "department": "59",
    "commune": "59350",
    "household": {
        "adults": [{"age": 34, "residence_status": "eu_citizen", "months_in_france": 14}],
        "children": [{"age": 7, "in_school": False}],
    },
    "housing": "shantytown",
    "rent_eur": 0,
    "has_address": False,
    "health_cover": "none",
}


@pytest.fixture(autouse=True)
def _no_amounts(settings):
    settings.RIGHTS_OPENFISCA = False


def post(client, body, query=""):
    return client.post(URL + query, data=json.dumps(body), content_type="application/json")


def test_answers_every_scheme_with_reasons_sources_and_documents(client):
    response = post(client, BODY)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["as_of"][:2] == "20"
    assert [r["scheme"] for r in data["results"]] == rules.scheme_ids()
    for result in data["results"]:
        assert result["status"] in {"eligible", "maybe", "not_eligible"}
        assert result["reasons"] and all(result["reasons"])
        assert result["sources"][0]["url"].startswith("https://")
        assert "places" in result
    assert "sessionid" not in response.cookies


def test_texts_follow_the_language(client):
    english = post(client, BODY, "?lang=en").json()
    french = post(client, BODY, "?lang=fr").json()
    assert english["results"][0]["reasons"] != french["results"][0]["reasons"]
    assert post(client, BODY, "?lang=xx").status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["household"]["adults"][0].update(age=-3), "household.adults.0.age"),
        (lambda b: b["household"].update(children=[{"age": 5}] * 40), "household.children"),
        (
            lambda b: b["household"]["adults"][0].update(monthly_income_eur="abc"),
            "household.adults.0.monthly_income_eur",
        ),
        (lambda b: b.update(ethnicity="x"), "ethnicity"),
        (lambda b: b["household"]["adults"][0].update(residence_status="roma"), "household.adults.0.residence_status"),
        (lambda b: b.update(department="20", commune=None), "department"),
        (lambda b: b.update(commune="62041"), None),
        (lambda b: b.update(rent_eur=300), None),
    ],
)
def test_impossible_answers_are_refused_with_the_field(client, change, field):
    body = json.loads(json.dumps(BODY))
    change(body)
    response = post(client, body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "validation_error"
    if field:
        assert field in [e["field"] for e in data["errors"]], data["errors"]


def test_nearest_places_come_from_the_directory(client):
    from tests.directory.factories import ServiceFactory

    service = ServiceFactory(
        thematiques=["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
        latitude=50.63,
        longitude=3.06,
    )
    data = post(client, BODY).json()
    domiciliation = next(r for r in data["results"] if r["scheme"] == "domiciliation")
    assert domiciliation["places"][0]["id"] == service.pk
    assert domiciliation["places"][0]["distance_km"] < 5


def test_requests_are_rate_limited_per_address(client, settings):
    settings.RIGHTS_API_RATE = "2/m"
    from django.core.cache import cache

    cache.clear()
    assert post(client, BODY).status_code == 200
    assert post(client, BODY).status_code == 200
    response = post(client, BODY)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    cache.clear()
