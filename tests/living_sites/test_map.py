"""The map page and its GeoJSON: filters, policy, counts by department, queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from maillage.living_sites import enums
from maillage.organisations.enums import Role
from tests.living_sites.factories import SiteFactory, SiteUpdateFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> Any:
    return member(Role.VOLUNTEER, OrganisationFactory(departments=["59", "62"]))


def geojson(client: Any, params: str = "") -> dict[str, Any]:
    response = client.get(reverse("living_sites:map_data") + params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def names(collection: dict[str, Any]) -> list[str]:
    return sorted(feature["properties"]["name"] for feature in collection["features"])


def test_map_page(client: Any, user: Any) -> None:
    red = SiteFactory(name="Rue Rouge")
    SiteUpdateFactory(site=red, people=40)
    SiteFactory(name="Calais", commune_code="62193", latitude=None, longitude=None)
    SiteFactory(name="Closed", status=enums.SiteStatus.CLOSED, closed_on=date(2025, 1, 1))
    client.force_login(user)
    response = client.get(reverse("living_sites:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sites-map"' in html
    assert 'data-url="/sites/map.geojson"' in html
    assert "js/living-sites-map.js" in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "leaflet.markercluster.js" in html
    assert "<noscript>" in html
    assert 'href="/sites/">See these sites as a list.' in html
    assert "1 site has no location and is not on the map." in html
    assert "2 sites" in html
    # The counts by department (open sites by default).
    assert '<th scope="row">59 – Nord</th>' in html
    assert '<th scope="row">62 – Pas-de-Calais</th>' in html
    assert '<td class="num">40</td>' in html
    assert "Open sites" in html
    # The legend gives each light's word.
    for word in ("Good", "To improve", "Bad", "Not assessed"):
        assert word in html
    assert "<script>" not in html  # CSP: no inline script


def test_map_page_filters_reach_the_data_and_the_list(client: Any, user: Any) -> None:
    SiteFactory(name="Lille")
    SiteFactory(name="Calais", commune_code="62193")
    client.force_login(user)
    response = client.get(reverse("living_sites:map"), {"department": "62", "kind": "shantytown"})
    html = response.content.decode()
    assert 'data-url="/sites/map.geojson?department=62&amp;kind=shantytown"' in html
    assert 'href="/sites/?department=62&amp;kind=shantytown"' in html
    assert '<th scope="row">62 – Pas-de-Calais</th>' in html
    assert '<th scope="row">59 – Nord</th>' not in html
    assert 'value="62" selected' in html


def test_map_page_with_no_site(client: Any, user: Any) -> None:
    client.force_login(user)
    html = client.get(reverse("living_sites:map")).content.decode()
    assert "No site matches these filters." in html
    assert "no location" not in html
    assert 'data-lat="50.170000"' in html


def test_geojson(client: Any, user: Any) -> None:
    site = SiteFactory(name="Rue Rouge", latitude=50.6, longitude=3.1, commune_code="59512")
    update = SiteUpdateFactory(site=site, people=42, observed_on=date(2026, 9, 30))
    update.conditions_light = "red"
    update.save()
    SiteFactory(name="Nowhere", latitude=None, longitude=None)
    SiteFactory(name="No update", latitude=50.7, longitude=3.0)
    client.force_login(user)
    collection = geojson(client)
    assert collection["type"] == "FeatureCollection"
    assert collection["unlocated"] == 1
    assert names(collection) == ["No update", "Rue Rouge"]
    feature = next(f for f in collection["features"] if f["properties"]["name"] == "Rue Rouge")
    assert feature["type"] == "Feature"
    assert feature["id"] == site.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [3.1, 50.6]}
    properties = feature["properties"]
    assert properties["kind"] == "Shantytown"
    assert properties["commune"] == "Roubaix"
    assert properties["people"] == 42
    assert properties["updated_on"] == "2026-09-30"
    assert properties["updated_on_display"]
    assert properties["light"] == "red"
    assert properties["light_label"] == "Bad"
    assert properties["url"] == f"/sites/{site.pk}/"
    other = next(f for f in collection["features"] if f["properties"]["name"] == "No update")
    assert other["properties"]["people"] is None
    assert other["properties"]["light"] == "unknown"
    assert other["properties"]["light_label"] == "Not assessed"


def test_geojson_filters(client: Any, user: Any) -> None:
    SiteFactory(name="Lille")
    SiteFactory(name="Squat", kind=enums.SiteKind.SQUAT)
    SiteFactory(name="Calais", commune_code="62193")
    SiteFactory(name="Closed", status=enums.SiteStatus.CLOSED, closed_on=date(2025, 1, 1))
    green = SiteFactory(name="Green")
    SiteUpdateFactory(site=green, conditions_light="green")
    client.force_login(user)
    assert names(geojson(client)) == ["Calais", "Green", "Lille", "Squat"]
    assert names(geojson(client, "?department=62")) == ["Calais"]
    assert names(geojson(client, "?kind=squat")) == ["Squat"]
    assert names(geojson(client, "?status=closed")) == ["Closed"]
    assert names(geojson(client, "?status=all")) == ["Calais", "Closed", "Green", "Lille", "Squat"]
    assert names(geojson(client, "?light=green")) == ["Green"]
    assert names(geojson(client, "?q=calais")) == ["Calais"]


def test_policy_other_departments_are_absent(client: Any) -> None:
    SiteFactory(name="Lille")
    SiteFactory(name="Saint-Denis", commune_code="93066")
    client.force_login(member(Role.PARTNER, OrganisationFactory(departments=["59"])))
    assert names(geojson(client)) == ["Lille"]
    assert names(geojson(client, "?department=93")) == ["Lille"]  # not a choice: ignored
    html = client.get(reverse("living_sites:map")).content.decode()
    assert "Seine-Saint-Denis" not in html


def test_no_membership_no_site(client: Any) -> None:
    SiteFactory(name="Lille")
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert geojson(client)["features"] == []


def test_login_required(client: Any) -> None:
    assert client.get(reverse("living_sites:map")).status_code == 302
    assert client.get(reverse("living_sites:map_data")).status_code == 302


def test_query_counts_are_fixed(client: Any, user: Any, django_assert_num_queries: Any) -> None:
    client.force_login(user)
    for _ in range(2):
        SiteUpdateFactory(site=SiteFactory())
    # Session, user, the user's roles (the two-factor check, then the sites' policy), the
    # departments of the filter form, the aggregate (page) or the sites (GeoJSON), then the
    # session's save (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release).
    with django_assert_num_queries(9):
        assert client.get(reverse("living_sites:map")).status_code == 200
    with django_assert_num_queries(9):
        assert client.get(reverse("living_sites:map_data")).status_code == 200
    for index in range(8):
        site = SiteFactory(commune_code="62193" if index % 2 else "59009", latitude=None if index == 3 else 50.5)
        SiteUpdateFactory(site=site)
    with django_assert_num_queries(9):
        assert client.get(reverse("living_sites:map")).status_code == 200
    with django_assert_num_queries(9):
        response = client.get(reverse("living_sites:map_data"))
    assert len(response.json()["features"]) == 9
