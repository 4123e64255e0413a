"""In a real browser: login with two-factor authentication, language switch, accessibility."""

from __future__ import annotations

from typing import Any

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.organisations.enums import Role
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser.conftest import axe_violations, screenshot
from tests.organisations.factories import OrganisationFactory, member


def log_in(page: Any, email: str) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()


def test_login_with_two_factor_then_switch_language(page: Any) -> None:
    user = member(Role.COORDINATOR, OrganisationFactory(name="Préfecture de région"))
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    log_in(page, user.email)
    page.wait_for_url("**/accounts/2fa/**")
    assert page.locator("h1").inner_text() == "Double authentification"
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    page.get_by_label("Code").fill(code)
    page.locator("main").get_by_role("button").click()
    page.wait_for_url(page.base_url + "/")
    assert "Préfecture de région" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "home-fr")
    page.select_option("#language-select", "en")
    page.locator(".lang-form").get_by_role("button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    assert page.get_by_role("link", name="Organisations").first.is_visible()
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, "home-en-360")


def test_login_and_home_pages_have_no_axe_violations(page: Any) -> None:
    page.goto(page.base_url + "/accounts/login/")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert axe_violations(page) == []
    user = member(Role.PROFESSIONAL, OrganisationFactory(name="AREAS"))
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, user.email)
    page.wait_for_url(page.base_url + "/")
    assert axe_violations(page) == []
    page.goto(page.base_url + "/organisations/")
    assert axe_violations(page) == []


def test_keyboard_user_reaches_main_content_first(page: Any) -> None:
    page.goto(page.base_url + "/accounts/password/reset/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator(".skip-link").is_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_axe_check_does_fail_on_a_bad_page(page: Any) -> None:
    page.set_content('<html lang="fr"><body><main><button></button><img src="x.png"></main></body></html>')
    ids = {violation["id"] for violation in axe_violations(page)}
    assert {"button-name", "image-alt"} <= ids
