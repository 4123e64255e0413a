"""The names a rule may use in its conditions and its texts (docs/rights.md lists them).

Rules see the household through these facts only: the person answering is the first adult
(``age``, ``status``…), the rest are counts and totals. A fact is ``None`` when the person
answered "I don't know"; a rule lists in ``needs`` the facts it cannot decide without.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .enums import REGULAR_STATUSES, ResidenceStatus
from .schema import Answers

PROTECTED = {ResidenceStatus.REFUGEE, ResidenceStatus.SUBSIDIARY_PROTECTION, ResidenceStatus.STATELESS}
EU = {ResidenceStatus.EU_CITIZEN, ResidenceStatus.EU_FAMILY}


def household_facts(answers: Answers, as_of: date) -> dict[str, Any]:
    adults = answers.household.adults
    children = answers.household.children
    a = adults[0]
    child_ages = [c.age for c in children]
    young = [x.age for x in adults if x.age < 26] + [age for age in child_ages if 16 <= age < 26]
    months = a.months_in_france
    return {
        # The person answering (first adult)
        "age": a.age,
        "status": a.residence_status,
        "permit_years": a.permit_years,
        "permit_allows_work": a.permit_allows_work,
        "months_in_france": months,
        "years_in_france": None if months is None else months // 12,
        "working": a.working,
        "income": a.monthly_income_eur,
        "french_level": a.french_level,
        "is_eu": a.residence_status in EU,
        "is_protected": a.residence_status in PROTECTED,
        "is_regular": a.residence_status in REGULAR_STATUSES,
        # The household
        "adults": len(adults),
        "has_partner": len(adults) >= 2,
        "children": len(children),
        "single_parent": len(adults) == 1 and bool(children),
        "child_ages": child_ages,
        "youngest_child_age": min(child_ages) if child_ages else None,
        "children_under_3": sum(1 for x in child_ages if x < 3),
        "children_3_to_15": sum(1 for x in child_ages if 3 <= x <= 15),
        "children_under_20": sum(1 for x in child_ages if x < 20),
        "children_not_in_school": sum(1 for c in children if 3 <= c.age <= 15 and not c.in_school),
        "children_in_school": sum(1 for c in children if c.in_school),
        "children_11_to_18_in_school": sum(1 for c in children if 11 <= c.age <= 18 and c.in_school),
        "children_6_to_18": sum(1 for x in child_ages if 6 <= x <= 18),
        "young_people_16_to_25": len(young),
        "adults_working": sum(1 for x in adults if x.working),
        "household_income": sum(x.monthly_income_eur for x in adults),
        "adults_statuses": sorted({x.residence_status for x in adults}),
        "any_adult_no_permit": any(x.residence_status == ResidenceStatus.NO_PERMIT for x in adults),
        "french_level_known": a.french_level is not None,
        # Where and how they live
        "department": answers.department,
        "commune": answers.commune,
        "housing": answers.housing,
        "rent": answers.rent_eur,
        "has_address": answers.has_address,
        "health_cover": answers.health_cover,
        "homeless": answers.housing in ("street", "shantytown", "squat", "shelter"),
        "year": as_of.year,
    }


FACT_NAMES = frozenset(
    {
        "age",
        "status",
        "permit_years",
        "permit_allows_work",
        "months_in_france",
        "years_in_france",
        "working",
        "income",
        "french_level",
        "is_eu",
        "is_protected",
        "is_regular",
        "adults",
        "has_partner",
        "children",
        "single_parent",
        "child_ages",
        "youngest_child_age",
        "children_under_3",
        "children_3_to_15",
        "children_under_20",
        "children_not_in_school",
        "children_in_school",
        "children_11_to_18_in_school",
        "children_6_to_18",
        "young_people_16_to_25",
        "adults_working",
        "household_income",
        "adults_statuses",
        "any_adult_no_permit",
        "french_level_known",
        "department",
        "commune",
        "housing",
        "rent",
        "has_address",
        "health_cover",
        "homeless",
        "year",
    }
)


def any_adult(answers: Answers, **conditions: Any) -> bool:
    """True when an adult matches every condition, e.g. ``any_adult(status='refugee')``.

    Conditions: ``status`` (a value or a list), ``min_age``, ``max_age``, ``working``,
    ``min_permit_years``, ``permit_allows_work``, ``min_months_in_france``.
    """

    def matches(x: Any) -> bool:
        status = conditions.get("status")
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            if x.residence_status not in statuses:
                return False
        if "min_age" in conditions and x.age < conditions["min_age"]:
            return False
        if "max_age" in conditions and x.age > conditions["max_age"]:
            return False
        if "working" in conditions and x.working != conditions["working"]:
            return False
        if "min_permit_years" in conditions and x.permit_years < conditions["min_permit_years"]:
            return False
        if "permit_allows_work" in conditions and x.permit_allows_work != conditions["permit_allows_work"]:
            return False
        if "min_months_in_france" in conditions:
            if x.months_in_france is None or x.months_in_france < conditions["min_months_in_france"]:
                return False
        return True

    return any(matches(x) for x in answers.household.adults)
