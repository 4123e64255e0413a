"""The public directory in a real browser: search, results, the Leaflet map, a detail page,
accessibility (axe-core) at phone and desktop widths."""

from __future__ import annotations

from typing import Any

from maillage.directory import enums
from tests.browser.conftest import axe_violations, screenshot
from tests.directory.factories import ServiceFactory, StructureFactory

FRANCAIS = "lecture-ecriture-calcul--maitriser-le-francais"


def directory_data() -> None:
    # No commune: the live server's transactional tests flush the territory tables.
    lille = StructureFactory(name="AREAS – Pôle Gens du voyage et Roms", commune_id=None)
    roubaix = StructureFactory(name="Centre social du Pile", commune_id=None, latitude=50.686, longitude=3.19)
    ServiceFactory(
        structure=lille,
        name="Atelier sociolinguistique pour les familles",
        description="Apprendre le français de la vie quotidienne, en petit groupe.",
        kind=enums.ServiceKind.FRENCH_COURSE,
        course_type=enums.CourseType.LITERACY,
        levels=["A0", "A1.1"],
        schedule="Mardi et jeudi, 14 h – 16 h 30",
        childcare=True,
        thematiques=[FRANCAIS],
        languages=["fr", "ro", "bg"],
        opening_hours="Tu,Th 14:00-16:30",
    )
    ServiceFactory(
        structure=roubaix,
        name="Cours de français langue étrangère",
        description="Cours du soir de français langue étrangère.",
        kind=enums.ServiceKind.FRENCH_COURSE,
        course_type=enums.CourseType.FLE,
        levels=["A2", "B1"],
        thematiques=[FRANCAIS],
    )
    ServiceFactory(structure=lille, name="Domiciliation administrative")


def test_search_results_map_and_detail(page: Any) -> None:
    directory_data()
    # Tiles come from the network, unreachable here: refuse them at once (the map still works).
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(page.base_url + "/directory/")
    assert page.locator("h1").count() == 1
    page.locator("#id_q").fill("francais")
    page.locator("form.search-form").get_by_role("button").click()
    page.wait_for_url("**/directory/?*q=francais*")

    results = page.locator("ol.result-list > li")
    assert results.count() == 2
    assert "Domiciliation" not in page.locator("ol.result-list").inner_text()
    # Progressive enhancement: Leaflet fills the map container, with one marker per place.
    page.wait_for_selector("#map.leaflet-container")
    assert page.locator("#map .leaflet-marker-icon").count() >= 1
    assert page.locator("#map .map-fallback").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "directory-search-1280")
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no horizontal scrolling
    assert axe_violations(page) == []
    screenshot(page, "directory-search-360")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Atelier sociolinguistique pour les familles").click()
    page.wait_for_url("**/directory/services/*/")
    assert page.locator("h1").inner_text() == "Atelier sociolinguistique pour les familles"
    assert "A0, A1.1" in page.locator("main").inner_text()
    page.wait_for_selector("#map.leaflet-container")
    assert axe_violations(page) == []
    screenshot(page, "directory-detail-1280")
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    screenshot(page, "directory-detail-360")
    assert errors == []


def test_search_works_without_javascript(browser: Any, live_server: Any) -> None:
    directory_data()
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/directory/?q=francais")
        assert page.locator("ol.result-list > li").count() == 2
        assert page.locator("#map .map-fallback").is_visible()  # the list stays the reference
        page.get_by_role("link", name="Cours de français langue étrangère").click()
        page.wait_for_url("**/directory/services/*/")
        assert "A2, B1" in page.locator("main").inner_text()
    finally:
        context.close()
