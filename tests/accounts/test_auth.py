"""Login, two-factor authentication, throttling, password reset and session expiry."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.organisations.enums import Role
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.organisations.factories import member

pytestmark = pytest.mark.django_db


def login(client: Any, email: str, password: str = DEFAULT_PASSWORD) -> Any:
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_email_login_is_case_insensitive(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    response = login(client, user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_professional_needs_no_second_factor(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    login(client, user.email)
    assert client.get(reverse("core:home")).status_code == 200


def test_coordinator_must_set_up_and_pass_totp(client: Any) -> None:
    user = member(Role.COORDINATOR)
    response = login(client, user.email)
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    # Any other page sends back to the second factor, the API answers 403 JSON.
    assert client.get(reverse("organisations:list"))["Location"].startswith(reverse("accounts:two_factor"))
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_required"
    # First time: set-up page with a QR code and the key.
    page = client.get(reverse("accounts:two_factor"))
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors
    device.refresh_from_db()
    device.throttle_reset()  # django-otp delays the next try after a failure
    response = client.post(reverse("accounts:two_factor"), {"token": current_code(device)})
    assert response.status_code == 200
    assert len(response.context["codes"]) == 8
    assert client.get(reverse("organisations:list")).status_code == 200
    # Next login: verify with the confirmed device, or with a backup code.
    backup = response.context["codes"][0]
    client.logout()
    login(client, user.email)
    assert client.get(reverse("core:home")).status_code == 302
    response = client.post(reverse("accounts:two_factor"), {"token": backup})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    client.logout()
    login(client, user.email)
    reused = client.post(reverse("accounts:two_factor"), {"token": backup})
    assert reused.status_code == 200  # a backup code works once


def test_two_factor_next_is_kept_and_safe(client: Any) -> None:
    user = member(Role.ADMIN)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    login(client, user.email)
    response = client.post(
        reverse("accounts:two_factor") + "?next=https://evil.example/", {"token": current_code(device)}
    )
    assert response["Location"] == reverse("core:home")


def test_login_is_throttled_after_five_failures(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, user.email, "bad password").status_code == 200
    assert login(client, user.email, "bad password").status_code == 429
    locked = login(client, user.email)  # even the right password is refused now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    other = UserFactory()
    assert login(client, other.email).status_code == 302  # other accounts are not locked


def test_password_reset(client: Any, mailoutbox: list[Any]) -> None:
    user = member(Role.PROFESSIONAL)
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/\S+/", mailoutbox[0].body)
    assert link
    path = link.group(0).split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}
    )
    assert response.status_code == 302
    assert login(client, user.email, "a-brand-new-passphrase").status_code == 302


def test_unknown_address_gives_the_same_answer(client: Any, mailoutbox: list[Any]) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_session_expires_when_idle() -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_expired_session_is_logged_out(client: Any) -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = member(Role.PROFESSIONAL)
    login(client, user.email)
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get(reverse("core:home")).status_code == 302


def test_profile_update_is_audited(client: Any) -> None:
    from maillage.audit.models import AuditEntry

    user = member(Role.PROFESSIONAL)
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "profile-first_name": "Ioana",
            "profile-last_name": "Pop",
            "profile-phone": "0600000000",
            "profile-language": "en",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", object_type="accounts.user")
    assert entry.changes["phone"] == "(changed, value not journalled)"
    assert entry.changes["first_name"][1] == "Ioana"
