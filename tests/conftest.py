"""Fixtures shared by the whole suite.

The test database gets the territory referential of departments 59, 62 and 93 (and every
region and department) once per session. Browser tests run last: they use a live server,
whose transactional tests flush the tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

TEST_DEPARTMENTS = "59,62,93"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        call_command("load_territory", departments=TEST_DEPARTMENTS, verbosity=0)
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def mailoutbox_clear(mailoutbox: list[Any]) -> list[Any]:
    mailoutbox.clear()
    return mailoutbox


def verified_login(client: Any, user: Any) -> Any:
    """Log ``user`` in and pass the second factor, as after a real TOTP check."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
