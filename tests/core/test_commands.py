"""Operator commands and request helpers."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.audit.models import AuditEntry
from maillage.core.http import client_ip
from maillage.organisations.enums import Role
from maillage.organisations.models import Membership
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_grant_role_names_the_first_administrator() -> None:
    user = UserFactory(email="ops@example.org")
    out = StringIO()
    call_command(
        "grant_role", "OPS@example.org", organisation="Exploitation", role="admin", create_organisation=True, stdout=out
    )
    assert Membership.objects.get(user=user).role == Role.ADMIN
    assert AuditEntry.objects.filter(object_type="organisations.membership", action="create").exists()
    with pytest.raises(CommandError):
        call_command("grant_role", "nobody@example.org", organisation="Exploitation", role="admin")
    with pytest.raises(CommandError):
        call_command("grant_role", "ops@example.org", organisation="Missing", role="admin")


def test_reset_two_factor() -> None:
    user = UserFactory()
    TOTPDevice.objects.create(user=user, name="lost phone", confirmed=True)
    call_command("reset_two_factor", user.email, stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(object_id=str(user.pk), changes__two_factor="(reset)").exists()


def test_demo_data_is_idempotent() -> None:
    call_command("demo_data", password="a-demo-password-1", stdout=StringIO())
    counts = (Membership.objects.count(), AuditEntry.objects.filter(action="create").count())
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert (Membership.objects.count(), AuditEntry.objects.filter(action="create").count()) == counts
    assert "coordination@prefecture-hdf.example" in out.getvalue()
    assert "TOTP key" in out.getvalue()


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded", "expected"),
    [
        (False, "203.0.113.9", "10.0.0.2"),
        (True, "203.0.113.9", "203.0.113.9"),
        (True, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (True, "", "10.0.0.2"),
    ],
)
def test_client_ip(behind_proxy: bool, forwarded: str, expected: str, rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(BEHIND_PROXY=behind_proxy):
        assert client_ip(request) == expected


def test_preferred_language_applies_at_login(client: Any) -> None:
    user = UserFactory(language="en")
    client.post("/accounts/login/", {"username": user.email, "password": "correct-horse-battery-staple"})
    assert client.cookies["django_language"].value == "en"
    assert '<html lang="en"' in client.get("/").content.decode()


def test_tile_server_origins_for_the_csp() -> None:
    from config.settings.base import _tile_origins

    assert _tile_origins("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == ["https://tile.openstreetmap.org"]
    assert _tile_origins("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == [
        "https://a.tiles.example.org",
        "https://b.tiles.example.org",
        "https://c.tiles.example.org",
    ]
