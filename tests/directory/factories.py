from __future__ import annotations

import factory

from maillage.directory import enums
from maillage.directory.indexing import refresh_search_vectors, search_text_for
from maillage.directory.models import Project, Referent, Service, Structure
from tests.organisations.factories import OrganisationFactory


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    organisation = factory.SubFactory(OrganisationFactory)
    source_id = factory.Sequence(lambda n: f"structure-{n}")
    name = factory.Sequence(lambda n: f"Structure {n}")
    commune_id = "59350"  # Lille
    latitude = 50.6317
    longitude = 3.0478


class ServiceFactory(factory.django.DjangoModelFactory):
    """A service with its search columns filled, as the services and the importer do."""

    class Meta:
        model = Service

    structure = factory.SubFactory(StructureFactory)
    source_id = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Accompagnement des personnes."
    thematiques = factory.LazyFunction(
        lambda: ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"]
    )
    types = factory.LazyFunction(lambda: ["accompagnement"])
    publics = factory.LazyFunction(lambda: ["tous-publics"])
    fees = "gratuit"
    reception_modes = factory.LazyFunction(lambda: ["en-presentiel"])
    search_text = factory.LazyAttribute(
        lambda o: search_text_for(name=o.name, thematiques=o.thematiques, structure_name=o.structure.name)
    )

    @classmethod
    def _after_postgeneration(cls, instance: Service, create: bool, results: object = None) -> None:
        if create:
            refresh_search_vectors([instance.pk])


class ReferentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referent

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="fr_FR")
    role = enums.ReferentRole.INTEGRATION
    email = factory.Sequence(lambda n: f"referent{n}@example.org")
    phone = "03 20 00 00 00"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Projet {n}")
    goal = "Favoriser l'accès à l'emploi des habitants des bidonvilles."
