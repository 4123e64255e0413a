"""Indicators in a real browser, on a phone (360 × 740) and at 1280 px: a manager of an
association opens the employment dashboard of the Nord (a chart and its data table, small
counts hidden) and the entry page; axe-core finds no violation and nothing is wider than the
screen. Screenshots go to /tmp/shots/ for a human look."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from maillage.indicators import enums
from maillage.organisations.enums import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser.conftest import axe_violations
from tests.indicators.factories import AggregateValueFactory, IndicatorFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.browser


def _figures() -> None:
    indicator = IndicatorFactory(
        code="employment_exits",
        name_fr="Sorties vers l'emploi",
        name_en="Exits to employment",
        domain=enums.Domain.EMPLOYMENT,
        breakdowns=[enums.Breakdown.SEX],
    )
    for year, total, women in ((2023, 40, 18), (2024, 52, 30), (2025, 61, 3)):
        start = date(year, 1, 1)
        AggregateValueFactory(indicator=indicator, period_start=start, value=total)
        AggregateValueFactory(indicator=indicator, period_start=start, breakdown="sex=female", value=women)
        AggregateValueFactory(indicator=indicator, period_start=start, breakdown="sex=male", value=total - women)
        AggregateValueFactory(indicator=indicator, period_start=start, kind=enums.ValueKind.TARGET, value=55)


@pytest.mark.parametrize("width", [360, 1280])
def test_dashboard_and_entry(browser: Any, live_server: Any, width: int) -> None:
    # The live server's transactional tests flush the territory: load the Nord again.
    call_command("load_territory", departments="59", verbosity=0)
    _figures()
    manager = member(Role.MANAGER, OrganisationFactory(name="AREAS", departments=["59"]))
    context = browser.new_context(viewport={"width": width, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", manager.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_load_state("networkidle")
        for name, path in (
            ("dashboard", "/indicators/?territory=department:59&year=2025&domain=employment"),
            ("entry", "/indicators/entry/"),
        ):
            page.goto(live_server.url + path)
            page.screenshot(path=f"/tmp/shots/indicators-{name}-{width}.png", full_page=True)  # noqa: S108
            assert axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            if name == "dashboard":
                assert page.locator("svg.chart-svg").count() >= 1
                assert page.locator("details.chart-data table").count() >= 1
                assert "< 5" in page.inner_text("body")  # the 3 women of 2025, for an association
    finally:
        context.close()
