"""The traffic lights of living conditions (``conditions.py``) and how the pages show them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from maillage.living_sites import conditions, enums
from maillage.living_sites.enums import Light
from maillage.living_sites.models import SiteUpdate
from maillage.living_sites.services.sites import site_update_record
from tests.living_sites.factories import SiteFactory
from tests.organisations.factories import member

GOOD = {
    "water_access": enums.WaterAccess.ON_SITE,
    "water_continuity": enums.WaterContinuity.CONTINUOUS,
    "toilets": enums.Provision.SUFFICIENT,
    "showers": enums.Provision.SUFFICIENT,
    "electricity": enums.Regularity.REGULAR,
    "waste_collection": enums.Regularity.REGULAR,
    "pests": enums.Pests.NONE,
    "fire_extinguishers": 3,
    "fire_distances_ok": True,
}


def test_nothing_observed_is_not_assessed() -> None:
    assert conditions.summarise({}) == Light.UNKNOWN
    assert set(conditions.lights({}).values()) == {Light.UNKNOWN}
    assert [key for key, _label in conditions.CATEGORIES] == list(conditions.lights({}))


def test_all_good_is_green() -> None:
    assert set(conditions.lights(GOOD).values()) == {Light.GREEN}
    assert conditions.summarise(GOOD) == Light.GREEN


def test_categories_not_observed_do_not_count() -> None:
    assert conditions.summarise({"toilets": enums.Provision.SUFFICIENT}) == Light.GREEN
    assert conditions.summarise({"toilets": enums.Provision.INSUFFICIENT}) == Light.AMBER


@pytest.mark.parametrize(
    ("observation", "light"),
    [
        ({"water_access": enums.WaterAccess.NONE}, Light.RED),
        ({"water_access": enums.WaterAccess.NEARBY, "water_distance_m": 201}, Light.RED),
        ({"water_access": enums.WaterAccess.NEARBY, "water_distance_m": 200}, Light.AMBER),
        ({"water_access": enums.WaterAccess.NEARBY}, Light.AMBER),
        (
            {"water_access": enums.WaterAccess.ON_SITE, "water_continuity": enums.WaterContinuity.INTERMITTENT},
            Light.AMBER,
        ),
        ({"water_access": enums.WaterAccess.ON_SITE}, Light.GREEN),
    ],
)
def test_water(observation: dict[str, Any], light: str) -> None:
    assert conditions.water_light(observation) == light


@pytest.mark.parametrize(
    ("extinguishers", "distances", "light"),
    [
        (None, None, Light.UNKNOWN),
        (2, True, Light.GREEN),
        (2, None, Light.AMBER),
        (0, True, Light.AMBER),
        (0, False, Light.RED),
        (None, False, Light.RED),
    ],
)
def test_fire(extinguishers: int | None, distances: bool | None, light: str) -> None:
    assert conditions.fire_light({"fire_extinguishers": extinguishers, "fire_distances_ok": distances}) == light


def test_bad_water_alone_makes_the_summary_bad() -> None:
    assert conditions.summarise({**GOOD, "water_access": enums.WaterAccess.NONE}) == Light.RED


def test_three_bad_categories_make_it_bad_two_to_improve() -> None:
    two = {**GOOD, "toilets": enums.Provision.NONE, "showers": enums.Provision.NONE}
    assert conditions.summarise(two) == Light.AMBER
    assert conditions.summarise({**two, "pests": enums.Pests.INFESTATION}) == Light.RED


def test_one_category_to_improve() -> None:
    assert conditions.summarise({**GOOD, "electricity": enums.Regularity.IRREGULAR}) == Light.AMBER


def test_lights_read_a_model_instance_too() -> None:
    update = SiteUpdate(**GOOD)
    assert conditions.summarise(update) == Light.GREEN


@pytest.mark.django_db
def test_recorded_light_and_page_show_words_not_only_colours(client: Any) -> None:
    user = member("professional")
    site = SiteFactory()
    site_update_record(
        actor=user, site=site, data={"observed_on": date(2026, 6, 1), "source": "estimate", "people": 20, **GOOD}
    )
    latest = site_update_record(
        actor=user,
        site=site,
        data={"observed_on": date(2026, 11, 1), "source": "estimate", "people": 20, **GOOD, "toilets": "none"},
    )
    assert latest.conditions_light == Light.AMBER
    client.force_login(user)
    page = client.get(reverse("living_sites:site_detail", args=[site.pk])).content.decode()
    # Each dot is decorative and followed by its word.
    assert '<span class="light light-amber"><span class="light-dot" aria-hidden="true"></span>To improve</span>' in page
    assert '<span class="light light-red"><span class="light-dot" aria-hidden="true"></span>Bad</span>' in page
    # The evolution: one row per update, the summary then each category.
    evolution = page.split('class="evolution-table"', 1)[1].split("</table>", 1)[0]
    assert evolution.count("<tr>") == 3  # header and two updates
    assert "Good" in evolution and "To improve" in evolution and "Fire prevention" in evolution
