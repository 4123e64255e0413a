"""Vocabularies of the living sites (shantytowns, squats, temporary sites).

Figures about the people living on a site are counts only. No value here describes
ethnicity, and none may be added: nationalities and languages are counted, never attached
to a person.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteKind(models.TextChoices):
    SHANTYTOWN = "shantytown", _("Shantytown")
    SQUAT = "squat", _("Squat")
    TEMPORARY_SITE = "temporary_site", _("Temporary or insertion site")
    INSERTION_VILLAGE = "insertion_village", _("Insertion village")
    CARAVANS = "caravans", _("Caravans")


class SiteStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class OwnerKind(models.TextChoices):
    PUBLIC = "public", _("Public owner")
    PRIVATE = "private", _("Private owner")
    UNKNOWN = "unknown", _("Unknown owner")


class ClosureReason(models.TextChoices):
    COURT_EVICTION = "court_eviction", _("Eviction by a court decision")
    ADMINISTRATIVE_EVICTION = "administrative_eviction", _("Eviction by an administrative decision")
    FIRE = "fire", _("Fire")
    VOLUNTARY = "voluntary", _("Voluntary departure")
    RESORPTION = "resorption", _("Resorption with solutions")
    OTHER = "other", _("Other")


class LegalProcedure(models.TextChoices):
    NONE = "none", _("No procedure")
    COURT = "court", _("Court procedure")
    ADMINISTRATIVE = "administrative", _("Administrative procedure (prefect's order)")


class FigureSource(models.TextChoices):
    TEAM_COUNT = "team_count", _("Counted by the team")
    ESTIMATE = "estimate", _("Estimate")
    PARTNER = "partner", _("Given by a partner")


class WaterAccess(models.TextChoices):
    ON_SITE = "on_site", _("On the site")
    NEARBY = "nearby", _("Near the site")
    NONE = "none", _("No access")


class WaterContinuity(models.TextChoices):
    CONTINUOUS = "continuous", _("Continuous")
    INTERMITTENT = "intermittent", _("Intermittent")
    UNKNOWN = "", _("Unknown")


class Provision(models.TextChoices):
    """Toilets, showers: enough, not enough, none."""

    SUFFICIENT = "sufficient", _("Sufficient")
    INSUFFICIENT = "insufficient", _("Insufficient")
    NONE = "none", _("None")


class Regularity(models.TextChoices):
    """Electricity, waste collection."""

    REGULAR = "regular", _("Regular")
    IRREGULAR = "irregular", _("Irregular or makeshift")
    NONE = "none", _("None")


class Pests(models.TextChoices):
    NONE = "none", _("None seen")
    SOME = "some", _("Some")
    INFESTATION = "infestation", _("Infestation")


class Light(models.TextChoices):
    """Traffic-light summary of living conditions. Shown with a word, never by colour alone."""

    GREEN = "green", _("Good")
    AMBER = "amber", _("To improve")
    RED = "red", _("Bad")
    UNKNOWN = "unknown", _("Not assessed")


class ActionDomain(models.TextChoices):
    SCHOOLING = "schooling", _("Schooling")
    HEALTH_MEDIATION = "health_mediation", _("Health mediation")
    EMPLOYMENT = "employment", _("Employment and training")
    HOUSING = "housing", _("Housing")
    DOMICILIATION = "domiciliation", _("Domiciliation and access to rights")
    WATER_WASTE = "water_waste", _("Water, sanitation and waste works")
    FIRE_SAFETY = "fire_safety", _("Fire safety")
    OTHER = "other", _("Other")


class FunderKind(models.TextChoices):
    STATE = "state", _("State")
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Department")
    MUNICIPALITY = "municipality", _("Municipality or EPCI")
    EUROPE = "europe", _("European Union")
    SOCIAL_SECURITY = "social_security", _("Social security bodies")
    PRIVATE = "private", _("Foundation or private funder")
    OTHER = "other", _("Other")


class Solution(models.TextChoices):
    HOUSING = "housing", _("Housing")
    SHELTER = "shelter", _("Shelter")
    INSERTION_SITE = "insertion_site", _("Insertion site")
    RETURN = "return", _("Return to the country of origin")
    OTHER = "other", _("Other solution")
    UNKNOWN = "unknown", _("No known solution")


# Solutions that count as "a solution" in the share of households with a solution.
SOLUTIONS_FOUND = frozenset(
    {Solution.HOUSING, Solution.SHELTER, Solution.INSERTION_SITE, Solution.RETURN, Solution.OTHER}
)

# Age bands of minors, in the order of the forms, exports and charts: (field, label).
AGE_BANDS: tuple[tuple[str, Any], ...] = (
    ("minors_0_3", _("0–3 years")),
    ("minors_3_6", _("3–6 years")),
    ("minors_6_12", _("6–12 years")),
    ("minors_12_16", _("12–16 years")),
    ("minors_16_18", _("16–18 years")),
)
