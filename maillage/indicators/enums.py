"""Vocabularies of the Indicators module.

Breakdowns never describe ethnicity or origin: sex, age band, residence status and the
groups of nationality a rule of rights needs (EU / non-EU), and the kind of an outcome.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    COUNT = "count", _("Count")
    PERCENT = "percent", _("Percentage")
    HOURS = "hours", _("Hours")
    EUROS = "euros", _("Euros")
    DAYS = "days", _("Days")


# Units whose values are whole numbers (a decimal value is refused).
INTEGER_UNITS = frozenset({Unit.COUNT, Unit.DAYS})


class Domain(models.TextChoices):
    GOVERNANCE = "governance", _("Governance")
    LANGUAGE = "language", _("French language")
    RIGHTS = "rights", _("Access to rights")
    EMPLOYMENT = "employment", _("Employment and training")
    HOUSING = "housing", _("Housing")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education and schooling")
    LIVING_SITES = "living_sites", _("Shantytowns and squats")


class Source(models.TextChoices):
    ENTERED = "entered", _("Entered by the organisations")
    COMPUTED = "computed", _("Computed from Maillage's data")


class Aggregation(models.TextChoices):
    """How values add up, across territories (communes → department → region) and across time
    (months → quarter → year)."""

    SUM = "sum", _("Sum")
    AVERAGE = "average", _("Average")
    LAST = "last", _("Last value")
    DISTINCT_COUNT = "distinct_count", _("Distinct count")


class Direction(models.TextChoices):
    UP = "up", _("Up is good")
    DOWN = "down", _("Down is good")
    NEUTRAL = "neutral", _("Neither")


class TerritoryLevel(models.TextChoices):
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Department")
    EPCI = "epci", _("EPCI")
    COMMUNE = "commune", _("Commune")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class ValueKind(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    TARGET = "target", _("Target")
    ACTUAL = "actual", _("Actual")


class Origin(models.TextChoices):
    ENTERED = "entered", _("Entered")
    COMPUTED = "computed", _("Computed")
    IMPORTED = "imported", _("Imported")


class EuRomaObjective(models.TextChoices):
    """The seven objectives of the EU Roma strategic framework 2020-2030 (COM(2020) 620)."""

    ANTIGYPSYISM = "antigypsyism_discrimination", _("Fight antigypsyism and discrimination")
    POVERTY = "poverty_social_exclusion", _("Reduce poverty and social exclusion")
    PARTICIPATION = "participation", _("Promote participation")
    EDUCATION = "education", _("Equal access to inclusive mainstream education")
    EMPLOYMENT = "employment", _("Equal access to quality and sustainable employment")
    HEALTH = "health", _("Improve health and access to healthcare")
    HOUSING = "housing", _("Access to adequate desegregated housing and essential services")


class Breakdown(models.TextChoices):
    SEX = "sex", _("Sex")
    AGE_BAND = "age_band", _("Age band")
    STATUS = "status", _("Residence status")
    NATIONALITY_GROUP = "nationality_group", _("Nationality group")
    OUTCOME = "outcome", _("Kind of outcome")


# The parts of each breakdown: {dimension: ((value, label), ...)}. A value's breakdown is
# stored as "dimension=value" ("" is the total); the parts of one dimension add up to at most
# the total (services refuse more).
BREAKDOWN_PARTS: dict[str, tuple[tuple[str, Any], ...]] = {
    Breakdown.SEX: (("female", _("Women")), ("male", _("Men")), ("other", _("Other or not given"))),
    Breakdown.AGE_BAND: (
        ("0_17", _("Under 18")),
        ("18_25", _("18–25")),
        ("26_44", _("26–44")),
        ("45_64", _("45–64")),
        ("65_plus", _("65 and over")),
    ),
    Breakdown.STATUS: (
        ("eu_citizen", _("EU citizens")),
        ("refugee", _("Beneficiaries of international protection")),
        ("asylum_seeker", _("Asylum seekers")),
        ("residence_permit", _("Other residence permits")),
        ("other", _("Other or not known")),
    ),
    Breakdown.NATIONALITY_GROUP: (("eu", _("EU nationals")), ("non_eu", _("Non-EU nationals"))),
    Breakdown.OUTCOME: (
        ("employment", _("Employment")),
        ("training", _("Training")),
        ("housing", _("Housing")),
        ("other", _("Other")),
    ),
}
