"""Households for the rights portal's tests: questionnaire posts and saved results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from maillage.rights.models import SavedEvaluation
from maillage.rights.services import token_hash

ANSWERS: dict[str, Any] = {
    "department": "59",
    "commune": "59350",
    "household": {
        "adults": [
            {
                "age": 34,
                "residence_status": "eu_citizen",
                "months_in_france": 30,
                "working": False,
                "monthly_income_eur": 0,
                "french_level": "beginner",
            }
        ],
        "children": [{"age": 7, "in_school": True}],
    },
    "housing": "shantytown",
    "has_address": False,
    "health_cover": "none",
}

# One household through every screen of the questionnaire (slug, form data).
WALK: list[tuple[str, dict[str, str]]] = [
    ("lieu", {"department": "59", "commune": "59000"}),
    ("foyer", {"adults": "1", "children": "1"}),
    (
        "adulte-1",
        {
            "age": "34",
            "residence_status": "eu_citizen",
            "permit_years": "",
            "months_in_france": "30",
            "working": "no",
            "monthly_income_eur": "0",
            "french_level": "beginner",
        },
    ),
    ("enfants", {"child_0_age": "7", "child_0_school": "yes"}),
    ("logement", {"housing": "shantytown", "rent_eur": ""}),
    ("adresse", {"has_address": "no"}),
    ("sante", {"health_cover": "none"}),
]


class SavedEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedEvaluation

    class Params:
        token = "a-test-token"

    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    answers = factory.LazyFunction(lambda: dict(ANSWERS))
    language = "fr"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
