"""Factories of the Indicators module. Values are in department 59 for the year 2025 unless
told otherwise."""

from datetime import date

import factory

from maillage.indicators import enums
from maillage.indicators.models import AggregateValue, Indicator, IndicatorValue, Review, ReviewComment


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"indicator_{n}")
    name_fr = factory.Sequence(lambda n: f"Indicateur {n}")
    name_en = factory.Sequence(lambda n: f"Indicator {n}")
    definition_fr = "Nombre de personnes accueillies."
    definition_en = "Number of people welcomed."
    unit = enums.Unit.COUNT
    domain = enums.Domain.LANGUAGE
    source = enums.Source.ENTERED
    aggregation = enums.Aggregation.SUM
    direction = enums.Direction.UP
    breakdowns = factory.LazyFunction(lambda: [enums.Breakdown.SEX])


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    territory_level = enums.TerritoryLevel.DEPARTMENT
    territory_code = "59"
    period_kind = enums.PeriodKind.YEAR
    period_start = date(2025, 1, 1)
    breakdown = ""
    kind = enums.ValueKind.ACTUAL
    value = 120
    origin = enums.Origin.ENTERED


class AggregateValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AggregateValue

    indicator = factory.SubFactory(IndicatorFactory)
    territory_level = enums.TerritoryLevel.DEPARTMENT
    territory_code = "59"
    period_kind = enums.PeriodKind.YEAR
    period_start = date(2025, 1, 1)
    breakdown = ""
    kind = enums.ValueKind.ACTUAL
    value = 120


class ReviewCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewComment

    territory_level = enums.TerritoryLevel.REGION
    territory_code = "32"
    year = 2025
    section = "context"
    text = "En 2025, le comité de pilotage régional s'est réuni deux fois."


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    territory_level = enums.TerritoryLevel.REGION
    territory_code = "32"
    year = 2025
    version = factory.Sequence(lambda n: n + 1)
