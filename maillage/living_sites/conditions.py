"""Traffic-light summary of a site's living conditions.

Each category gets a light from the observation; the summary is:

- "not assessed" when no category was observed;
- "bad" when water is bad, or three categories or more are bad;
- "good" when every observed category is good;
- "to improve" otherwise.

Pages show the light's word beside its colour (never the colour alone).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .enums import Light, Pests, Provision, Regularity, WaterAccess, WaterContinuity

# Beyond this distance, water "near the site" counts as bad (UNHCR and WHO take 200 m as the
# upper limit of a reasonable walk to a water point in emergencies).
WATER_MAX_DISTANCE_M = 200

CATEGORIES: tuple[tuple[str, Any], ...] = (
    ("water", _("Water")),
    ("toilets", _("Toilets")),
    ("showers", _("Showers")),
    ("electricity", _("Electricity")),
    ("waste", _("Waste collection")),
    ("pests", _("Pests")),
    ("fire", _("Fire prevention")),
)

_PROVISION = {Provision.SUFFICIENT: Light.GREEN, Provision.INSUFFICIENT: Light.AMBER, Provision.NONE: Light.RED}
_REGULARITY = {Regularity.REGULAR: Light.GREEN, Regularity.IRREGULAR: Light.AMBER, Regularity.NONE: Light.RED}
_PESTS = {Pests.NONE: Light.GREEN, Pests.SOME: Light.AMBER, Pests.INFESTATION: Light.RED}


def _get(observation: Any, name: str) -> Any:
    if isinstance(observation, dict):
        return observation.get(name)
    return getattr(observation, name, None)


def water_light(observation: Any) -> str:
    access = _get(observation, "water_access")
    if not access:
        return Light.UNKNOWN
    if access == WaterAccess.NONE:
        return Light.RED
    distance = _get(observation, "water_distance_m")
    if access == WaterAccess.NEARBY and distance is not None and distance > WATER_MAX_DISTANCE_M:
        return Light.RED
    if access == WaterAccess.ON_SITE and _get(observation, "water_continuity") != WaterContinuity.INTERMITTENT:
        return Light.GREEN
    return Light.AMBER


def fire_light(observation: Any) -> str:
    extinguishers = _get(observation, "fire_extinguishers")
    distances = _get(observation, "fire_distances_ok")
    if extinguishers is None and distances is None:
        return Light.UNKNOWN
    good = int(bool(extinguishers)) + int(distances is True)
    return {2: Light.GREEN, 1: Light.AMBER}.get(good, Light.RED)


def lights(observation: Any) -> dict[str, str]:
    """The light of each category ({"water": "green", ...}) of an update or of a dict of fields."""
    return {
        "water": water_light(observation),
        "toilets": _PROVISION.get(_get(observation, "toilets"), Light.UNKNOWN),
        "showers": _PROVISION.get(_get(observation, "showers"), Light.UNKNOWN),
        "electricity": _REGULARITY.get(_get(observation, "electricity"), Light.UNKNOWN),
        "waste": _REGULARITY.get(_get(observation, "waste_collection"), Light.UNKNOWN),
        "pests": _PESTS.get(_get(observation, "pests"), Light.UNKNOWN),
        "fire": fire_light(observation),
    }


def summarise(observation: Any) -> str:
    by_category = lights(observation)
    observed = [light for light in by_category.values() if light != Light.UNKNOWN]
    if not observed:
        return Light.UNKNOWN
    if by_category["water"] == Light.RED or observed.count(Light.RED) >= 3:
        return Light.RED
    if all(light == Light.GREEN for light in observed):
        return Light.GREEN
    return Light.AMBER
