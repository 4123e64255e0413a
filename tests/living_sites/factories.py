"""Factories of the living sites. Sites are in Lille (59350) unless told otherwise; an
organisation from ``OrganisationFactory`` works in department 59 by default."""

from datetime import date

import factory

from maillage.living_sites import enums
from maillage.living_sites.models import (
    ActionFunding,
    ActionIndicator,
    Closure,
    ClosureHousehold,
    Site,
    SiteAction,
    SiteJournalEntry,
    SiteUpdate,
)
from maillage.territory.models import Commune, Department
from tests.organisations.factories import OrganisationFactory


def _commune(code: str) -> Commune:
    return Commune.objects.get(code=code)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    class Params:
        commune_code = "59350"

    name = factory.Sequence(lambda n: f"Rue des Tilleuls {n}")
    kind = enums.SiteKind.SHANTYTOWN
    commune = factory.LazyAttribute(lambda o: _commune(o.commune_code))
    department = factory.LazyAttribute(lambda o: Department.objects.get(code=o.commune.department_id))
    latitude = 50.63
    longitude = 3.06
    opened_on = date(2023, 4, 1)
    known_since = date(2023, 5, 1)


class SiteUpdateFactory(factory.django.DjangoModelFactory):
    """A coherent observation. Use ``site_update_record`` in tests of the service instead."""

    class Meta:
        model = SiteUpdate
        skip_postgeneration_save = True

    site = factory.SubFactory(SiteFactory)
    observed_on = date(2026, 10, 1)
    source = enums.FigureSource.TEAM_COUNT
    people = 60
    households = 15
    minors = 25
    minors_0_3 = 5
    minors_3_6 = 5
    minors_6_12 = 8
    minors_12_16 = 5
    minors_16_18 = 2
    children_in_school = 12
    nationalities = factory.LazyFunction(lambda: {"RO": 50, "BG": 10})
    languages = factory.LazyFunction(lambda: {"ro": 50, "rom": 55})

    @factory.post_generation
    def make_latest(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted is not False:
            latest = obj.site.latest_update
            if latest is None or (latest.observed_on, latest.pk) <= (obj.observed_on, obj.pk):
                Site.objects.filter(pk=obj.site_id).update(latest_update=obj)
                obj.site.latest_update = obj


class SiteJournalEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteJournalEntry

    site = factory.SubFactory(SiteFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    sensitivity = "general"
    occurred_on = date(2026, 10, 2)
    text = "Water point repaired by the city."


class SiteActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteAction
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Schooling mediation {n}")
    domain = enums.ActionDomain.SCHOOLING
    department = factory.LazyFunction(lambda: Department.objects.get(code="59"))
    lead_organisation = factory.SubFactory(OrganisationFactory)
    started_on = date(2025, 1, 1)

    @factory.post_generation
    def sites(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.sites.set(extracted)


class ActionFundingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionFunding

    action = factory.SubFactory(SiteActionFactory)
    year = 2025
    funder_kind = enums.FunderKind.STATE
    funder = factory.Sequence(lambda n: f"DIHAL {n}")
    amount = 25000


class ActionIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionIndicator

    action = factory.SubFactory(SiteActionFactory)
    year = 2025
    label = factory.Sequence(lambda n: f"Children enrolled {n}")
    planned = 30
    achieved = 22


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    site = factory.SubFactory(SiteFactory)
    planned_on = date(2026, 12, 15)


class ClosureHouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureHousehold

    closure = factory.SubFactory(ClosureFactory)
    label = factory.Sequence(lambda n: f"Family {n}")
    people = 4
    solution = enums.Solution.UNKNOWN
