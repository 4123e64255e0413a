"""Living sites in a real browser, on a phone (360 × 740): a professional opens the map of the
sites (Leaflet draws markers or clusters), opens a site, records an update (people, households,
age bands, living conditions) and finds the new figures on the site page. axe-core finds no
violation on the map, the site page and the form. Screenshots go to /tmp/shots/ for a human
look. Fields are found by their names and ids, not their labels (translations come later)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from maillage.living_sites.models import SiteUpdate
from maillage.organisations.enums import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser.conftest import axe_violations
from tests.living_sites.factories import SiteFactory, SiteJournalEntryFactory, SiteUpdateFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory

SHOTS = Path("/tmp/shots")  # noqa: S108 (asked for a human look)
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    # Tiles come from the network, unreachable here: refuse them at once (the map still works).
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"living-sites-{name}.png"), full_page=True)


def check(page: Any, name: str) -> None:
    """No axe-core violation, nothing wider than the phone, and a screenshot."""
    shot(page, name)
    assert axe_violations(page) == [], name
    too_wide = page.evaluate(
        """() => [...document.body.querySelectorAll('*')].filter(e => {
                if (e.getBoundingClientRect().right <= document.documentElement.clientWidth + 1) return false;
                for (let a = e.parentElement; a; a = a.parentElement) {
                    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return false;
                }
                return true;
            }).slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (name, too_wide)


def test_map_site_and_update_on_a_phone(phone: Any) -> None:
    page = phone
    # The live server's transactional tests flush the territory: load the Nord again.
    call_command("load_territory", departments="59", verbosity=0)
    areas = OrganisationFactory(name="AREAS", acronym="AREAS")
    professional = member(Role.PROFESSIONAL, areas, user__first_name="Mihai", user__last_name="Popescu")
    site = SiteFactory(name="Terrain du Chemin des Peupliers", organisation=areas, latitude=50.6268, longitude=3.1098)
    observed = timezone.localdate() - timedelta(days=60)
    SiteUpdateFactory(site=site, observed_on=observed, people=60, households=15)
    SiteUpdateFactory(
        site=SiteFactory(name="Squat du Canal", commune_code="59512", latitude=50.6871, longitude=3.1822),
        observed_on=observed,
    )
    SiteFactory(name="Campement du Pont de Bois", commune_code="59009", latitude=50.6262, longitude=3.1335)
    HouseholdFactory(organisation=areas, living_site=site, name="Stoica")
    SiteJournalEntryFactory(site=site, organisation=areas, occurred_on=observed, text="Point d'eau réparé.")

    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", professional.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()

    # The map: Leaflet fills the container and draws markers or clusters (both are marker icons).
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page.base_url + "/sites/map/")
    page.wait_for_selector("#sites-map.leaflet-container")
    page.wait_for_selector("#sites-map .leaflet-marker-icon")
    assert page.locator("#sites-map .leaflet-marker-icon").count() >= 1
    assert errors == []
    check(page, "map")

    # The site page, its households and its journal.
    page.goto(f"{page.base_url}/sites/{site.pk}/")
    main = page.locator("main")
    assert "Stoica" in main.inner_text() and "Point d'eau réparé." in main.inner_text()
    check(page, "site")

    # Record an update on the phone.
    page.locator(f"main a[href='/sites/{site.pk}/updates/new/']").first.click()
    page.wait_for_url(f"**/sites/{site.pk}/updates/new/")
    check(page, "update-form")
    page.check("input[name=source][value=team_count]")
    for name, value in {
        "people": "64",
        "households": "17",
        "minors_0_3": "4",
        "minors_3_6": "5",
        "minors_6_12": "9",
        "minors_12_16": "6",
        "minors_16_18": "3",
        "children_in_school": "16",
    }.items():
        page.fill(f"#id_{name}", value)
    page.fill("#id_nationalities", "RO: 50, BG: 14")
    for name, value in {
        "water_access": "on_site",
        "water_continuity": "continuous",
        "toilets": "insufficient",
        "showers": "none",
        "electricity": "irregular",
        "waste_collection": "regular",
        "pests": "some",
    }.items():
        page.check(f"input[name={name}][value={value}]")
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_url(f"**/sites/{site.pk}/")

    update = SiteUpdate.objects.filter(site=site).order_by("-pk").first()
    assert update is not None
    assert (update.people, update.households, update.minors, update.children_in_school) == (64, 17, 27, 16)
    assert update.nationalities == {"RO": 50, "BG": 14}
    assert update.conditions_light == "amber"
    figures = page.locator("main").inner_text()
    assert "64" in figures and "17" in figures and "27" in figures
    check(page, "site-after-update")
