"""Writes on accounts: each runs in one transaction and journals what it did."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff

from .models import ApiToken, User, hash_token

BACKUP_CODES_COUNT = 8


@transaction.atomic
def user_create(*, actor: Any, email: str, password: str | None, first_name: str = "", last_name: str = "") -> User:
    user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    audit_record(
        actor=actor if actor is not None else user,
        action=AuditAction.CREATE,
        obj=user,
        changes={"email": [None, user.email], "password": "(set)"},
    )
    return user


@transaction.atomic
def user_update_profile(*, actor: User, user: User, first_name: str, last_name: str, phone: str, language: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)  # not a form-modified instance
    before = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
    }
    user.first_name, user.last_name, user.phone, user.language = first_name, last_name, phone, language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "phone", "language"])
    after = {"first_name": first_name, "last_name": last_name, "phone": phone, "language": language}
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=user, changes=diff(before, after, sensitive={"phone"}))
    return user


@transaction.atomic
def api_token_create(*, actor: User, name: str, expires_in_days: int | None = 365) -> tuple[ApiToken, str]:
    """Create a token for ``actor``. The clear value is returned once and never stored."""
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name,
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    token.full_clean()
    token.save()
    audit_record(actor=actor, action=AuditAction.CREATE, obj=token, changes={"name": [None, name]})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=token, changes={"revoked": [False, True]})
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a clear token, or None. Records the last use (at most each minute)."""
    if not raw.startswith(settings.API_TOKEN_PREFIX):
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def totp_device_start(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``actor`` (replacing an unconfirmed one)."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="Authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, actor: User, device: TOTPDevice) -> list[str]:
    """Confirm the device, drop older ones and return fresh single-use backup codes."""
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_regenerate(actor=actor)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=actor, changes={"two_factor": "(enabled)"})
    return codes


@transaction.atomic
def backup_codes_regenerate(*, actor: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=actor, name="Backup codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_reset(*, actor: User | None, user: User) -> None:
    """Remove every second factor of ``user`` (lost phone); they set one up at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=user, changes={"two_factor": "(reset)"})
