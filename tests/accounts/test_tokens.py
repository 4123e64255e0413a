"""Personal API tokens: hashed at rest, revocable, expiring, scoped to the user's permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.accounts.models import ApiToken, hash_token
from maillage.accounts.services import api_token_create, api_token_revoke
from maillage.organisations.enums import Role
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_hashed_and_authenticates(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    token, raw = api_token_create(actor=user, name="export")
    assert raw.startswith("mlg_")
    assert token.key_hash == hash_token(raw)
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_expired_and_wrong_tokens_are_refused(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    token, raw = api_token_create(actor=user, name="a")
    api_token_revoke(actor=user, token=token)
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401
    token2, raw2 = api_token_create(actor=user, name="b")
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - timezone.timedelta(days=1))
    assert client.get("/api/v1/me", **bearer(raw2)).status_code == 401
    assert client.get("/api/v1/me", **bearer("mlg_made-up")).status_code == 401
    assert client.get("/api/v1/me", **bearer(raw2[:-1])).status_code == 401
    user.is_active = False
    user.save()
    _token3, raw3 = api_token_create(actor=user, name="c")
    assert client.get("/api/v1/me", **bearer(raw3)).status_code == 401


def test_token_has_exactly_its_users_permissions(client: Any) -> None:
    own = OrganisationFactory()
    other = OrganisationFactory()
    user = member(Role.MANAGER, own)
    _token, raw = api_token_create(actor=user, name="sync")
    ok = client.patch(
        f"/api/v1/organisations/{own.pk}", data={"acronym": "OWN"}, content_type="application/json", **bearer(raw)
    )
    assert ok.status_code == 200
    refused = client.patch(
        f"/api/v1/organisations/{other.pk}", data={"acronym": "NO"}, content_type="application/json", **bearer(raw)
    )
    assert refused.status_code == 404
    created = client.post(
        "/api/v1/organisations",
        data={"name": "X", "kind": "association"},
        content_type="application/json",
        **bearer(raw),
    )
    assert created.status_code == 404


def test_token_writes_need_no_csrf(client: Any) -> None:
    from django.test import Client

    own = OrganisationFactory()
    _token, raw = api_token_create(actor=member(Role.MANAGER, own), name="sync")
    strict = Client(enforce_csrf_checks=True)
    response = strict.patch(
        f"/api/v1/organisations/{own.pk}", data={"acronym": "OK"}, content_type="application/json", **bearer(raw)
    )
    assert response.status_code == 200


def test_profile_page_creates_and_revokes_tokens(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    client.force_login(user)
    response = client.post(reverse("accounts:token_create"), {"token-name": "tableau", "token-expires_in_days": "30"})
    assert response.status_code == 200
    raw = response.context["raw"]
    token = ApiToken.objects.get(user=user)
    assert token.expires_at is not None
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 200
    other_user_token, _ = api_token_create(actor=member(Role.PROFESSIONAL), name="not mine")
    assert client.post(reverse("accounts:token_revoke", args=[other_user_token.pk])).status_code == 404
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    client.logout()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401
