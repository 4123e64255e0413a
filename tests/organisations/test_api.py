"""The organisations API: contract, 404 for forbidden like missing, bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.organisations.models import Organisation
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

VALID = {"name": "Secours solidaire", "kind": "association", "siret": "73282932000074", "departments": ["59"]}


@pytest.fixture
def coordinator_client(client: Any) -> Any:
    user = member(Role.COORDINATOR, OrganisationFactory(departments=["59", "62"]))
    verified_login(client, user)
    return client


def post(client: Any, body: Any, raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    return client.post("/api/v1/organisations", data=data, content_type="application/json")


def test_create_organisation(coordinator_client: Any) -> None:
    response = post(coordinator_client, {**VALID, "commune": "59350"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Secours solidaire"
    assert body["departments"] == ["59"]
    assert body["commune"] == "59350"
    organisation = Organisation.objects.get(pk=body["id"])
    entry = AuditEntry.objects.get(object_type="organisations.organisation", object_id=str(organisation.pk))
    assert entry.action == "create"
    assert entry.via == "api"
    assert entry.changes["siret"] == [None, "73282932000074"]


@pytest.mark.parametrize(
    ("body", "raw", "field"),
    [
        ("{not json", True, None),
        ("[1, 2]", True, None),
        ({**VALID, "name": 42}, False, "name"),
        ({**VALID, "departments": "59"}, False, "departments"),
        ({**VALID, "kind": "sect"}, False, "kind"),
        ({**VALID, "name": "x" * 201}, False, "name"),
        ({**VALID, "acronym": "y" * 31}, False, "acronym"),
        ({**VALID, "name": ""}, False, "name"),
        ({**VALID, "departments": ["59", "00"]}, False, "departments"),
        ({**VALID, "commune": "99999"}, False, "commune"),
        ({**VALID, "siret": "73282932000075"}, False, "siret"),
        ({**VALID, "siret": "123"}, False, "siret"),
        ({**VALID, "email": "not-an-address"}, False, "email"),
        ({k: v for k, v in VALID.items() if k != "kind"}, False, "kind"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(coordinator_client: Any, body: Any, raw: bool, field: Any) -> None:
    organisations, entries = Organisation.objects.count(), AuditEntry.objects.count()
    response = post(coordinator_client, body, raw=raw)
    assert response.status_code in (400, 422), response.content
    payload = response.json()
    assert payload["code"] in ("validation_error", "bad_request")
    assert payload["message"]
    assert "Traceback" not in response.content.decode()
    if field:
        assert field in {error["field"] for error in payload["errors"]}, payload
    assert Organisation.objects.count() == organisations
    assert AuditEntry.objects.count() == entries


def test_duplicate_siret_is_a_field_error(coordinator_client: Any) -> None:
    OrganisationFactory(siret="73282932000074")
    response = post(coordinator_client, VALID)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "siret"


def test_forbidden_answers_exactly_like_missing(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    hidden = OrganisationFactory(is_active=False)
    client.force_login(user)
    forbidden = client.get(f"/api/v1/organisations/{hidden.pk}")
    missing = client.get("/api/v1/organisations/987654")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == {"code": "not_found", "message": "Not found."}
    forbidden_patch = client.patch(
        f"/api/v1/organisations/{hidden.pk}", data={"name": "x"}, content_type="application/json"
    )
    assert forbidden_patch.status_code == 404


def test_patch_requires_change_permission(client: Any) -> None:
    own = OrganisationFactory()
    other = OrganisationFactory()
    client.force_login(member(Role.MANAGER, own))
    assert (
        client.patch(
            f"/api/v1/organisations/{other.pk}", data={"name": "Nope"}, content_type="application/json"
        ).status_code
        == 404
    )
    response = client.patch(
        f"/api/v1/organisations/{own.pk}", data={"name": "Renamed"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    entry = AuditEntry.objects.filter(object_id=str(own.pk), action="update").get()
    assert entry.changes == {"name": [own.name, "Renamed"]}


def test_create_refused_to_a_manager(client: Any) -> None:
    client.force_login(member(Role.MANAGER))
    assert post(client, VALID).status_code == 404
    assert not Organisation.objects.filter(name=VALID["name"]).exists()


def test_list_is_paginated_with_fixed_queries(client: Any, django_assert_num_queries: Any) -> None:
    user = member(Role.PROFESSIONAL)
    for _ in range(30):
        OrganisationFactory(departments=["59", "62"])
    client.force_login(user)
    client.get("/api/v1/organisations")  # warm the session
    # session, user, memberships (access), count, page + departments prefetch,
    # then the idle-expiry session save; independent of the number of organisations
    with django_assert_num_queries(9):
        response = client.get("/api/v1/organisations?limit=10&offset=10")
    body = response.json()
    assert body["count"] == 31
    assert len(body["items"]) == 10
    assert body["items"][0]["departments"] in (["59", "62"], ["59"])


def test_members_endpoint(client: Any) -> None:
    own = OrganisationFactory()
    user = member(Role.PROFESSIONAL, own)
    client.force_login(user)
    response = client.get(f"/api/v1/organisations/{own.pk}/members")
    assert response.status_code == 200
    assert response.json()["items"][0]["email"] == user.email
    other = OrganisationFactory()
    assert client.get(f"/api/v1/organisations/{other.pk}/members").status_code == 404


def test_anonymous_gets_json_401(client: Any) -> None:
    response = client.get("/api/v1/organisations")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_path_is_json_404(client: Any) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_session_write_needs_csrf(coordinator_client: Any) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies = coordinator_client.cookies
    response = strict.post("/api/v1/organisations", data=json.dumps(VALID), content_type="application/json")
    assert response.status_code == 403
    assert not Organisation.objects.filter(name=VALID["name"]).exists()


def test_openapi_schema_is_served(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/communes" in response.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
