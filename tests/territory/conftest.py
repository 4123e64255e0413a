"""Fixtures of the territory tests.

The communes of departments 59, 62 and 93 (and every region and department) are loaded
once per test session by tests/conftest.py. The ``territory`` fixture reloads them inside
the test transaction if a transactional test elsewhere has flushed the tables.
"""

from __future__ import annotations

from typing import Any

import pytest

from maillage.territory.management.commands.load_territory import load_territory, read_data
from maillage.territory.models import Commune

TEST_DEPARTMENTS = {"59", "62", "93"}


@pytest.fixture(scope="session")
def territory_document() -> dict[str, Any]:
    return read_data()


@pytest.fixture
def territory(db: None, territory_document: dict[str, Any]) -> None:
    """Communes of 59, 62 and 93 are present in the database."""
    if not Commune.objects.filter(code="93066").exists():
        load_territory(territory_document, TEST_DEPARTMENTS)
