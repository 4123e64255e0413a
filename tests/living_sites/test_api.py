"""The living sites API: contract, policy (404 / 403), legal procedure both ways, suppression, queries."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from maillage.audit.models import AuditEntry
from maillage.core.suppression import Constraint, determined_cells
from maillage.living_sites import enums
from maillage.living_sites.models import Site, SiteUpdate
from maillage.organisations.enums import OrganisationKind, Role
from tests.conftest import verified_login
from tests.living_sites.factories import SiteFactory, SiteUpdateFactory
from tests.organisations.factories import MembershipFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db

PROCEDURE_KEYS = {"procedure", "procedure_decision", "procedure_decided_on", "procedure_deadline"}
SMALL = {
    "people": 40,
    "households": 3,
    "minors": 20,
    "minors_0_3": 3,
    "minors_3_6": 6,
    "minors_6_12": 11,
    "minors_12_16": 0,
    "minors_16_18": 0,
    "children_in_school": 9,
    "nationalities": {"RO": 36, "BG": 4},
}
NEW_SITE = {"name": "Rue des Peupliers", "kind": "shantytown", "commune": "59350", "latitude": 50.63, "longitude": 3.06}


def association_user(role: str = Role.PROFESSIONAL, departments: list[str] | None = None) -> Any:
    return member(role, OrganisationFactory(departments=departments or ["59"]))


def state_user(role: str = Role.PROFESSIONAL, departments: list[str] | None = None) -> Any:
    return member(role, OrganisationFactory(departments=departments or ["59"], kind=OrganisationKind.STATE_SERVICE))


def send(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(f"/api/v1{url}", data=json.dumps(body), content_type="application/json")


def fields(response: Any) -> set[str]:
    payload = response.json()
    assert payload["code"] == "validation_error", payload
    return {error["field"] for error in payload["errors"]}


# --- GET /sites ---------------------------------------------------------------------------


def test_list_sites(client: Any) -> None:
    site = SiteFactory(name="Rue Rouge", commune_code="59512")
    SiteUpdateFactory(site=site, people=60)
    SiteFactory(name="Calais", commune_code="62193")
    SiteFactory(name="Saint-Denis", commune_code="93066")
    client.force_login(association_user(departments=["59", "62"]))
    response = client.get("/api/v1/sites")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [item["name"] for item in body["items"]] == ["Rue Rouge", "Calais"]
    item = body["items"][0]
    assert item["id"] == site.pk
    assert item["kind"] == "shantytown"
    assert item["status"] == "open"
    assert item["commune"] == "59512"
    assert item["commune_name"] == "Roubaix"
    assert item["department"] == "59"
    assert item["opened_on"] == "2023-04-01"
    assert item["latest_update"]["people"] == 60
    assert item["latest_update"]["observed_on"] == "2026-10-01"
    assert body["items"][1]["latest_update"] is None
    assert not PROCEDURE_KEYS & set(item)


def test_list_filters_and_pagination(client: Any) -> None:
    SiteFactory(name="A Lille")
    SiteFactory(name="B Squat", kind=enums.SiteKind.SQUAT)
    SiteFactory(name="C Calais", commune_code="62193")
    SiteFactory(name="D Closed", status=enums.SiteStatus.CLOSED, closed_on=date(2025, 1, 1))
    green = SiteFactory(name="E Green")
    SiteUpdateFactory(site=green, conditions_light="green")
    client.force_login(association_user(departments=["59", "62"]))

    def names(params: str) -> list[str]:
        response = client.get("/api/v1/sites" + params)
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["items"]]

    assert names("") == ["A Lille", "B Squat", "E Green", "C Calais"]
    assert names("?department=62") == ["C Calais"]
    assert names("?kind=squat") == ["B Squat"]
    assert names("?status=closed") == ["D Closed"]
    assert len(names("?status=all")) == 5
    assert names("?light=green") == ["E Green"]
    assert names("?q=calais") == ["C Calais"]
    assert names("?department=93") == []
    assert names("?limit=2") == ["A Lille", "B Squat"]
    page = client.get("/api/v1/sites?limit=2&offset=2").json()
    assert [item["name"] for item in page["items"]] == ["E Green", "C Calais"]
    assert page["count"] == 4
    for bad in ("?limit=101", "?limit=0", "?offset=-1", "?kind=castle", "?status=any", "?light=blue"):
        response = client.get("/api/v1/sites" + bad)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "validation_error"


def test_list_needs_authentication(client: Any) -> None:
    response = client.get("/api/v1/sites")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_query_count_is_fixed(client: Any, django_assert_num_queries: Any) -> None:
    client.force_login(association_user(departments=["59", "62"]))
    for _ in range(2):
        SiteUpdateFactory(site=SiteFactory())
    # Session, user, the user's roles (two-factor check, sites' policy), the page of sites with
    # their commune, department, organisation and latest update, the count, the session's save.
    with django_assert_num_queries(9):
        assert client.get("/api/v1/sites?limit=100").status_code == 200
    for index in range(8):
        site = SiteFactory(commune_code="62193" if index % 2 else "59009", organisation=OrganisationFactory())
        SiteUpdateFactory(site=site)
    with django_assert_num_queries(9):
        response = client.get("/api/v1/sites?limit=100")
    assert response.json()["count"] == 10


# --- GET /sites/{id} ----------------------------------------------------------------------


def test_get_site_and_404(client: Any) -> None:
    site = SiteFactory(name="Lille")
    other = SiteFactory(name="Saint-Denis", commune_code="93066")
    client.force_login(association_user(Role.PARTNER))
    response = client.get(f"/api/v1/sites/{site.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Lille"
    for pk in (other.pk, 999_999):
        response = client.get(f"/api/v1/sites/{pk}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found."}


def test_procedure_keys_absent_without_the_right(client: Any) -> None:
    site = SiteFactory(procedure=enums.LegalProcedure.COURT, procedure_decision="Eviction ordered")
    client.force_login(association_user())
    body = client.get(f"/api/v1/sites/{site.pk}").json()
    assert not PROCEDURE_KEYS & set(body)
    assert "Eviction ordered" not in json.dumps(body)
    assert not PROCEDURE_KEYS & set(client.get("/api/v1/sites").json()["items"][0])


def test_procedure_keys_present_with_the_right(client: Any) -> None:
    site = SiteFactory(
        procedure=enums.LegalProcedure.COURT,
        procedure_decision="Eviction ordered",
        procedure_decided_on=date(2026, 3, 1),
    )
    client.force_login(state_user())
    body = client.get(f"/api/v1/sites/{site.pk}").json()
    assert body["procedure"] == "court"
    assert body["procedure_decision"] == "Eviction ordered"
    assert body["procedure_decided_on"] == "2026-03-01"
    assert body["procedure_deadline"] is None
    assert PROCEDURE_KEYS <= set(client.get("/api/v1/sites").json()["items"][0])


def test_procedure_keys_per_department(client: Any) -> None:
    SiteFactory(name="Calais", commune_code="62193", procedure=enums.LegalProcedure.COURT)
    SiteFactory(name="Lille", procedure=enums.LegalProcedure.COURT)
    user = state_user(departments=["59"])
    MembershipFactory(user=user, organisation=OrganisationFactory(departments=["62"]), role=Role.VOLUNTEER)
    client.force_login(user)
    items = {item["name"]: item for item in client.get("/api/v1/sites").json()["items"]}
    assert items["Lille"]["procedure"] == "court"
    assert not PROCEDURE_KEYS & set(items["Calais"])


# --- Suppression ---------------------------------------------------------------------------


def test_figures_suppressed_for_an_association(client: Any) -> None:
    site = SiteFactory()
    SiteUpdateFactory(site=site, **SMALL)
    client.force_login(association_user())
    latest = client.get(f"/api/v1/sites/{site.pk}").json()["latest_update"]
    assert latest["people"] == 40
    assert latest["households"] is None
    assert latest["minors_0_3"] is None
    # 20 − 6 − 11 − 0 − 0 would give the hidden 3: a second band is hidden.
    assert latest["minors_3_6"] is None
    assert latest["minors"] == 20
    assert latest["minors_12_16"] == 0  # zero is shown
    # The nationalities add up to the people (36 + 4 = 40): 40 − 36 would give the hidden 4.
    assert latest["nationalities"] == {"RO": None, "BG": None}
    assert latest["suppressed"] == {
        "households": "primary",
        "minors_0_3": "primary",
        "nationalities.BG": "primary",
        "minors_3_6": "secondary",
        "nationalities.RO": "secondary",
    }
    hidden = [latest[name] for name in ("minors", "minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16")]
    assert hidden.count(None) != 1


def _no_count_can_be_computed(latest: dict[str, Any], *, nationalities_add_up: bool) -> None:
    """Check the answer with linear algebra: no hidden count follows from the shown ones and the sums."""
    bands = ["minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18"]
    table: dict[str, Any] = {name: latest[name] for name in ["people", "minors", *bands]}
    table.update({f"nationalities.{code}": value for code, value in latest["nationalities"].items()})
    constraints = [Constraint("minors", tuple(bands))]
    if nationalities_add_up:
        constraints.append(Constraint("people", tuple(f"nationalities.{code}" for code in latest["nationalities"])))
    hidden = [key for key in latest["suppressed"] if key in table]
    assert determined_cells(hidden, table, constraints) == []


@pytest.mark.parametrize(
    ("nationalities", "expected"),
    [
        # The reviewer's case: 50 − 47 would give the hidden 3.
        ({"RO": 47, "BG": 3}, {"RO": None, "BG": None}),
        ({"RO": 30, "BG": 3, "MD": 17}, {"RO": 30, "BG": None, "MD": None}),
        # Not adding up to the people: no sum to protect against, only the small count is hidden.
        ({"RO": 40, "BG": 3}, {"RO": 40, "BG": None}),
    ],
)
def test_hidden_nationalities_cannot_be_computed_from_the_people(
    client: Any, nationalities: dict[str, int], expected: dict[str, Any]
) -> None:
    site = SiteFactory()
    SiteUpdateFactory(site=site, people=50, nationalities=nationalities)
    client.force_login(association_user())
    latest = client.get(f"/api/v1/sites/{site.pk}").json()["latest_update"]
    assert latest["people"] == 50
    assert latest["nationalities"] == expected
    assert latest["suppressed"]["nationalities.BG"] == "primary"
    _no_count_can_be_computed(latest, nationalities_add_up=sum(nationalities.values()) == 50)
    listed = client.get("/api/v1/sites").json()["items"][0]["latest_update"]
    assert listed["nationalities"] == expected


def test_figures_not_suppressed_for_a_state_service(client: Any) -> None:
    site = SiteFactory()
    SiteUpdateFactory(site=site, **SMALL)
    client.force_login(state_user())
    latest = client.get(f"/api/v1/sites/{site.pk}").json()["latest_update"]
    assert latest["households"] == 3
    assert latest["minors_0_3"] == 3
    assert latest["nationalities"] == {"RO": 36, "BG": 4}
    assert latest["suppressed"] == {}


# --- POST /sites ------------------------------------------------------------------------------


def test_create_site(client: Any) -> None:
    organisation = OrganisationFactory()
    user = member(Role.PROFESSIONAL, organisation)
    client.force_login(user)
    response = send(client, "post", "/sites", {**NEW_SITE, "organisation": organisation.pk, "address": "12 rue X"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Rue des Peupliers"
    assert body["department"] == "59"
    assert body["organisation"] == organisation.pk
    assert body["warnings"] == []
    assert body["latest_update"] is None
    assert not PROCEDURE_KEYS & set(body)
    site = Site.objects.get(pk=body["id"])
    assert site.created_by == user
    entry = AuditEntry.objects.get(object_type="living_sites.site", object_id=str(site.pk))
    assert entry.action == "create"
    assert entry.via == "api"


def test_create_site_warns_about_a_location_outside_the_department(client: Any) -> None:
    client.force_login(association_user())
    response = send(client, "post", "/sites", {**NEW_SITE, "latitude": 43.3, "longitude": 5.4})
    assert response.status_code == 201, response.content
    assert len(response.json()["warnings"]) == 1
    assert "outside the department" in response.json()["warnings"][0]


def test_create_site_in_a_department_one_cannot_write_to_is_403(client: Any) -> None:
    client.force_login(association_user())
    response = send(client, "post", "/sites", {**NEW_SITE, "commune": "93066"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    client.force_login(association_user(Role.VOLUNTEER))
    assert send(client, "post", "/sites", NEW_SITE).status_code == 403
    assert not Site.objects.exists()


def test_create_site_with_procedure_without_the_right_is_422(client: Any) -> None:
    client.force_login(association_user())
    response = send(client, "post", "/sites", {**NEW_SITE, "procedure": "court", "procedure_decided_on": "2026-01-02"})
    assert response.status_code == 422
    assert fields(response) == {"procedure", "procedure_decided_on"}
    response = send(client, "post", "/sites", {**NEW_SITE, "procedure_decision": None})
    assert response.status_code == 422
    assert fields(response) == {"procedure_decision"}
    assert not Site.objects.exists()


def test_create_site_with_procedure_with_the_right(client: Any) -> None:
    client.force_login(state_user())
    response = send(
        client,
        "post",
        "/sites",
        {**NEW_SITE, "procedure": "administrative", "procedure_decided_on": "2026-01-02", "procedure_deadline": None},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["procedure"] == "administrative"
    assert body["procedure_decided_on"] == "2026-01-02"
    assert Site.objects.get().procedure == "administrative"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_SITE, "commune": "99999"}, "commune"),
        ({**NEW_SITE, "name": ""}, "name"),
        ({**NEW_SITE, "kind": "castle"}, "kind"),
        ({**NEW_SITE, "latitude": 95}, "latitude"),
        ({**NEW_SITE, "longitude": None}, "latitude"),
        ({**NEW_SITE, "opened_on": "2023-05-01", "known_since": "2023-04-01"}, "known_since"),
        ({**NEW_SITE, "outline": {"type": "Point", "coordinates": [3, 50]}}, "outline"),
        ({**NEW_SITE, "organisation": 999_999}, "organisation"),
        ({k: v for k, v in NEW_SITE.items() if k != "commune"}, "commune"),
    ],
)
def test_create_site_bad_input(client: Any, body: dict[str, Any], field: str) -> None:
    client.force_login(association_user())
    response = send(client, "post", "/sites", body)
    assert response.status_code == 422, response.content
    assert field in fields(response)
    assert not Site.objects.exists()


def test_create_site_with_another_organisation_is_422(client: Any) -> None:
    client.force_login(association_user())
    response = send(client, "post", "/sites", {**NEW_SITE, "organisation": OrganisationFactory().pk})
    assert response.status_code == 422
    assert fields(response) == {"organisation"}


# --- PATCH /sites/{id} ------------------------------------------------------------------------


def test_patch_site(client: Any) -> None:
    site = SiteFactory(name="Old name", procedure=enums.LegalProcedure.COURT)
    client.force_login(association_user())
    response = send(client, "patch", f"/sites/{site.pk}", {"name": "New name", "address": None, "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "New name"
    assert body["version"] == 2
    assert body["warnings"] == []
    assert not PROCEDURE_KEYS & set(body)
    site.refresh_from_db()
    assert site.name == "New name"
    assert site.procedure == "court"  # untouched
    response = send(client, "patch", f"/sites/{site.pk}", {"name": "Stale", "version": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] is None


def test_patch_site_procedure(client: Any) -> None:
    site = SiteFactory()
    client.force_login(association_user())
    response = send(client, "patch", f"/sites/{site.pk}", {"procedure_deadline": "2026-12-01"})
    assert response.status_code == 422
    assert fields(response) == {"procedure_deadline"}
    client.force_login(state_user())
    response = send(client, "patch", f"/sites/{site.pk}", {"procedure": "court", "procedure_deadline": "2026-12-01"})
    assert response.status_code == 200, response.content
    assert response.json()["procedure_deadline"] == "2026-12-01"


def test_patch_policy(client: Any) -> None:
    site = SiteFactory()
    other = SiteFactory(commune_code="93066")
    client.force_login(association_user(Role.VOLUNTEER))
    assert send(client, "patch", f"/sites/{site.pk}", {"name": "X"}).status_code == 404
    client.force_login(association_user())
    assert send(client, "patch", f"/sites/{other.pk}", {"name": "X"}).status_code == 404
    response = send(client, "patch", f"/sites/{site.pk}", {"commune": "93066"})
    assert response.status_code == 403
    response = send(client, "patch", f"/sites/{site.pk}", {"latitude": 43.3, "longitude": 5.4})
    assert response.status_code == 200
    assert len(response.json()["warnings"]) == 1
    site.refresh_from_db()
    assert site.department_id == "59"


# --- Updates ---------------------------------------------------------------------------------


UPDATE = {
    "observed_on": "2026-10-05",
    "source": "team_count",
    "people": 50,
    "households": 12,
    "minors_0_3": 4,
    "minors_3_6": 5,
    "minors_6_12": 6,
    "minors_12_16": 3,
    "minors_16_18": 2,
    "children_in_school": 8,
    "nationalities": {"ro": 50},
    "water_access": "none",
    "notes": "Water point broken.",
}


def test_record_update(client: Any) -> None:
    site = SiteFactory()
    organisation = OrganisationFactory()
    client.force_login(member(Role.VOLUNTEER, organisation))
    response = send(client, "post", f"/sites/{site.pk}/updates", UPDATE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["minors"] == 20  # the sum of the bands
    assert body["minors_16_18"] == 2  # the figures sent come back, unsuppressed
    assert body["nationalities"] == {"RO": 50}
    assert body["conditions_light"] == "red"
    assert body["organisation"] == organisation.pk
    assert body["suppressed"] == {}
    site.refresh_from_db()
    assert site.latest_update_id == body["id"]
    assert AuditEntry.objects.get(object_type="living_sites.siteupdate", object_id=str(body["id"])).via == "api"


def test_record_update_figures_that_do_not_add_up_are_422(client: Any) -> None:
    site = SiteFactory()
    client.force_login(association_user())
    response = send(client, "post", f"/sites/{site.pk}/updates", {**UPDATE, "minors": 30})
    assert response.status_code == 422
    assert "minors" in fields(response)
    assert "add up to 20" in response.json()["errors"][0]["message"]
    response = send(client, "post", f"/sites/{site.pk}/updates", {**UPDATE, "households": 60})
    assert fields(response) == {"households"}
    response = send(client, "post", f"/sites/{site.pk}/updates", {**UPDATE, "observed_on": "2099-01-01"})
    assert fields(response) == {"observed_on"}
    response = send(client, "post", f"/sites/{site.pk}/updates", {**UPDATE, "people": -1})
    assert fields(response) == {"people"}
    response = send(client, "post", f"/sites/{site.pk}/updates", {k: v for k, v in UPDATE.items() if k != "source"})
    assert fields(response) == {"source"}
    assert not SiteUpdate.objects.exists()


def test_record_update_policy(client: Any) -> None:
    site = SiteFactory()
    other = SiteFactory(commune_code="93066")
    closed = SiteFactory(status=enums.SiteStatus.CLOSED, closed_on=date(2026, 11, 1))
    client.force_login(association_user(Role.PARTNER))
    assert send(client, "post", f"/sites/{site.pk}/updates", UPDATE).status_code == 404
    user = association_user()
    client.force_login(user)
    assert send(client, "post", f"/sites/{other.pk}/updates", UPDATE).status_code == 404
    response = send(client, "post", f"/sites/{closed.pk}/updates", UPDATE)
    assert response.status_code == 422
    response = send(client, "post", f"/sites/{site.pk}/updates", {**UPDATE, "organisation": OrganisationFactory().pk})
    assert fields(response) == {"organisation"}
    assert not SiteUpdate.objects.exists()


def test_list_updates(client: Any) -> None:
    site = SiteFactory()
    SiteUpdateFactory(site=site, observed_on=date(2026, 1, 1), people=30)
    SiteUpdateFactory(site=site, observed_on=date(2026, 6, 1), **SMALL)
    other = SiteFactory(commune_code="93066")
    client.force_login(association_user(Role.PARTNER))
    response = client.get(f"/api/v1/sites/{site.pk}/updates")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [item["observed_on"] for item in body["items"]] == ["2026-06-01", "2026-01-01"]
    assert body["items"][0]["households"] is None
    assert body["items"][0]["suppressed"]["households"] == "primary"
    assert body["items"][1]["people"] == 30
    assert client.get(f"/api/v1/sites/{site.pk}/updates?limit=1&offset=1").json()["items"][0]["people"] == 30
    assert client.get(f"/api/v1/sites/{other.pk}/updates").status_code == 404


def test_list_updates_query_count_is_fixed(client: Any, django_assert_num_queries: Any) -> None:
    site = SiteFactory()
    client.force_login(state_user())
    for day in (1, 2):
        SiteUpdateFactory(site=site, observed_on=date(2026, 1, day))
    with django_assert_num_queries(10):
        assert client.get(f"/api/v1/sites/{site.pk}/updates").status_code == 200
    for day in range(3, 11):
        SiteUpdateFactory(site=site, observed_on=date(2026, 1, day))
    with django_assert_num_queries(10):
        assert len(client.get(f"/api/v1/sites/{site.pk}/updates").json()["items"]) == 10


# --- Tokens and documentation ----------------------------------------------------------------


def test_coordinator_needs_two_factor_then_works(client: Any) -> None:
    site = SiteFactory()
    coordinator = member(Role.COORDINATOR, OrganisationFactory())
    verified_login(client, coordinator)
    body = client.get(f"/api/v1/sites/{site.pk}").json()
    assert PROCEDURE_KEYS <= set(body)


def test_openapi_still_builds(client: Any) -> None:
    client.force_login(association_user())
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/v1/sites", "/api/v1/sites/{site_id}", "/api/v1/sites/{site_id}/updates"):
        assert path in schema["paths"]
    assert "small counts are hidden" in schema["paths"]["/api/v1/sites"]["get"]["description"]
