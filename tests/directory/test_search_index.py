"""``ServiceSearchIndex`` and ``SearchWord`` follow every write to services and structures
(PostgreSQL triggers, migration directory 0004), whoever the writer."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from maillage.directory import services
from maillage.directory.models import SearchWord, Service, ServiceSearchIndex, Structure
from maillage.directory.selectors import SearchFilters, service_search, service_search_page
from tests.directory.factories import ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

EXPECTED_SQL = """
    SELECT s.id, s.structure_id, s.is_active AND st.is_active, coalesce(s.latitude, st.latitude),
        coalesce(s.longitude, st.longitude), s.search_vector::text, s.name, s.kind, s.fees,
        s.thematiques, s.publics, s.languages, s.reception_modes
    FROM directory_service s JOIN directory_structure st ON st.id = s.structure_id ORDER BY s.id
"""
INDEXED_SQL = """
    SELECT service_id, structure_id, is_active, latitude, longitude, search_vector::text, name, kind,
        fees, thematiques, publics, languages, reception_modes
    FROM directory_servicesearchindex ORDER BY service_id
"""


def assert_in_sync() -> None:
    with connection.cursor() as cursor:
        cursor.execute(EXPECTED_SQL)
        expected = cursor.fetchall()
        cursor.execute(INDEXED_SQL)
        assert cursor.fetchall() == expected


def found(q: str = "", **filters: Any) -> set[int]:
    page = service_search_page(filters=SearchFilters(q=q, **filters), page_size=100)
    return {service.pk for service in page.items}


def test_the_index_follows_services_and_structures() -> None:
    structure = StructureFactory(latitude=50.63, longitude=3.05)
    own = ServiceFactory(structure=structure, name="Cours de français", latitude=50.7, longitude=3.1)
    inherited = ServiceFactory(structure=structure, name="Atelier numérique")
    assert_in_sync()
    assert found("français") == {own.pk}

    services.service_update(actor=None, service=own, name="Cours de couture")
    assert_in_sync()
    assert found("français") == set() and found("couture") == {own.pk}

    Structure.objects.filter(pk=structure.pk).update(latitude=43.3, longitude=5.4)  # a bare update
    assert_in_sync()
    assert ServiceSearchIndex.objects.get(pk=inherited.pk).latitude == 43.3
    assert ServiceSearchIndex.objects.get(pk=own.pk).latitude == 50.7

    services.entry_deactivate(actor=None, entry=structure)
    assert_in_sync()
    assert found() == set()
    structure.refresh_from_db()
    services.structure_update(actor=None, structure=structure, is_active=True)
    assert_in_sync()
    assert found() == {own.pk, inherited.pk}

    services.entry_deactivate(actor=None, entry=inherited)
    assert_in_sync()
    assert found() == {own.pk}

    other = StructureFactory()
    Service.objects.filter(pk=own.pk).update(structure=other)
    assert_in_sync()
    assert ServiceSearchIndex.objects.get(pk=own.pk).structure_id == other.pk

    own.delete()
    structure.delete()
    assert_in_sync()
    assert not ServiceSearchIndex.objects.exists()


def test_search_words_are_collected() -> None:
    ServiceFactory(name="Épicerie solidaire")
    assert {"epicerie", "solidaire"} <= set(SearchWord.objects.values_list("word", flat=True))
    assert found("epiceri solidaire")  # corrected through the vocabulary


@pytest.mark.parametrize("q", ["", "cours", "français", "fransais", "cours or atelier"])
def test_the_page_and_the_queryset_agree(q: str) -> None:
    inactive = StructureFactory(is_active=False)
    ServiceFactory(structure=inactive, name="Cours de français fermé")
    for index, name in enumerate(["Cours de français", "Atelier cours", "Français langue étrangère", "Cours"]):
        ServiceFactory(name=name, description="Cours de français " * index)
    ServiceFactory(name="Cours inactif", is_active=False)
    filters = SearchFilters(q=q)
    page = service_search_page(filters=filters, page_size=100)
    rows = list(service_search(filters=filters))
    assert page.count == len(rows) > 0
    assert [(s.pk, s.rank) for s in page.items] == [(s.pk, s.rank) for s in rows]
