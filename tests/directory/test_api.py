"""The public search API of the directory: contract, validation, bad input, query counts, detail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from maillage.directory.models import Service
from maillage.organisations.enums import Role
from tests.conftest import verified_login
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.directory.test_search import ARRAS, FRENCH, LILLE, Corpus, build_corpus, ensure_territory
from tests.organisations.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory(db: None) -> None:
    ensure_territory()


@pytest.fixture
def corpus(territory: None) -> Corpus:
    return build_corpus()


SERVICES, STRUCTURES = "/api/v1/services", "/api/v1/structures"
SERVICE_ITEM = {"id", "name", "structure", "thematiques", "commune", "lat", "lon", "distance_km"}
STRUCTURE_ITEM = {"id", "name", "commune", "lat", "lon", "distance_km", "services_count"}


def get(client: Client, url: str, status: int = 200, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# --- Contract ------------------------------------------------------------------------------


def test_services_contract(client: Client, corpus: Corpus) -> None:
    data = get(client, SERVICES, q="cours de français", commune=LILLE)
    assert set(data) == {"count", "items"}
    assert data["count"] == 1
    item = data["items"][0]
    assert set(item) == SERVICE_ITEM
    assert item == {
        "id": corpus.course.pk,
        "name": "Cours de français",
        "structure": {"id": corpus.lille.pk, "name": "AREAS"},
        "thematiques": [FRENCH],
        "commune": LILLE,  # the structure's: the service has no address of its own
        "lat": corpus.lille.latitude,
        "lon": corpus.lille.longitude,
        "distance_km": pytest.approx(0.4, abs=0.1),
    }


def test_services_without_point_have_no_distance(client: Client, corpus: Corpus) -> None:
    data = get(client, SERVICES)
    assert data["count"] == 5
    assert {item["distance_km"] for item in data["items"]} == {None}
    mediation = next(item for item in data["items"] if item["id"] == corpus.mediation.pk)
    assert mediation["lat"] == corpus.mediation.latitude  # its own coordinates


def test_repeatable_filters(client: Client, corpus: Corpus) -> None:
    url = f"{SERVICES}?thematique={FRENCH}&thematique=sante--acces-aux-soins&language=ro&language=bg"
    data = get(client, url)
    assert {item["id"] for item in data["items"]} == {corpus.course.pk, corpus.mediation.pk}
    assert get(client, SERVICES, free="true", mode="a-distance")["count"] == 0
    assert get(client, SERVICES, public="femmes")["count"] == 2  # with the one for everyone
    assert get(client, SERVICES, open_now="true")["count"] == 2
    assert get(client, SERVICES, kind="french_course")["items"][0]["id"] == corpus.course.pk
    assert get(client, SERVICES, structure=corpus.arras.pk)["items"][0]["id"] == corpus.food_arras.pk


def test_radius_and_distances(client: Client, corpus: Corpus) -> None:
    assert get(client, SERVICES, commune=ARRAS, radius_km=5)["count"] == 1
    lille = get(client, SERVICES, commune=LILLE, radius_km=5)
    assert lille["count"] == 4 and corpus.food_arras.pk not in {item["id"] for item in lille["items"]}
    everything = get(client, SERVICES, lat=50.63, lon=3.06, radius_km=200)["items"]
    distances = [item["distance_km"] for item in everything]
    assert distances == sorted(distances) and everything[-1]["id"] == corpus.food_arras.pk


def test_pagination(client: Client, corpus: Corpus) -> None:
    first = get(client, SERVICES, page_size=2)
    second = get(client, SERVICES, page_size=2, page=2)
    third = get(client, SERVICES, page_size=2, page=3)
    assert first["count"] == second["count"] == third["count"] == 5
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert get(client, SERVICES, page=9) == {"count": 5, "items": []}
    assert len(get(client, SERVICES)["items"]) == 5  # 20 by default


def test_structures_contract(client: Client, corpus: Corpus) -> None:
    data = get(client, STRUCTURES, q="areas", commune=LILLE, radius_km=10)
    assert set(data) == {"count", "items"} and data["count"] == 1
    assert data["items"][0] == {
        "id": corpus.lille.pk,
        "name": "AREAS",
        "commune": LILLE,
        "lat": corpus.lille.latitude,
        "lon": corpus.lille.longitude,
        "distance_km": pytest.approx(0.4, abs=0.1),
        "services_count": 4,
    }
    everything = get(client, STRUCTURES)
    assert everything["count"] == 2  # the inactive structure is not listed
    assert {frozenset(item) for item in everything["items"]} == {frozenset(STRUCTURE_ITEM)}


def test_service_detail(client: Client, corpus: Corpus) -> None:
    data = get(client, f"{SERVICES}/{corpus.course.pk}")
    assert SERVICE_ITEM <= set(data)
    assert data["name"] == "Cours de français" and data["languages"] == ["fr", "ro"]
    assert data["kind"] == "french_course" and data["opening_hours"] == "24/7"
    assert data["distance_km"] is None


@pytest.mark.parametrize("which", ["hidden", "hidden_structure"])
def test_inactive_service_detail_is_not_found(client: Client, corpus: Corpus, which: str) -> None:
    service = getattr(corpus, which)
    assert get(client, f"{SERVICES}/{service.pk}", status=404) == {"code": "not_found", "message": "Not found."}
    missing = Service.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for pk in (missing, 0, "99999999999999999999999"):
        assert get(client, f"{SERVICES}/{pk}", status=404)["code"] == "not_found"


def test_inactive_service_detail_for_its_editors(client: Client, corpus: Corpus) -> None:
    organisation = corpus.hidden.structure.organisation
    verified_login(client, member(Role.MANAGER, organisation))
    assert get(client, f"{SERVICES}/{corpus.hidden.pk}")["id"] == corpus.hidden.pk
    # ... but the search stays the public one.
    assert corpus.hidden.pk not in {item["id"] for item in get(client, SERVICES, q="soir")["items"]}


# --- Validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{SERVICES}?thematique=sorcellerie", "thematique"),
        (f"{SERVICES}?thematique={FRENCH}&thematique=nope", "thematique"),
        (f"{SERVICES}?public=martiens", "public"),
        (f"{SERVICES}?language=xx", "language"),
        (f"{SERVICES}?mode=telepathie", "mode"),
        (f"{SERVICES}?kind=other", "kind"),
        (f"{SERVICES}?radius_km=5", "radius_km"),
        (f"{SERVICES}?lat=50.6&radius_km=5", "lon"),
        (f"{SERVICES}?commune={LILLE}&radius_km=0", "radius_km"),
        (f"{SERVICES}?commune={LILLE}&radius_km=200.5", "radius_km"),
        (f"{SERVICES}?commune={LILLE}&radius_km=-3", "radius_km"),
        (f"{SERVICES}?commune={LILLE}&radius_km=abc", "radius_km"),
        (f"{SERVICES}?lat=91&lon=3", "lat"),
        (f"{SERVICES}?lat=nan&lon=3", "lat"),
        (f"{SERVICES}?lat=50&lon=inf", "lon"),
        (f"{SERVICES}?commune=99999", "commune"),
        (f"{SERVICES}?commune=123456", "commune"),
        (f"{SERVICES}?commune=%00", "commune"),
        (f"{SERVICES}?commune=%27%3B--", "commune"),
        (f"{SERVICES}?page=99999999999999999999", "page"),
        (f"{SERVICES}?structure=99999999999999999999", "structure"),
        (f"{SERVICES}?page=0", "page"),
        (f"{SERVICES}?page_size=101", "page_size"),
        (f"{SERVICES}?free=peut-etre", "free"),
        (f"{SERVICES}?structure=abc", "structure"),
        (f"{STRUCTURES}?radius_km=5", "radius_km"),
        (f"{STRUCTURES}?commune=00000", "commune"),
        (f"{STRUCTURES}?page_size=0", "page_size"),
    ],
)
def test_bad_parameters_are_422(client: Client, territory: None, url: str, field: str) -> None:
    data = get(client, url, status=422)
    assert data["code"] == "validation_error" and data["message"]
    assert field in {error["field"] for error in data["errors"]}, data


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE directory_service; --",
        "' OR '1'='1",
        "\\",
        "😀🇫🇷 cours",
        "\x00",
        "x" * 10_000,
        "%",
        "_",
        "()&|!:*<->",
        "fransais",
    ],
)
def test_any_query_string_answers_200(client: Client, corpus: Corpus, q: str) -> None:
    for url in (SERVICES, STRUCTURES):
        data = get(client, url, q=q)
        assert set(data) == {"count", "items"}
    assert Service.objects.filter(pk=corpus.course.pk).exists()


# --- Queries -------------------------------------------------------------------------------


def more_services(n: int) -> None:
    structure = StructureFactory()
    for i in range(n):
        ServiceFactory(
            structure=structure,
            name=f"Cours de français {i}",
            thematiques=[FRENCH],
            languages=["fr"],
            opening_hours="24/7",
        )


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 2),  # page with the total, then the page's services with structure and communes
        ({"q": "cours de français"}, 3),  # + does any service contain the words?
        ({"q": "cours", "thematique": FRENCH, "language": "fr", "free": "true"}, 3),
        ({"q": "français", "commune": LILLE, "radius_km": 30}, 4),  # + the commune's centroid
        ({"lat": 50.63, "lon": 3.06, "radius_km": 30}, 2),
        ({"open_now": "true"}, 3),  # + the distinct opening hours
        ({"q": "fransais"}, 8),  # + the corrections (in a savepoint, with a statement timeout)
    ],
)
def test_services_run_a_fixed_number_of_queries(
    client: Client, corpus: Corpus, django_assert_num_queries: Any, params: dict[str, Any], queries: int
) -> None:
    with django_assert_num_queries(queries):
        small = get(client, SERVICES, **params)
    more_services(25)
    with django_assert_num_queries(queries):
        large = get(client, SERVICES, **params)
    assert large["count"] > small["count"] and len(large["items"]) >= len(small["items"])


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 2),
        ({"q": "secours"}, 3),
        ({"q": "secours", "commune": LILLE, "radius_km": 100}, 4),
    ],
)
def test_structures_run_a_fixed_number_of_queries(
    client: Client, corpus: Corpus, django_assert_num_queries: Any, params: dict[str, Any], queries: int
) -> None:
    with django_assert_num_queries(queries):
        small = get(client, STRUCTURES, **params)
    for i in range(25):
        ServiceFactory(structure=StructureFactory(name=f"Secours {i}", commune_id=LILLE), name=f"Cours {i}")
    with django_assert_num_queries(queries):
        large = get(client, STRUCTURES, **params)
    assert large["count"] > small["count"]


def test_openapi_documents_the_vocabularies(client: Client) -> None:
    schema = get(client, "/api/v1/openapi.json")
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/services"]["get"]["parameters"]}
    assert FRENCH in parameters["thematique"]["schema"]["items"]["enum"]
    assert "ro" in parameters["language"]["schema"]["items"]["enum"]
