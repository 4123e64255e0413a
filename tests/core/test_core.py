"""Health check, layout, languages, security headers and production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse
from django.utils import translation

from maillage.organisations.enums import Role
from tests.organisations.factories import member

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_ok(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_503_when_database_is_down(client: Any) -> None:
    with mock.patch("maillage.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] != "ok"


@pytest.mark.django_db
def test_layout_landmarks_and_security_headers(client: Any) -> None:
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<footer" in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_french_is_the_default_and_english_can_be_chosen(client: Any) -> None:
    response = client.get(reverse("accounts:login"))
    assert "Se connecter" in response.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    response = client.get(reverse("accounts:login"))
    assert '<html lang="en"' in response.content.decode()
    assert "Log in" in response.content.decode()


@pytest.mark.django_db
def test_right_to_left_layout_for_arabic(rf: Any) -> None:
    from django.template.loader import render_to_string

    request = rf.get("/accounts/login/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    for code in ("ar", "fa", "ps"):
        with translation.override(code):
            html = render_to_string("404.html", request=request)
        assert 'dir="rtl"' in html, code
    with translation.override("ro"):
        assert 'dir="ltr"' in render_to_string("404.html", request=request)


@pytest.mark.django_db
def test_home_page_lists_memberships_with_fixed_queries(client: Any, django_assert_num_queries: Any) -> None:
    user = member(Role.PROFESSIONAL)
    client.force_login(user)
    client.get("/")
    with django_assert_num_queries(7):
        response = client.get("/")
    assert response.status_code == 200
    assert user.memberships.get().organisation.name in response.content.decode()


def test_french_catalogue_is_complete() -> None:
    po = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    assert po.exists()
    assert (ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.mo").exists()
    text = po.read_text()
    entries = text.split("\n\n")[1:]
    untranslated = [e for e in entries if 'msgstr ""' in e and 'msgstr ""\n"' not in e and "msgid_plural" not in e]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == []
    assert fuzzy == []


def test_production_settings_pass_check_deploy() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": "k" * 10 + "Z9!x@Qw#3$eR%tY^uI&oP*aS(dF)gH_jK+lL=zX;cV:bN,mM.<>?/" + "q" * 10,
        "DJANGO_ALLOWED_HOSTS": "maillage.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_a_missing_secret_key() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.prod", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
