"""Fixtures of the territory tests.

The communes of departments 59, 62 and 93 (plus every region and department)
are loaded once per test session, when the first test of this package needs the
database. The ``territory`` fixture reloads them inside the test transaction if
a transactional test elsewhere has flushed the tables in the meantime.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from maillage.territory.management.commands.load_territory import load_territory, read_data
from maillage.territory.models import Commune

TEST_DEPARTMENTS = {"59", "62", "93"}


@pytest.fixture(scope="session")
def territory_document() -> dict[str, Any]:
    return read_data()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("load_territory", departments=",".join(sorted(TEST_DEPARTMENTS)))
    yield


@pytest.fixture
def territory(db: None, territory_document: dict[str, Any]) -> None:
    """Communes of 59, 62 and 93 are present in the database."""
    if not Commune.objects.filter(code="93066").exists():
        load_territory(territory_document, TEST_DEPARTMENTS)
