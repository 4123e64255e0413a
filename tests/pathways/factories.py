"""Factories of Pathways. A household belongs to an organisation; its first person is the
reference person. ``consent_sharing`` gives the consent that lets a partner see shared items."""

from datetime import date, timedelta

import factory
from django.utils import timezone

from maillage.pathways import enums
from maillage.pathways.models import (
    Appointment,
    Consent,
    Goal,
    Household,
    JournalEntry,
    Need,
    Outcome,
    Person,
    Referral,
    ResidenceDocument,
)
from tests.accounts.factories import UserFactory
from tests.directory.factories import ServiceFactory
from tests.organisations.factories import OrganisationFactory


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Famille {n}")
    living_place = enums.LivingPlace.LIVING_SITE


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    relation = enums.Relation.REFERENCE
    first_name = factory.Sequence(lambda n: f"Ana{n}")
    last_name = factory.LazyAttribute(lambda o: o.household.name.replace("Famille ", "Popescu"))
    birth_date = date(1990, 5, 17)
    residence_status = "eu_citizen"
    languages = factory.LazyFunction(lambda: ["ro", "rom"])
    search_names = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}".lower())


class ResidenceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidenceDocument

    person = factory.SubFactory(PersonFactory)
    kind = enums.DocumentKind.ID_CARD
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=400))


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    purpose = enums.ConsentPurpose.FOLLOW_UP
    language = "ro"
    collected_by = factory.SubFactory(UserFactory)


def consent_sharing(household, partner, **kwargs):
    """The reference person's consent to share with ``partner`` (created if needed)."""
    person = household.members.filter(relation=enums.Relation.REFERENCE).first() or PersonFactory(household=household)
    return ConsentFactory(person=person, purpose=enums.ConsentPurpose.SHARING, partner=partner, **kwargs)


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    household = factory.SubFactory(HouseholdFactory)
    domain = enums.Domain.LANGUAGE
    level = enums.NeedLevel.HIGH


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    household = factory.SubFactory(HouseholdFactory)
    domain = enums.Domain.EMPLOYMENT
    title = "Trouver un emploi dans le bâtiment"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    household = factory.SubFactory(HouseholdFactory)
    from_organisation = factory.LazyAttribute(lambda o: o.household.organisation)
    to_organisation = factory.SubFactory(OrganisationFactory)
    service = factory.SubFactory(ServiceFactory)
    shared = factory.LazyFunction(lambda: [enums.SharedItem.IDENTITY])


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    organisation = factory.SubFactory(OrganisationFactory)
    kind = enums.AppointmentKind.OFFICE
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))


class JournalEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JournalEntry

    household = factory.SubFactory(HouseholdFactory)
    organisation = factory.LazyAttribute(lambda o: o.household.organisation)
    sensitivity = enums.Sensitivity.GENERAL
    text = "Visite au terrain, point sur les démarches."


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    household = factory.SubFactory(HouseholdFactory)
    organisation = factory.LazyAttribute(lambda o: o.household.organisation)
    kind = enums.OutcomeKind.JOB_FIXED_TERM
    achieved_on = factory.LazyFunction(timezone.localdate)
