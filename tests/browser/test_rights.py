"""The rights questionnaire in a real browser: in Arabic (right to left) on a 360 px phone and
in French on a desktop, without any script of ours; axe-core on the first question and on the
result. Screenshots go to /tmp/rights-*.png for a human look."""

from __future__ import annotations

from typing import Any

import pytest

from maillage.territory.models import Commune, Department, Region
from tests.browser.conftest import axe_violations

PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def territory(settings: Any) -> None:
    # The live server's transactional tests flush the territory tables: recreate what we need.
    settings.RIGHTS_OPENFISCA = False
    region, _created = Region.objects.get_or_create(code="32", defaults={"name": "Hauts-de-France"})
    Department.objects.get_or_create(code="59", defaults={"name": "Nord", "region": region})
    if not Commune.objects.filter(code="59350").exists():
        Commune.objects.create(
            code="59350",
            name="Lille",
            department_id="59",
            postal_codes=["59000", "59160", "59260", "59777", "59800"],
            population=236_000,
            latitude=50.63,
            longitude=3.06,
        )


def shot(page: Any, name: str) -> None:
    page.screenshot(path=f"/tmp/rights-{name}.png", full_page=True)  # noqa: S108 (asked for a human look)


def choose(page: Any, input_id: str) -> None:
    page.locator(f"label[for={input_id}]").click()


def submit(page: Any) -> None:
    page.locator("#step-form button[type=submit]").click()
    page.wait_for_load_state()


def answer_everything(page: Any, lang: str, width: str, *, check_axe: bool) -> None:
    page.goto(page.base_url + "/droits/")
    shot(page, f"{lang}-{width}-start")
    page.locator("a.rights-button").click()
    assert "/droits/etape/lieu/" in page.url
    assert page.locator("progress").count() == 1
    if check_axe:
        assert axe_violations(page) == []
    shot(page, f"{lang}-{width}-1-place")
    page.select_option("#id_department", "59")
    page.fill("#id_commune", "59000")
    submit(page)

    assert "/droits/etape/foyer/" in page.url
    page.fill("#id_adults", "1")
    page.fill("#id_children", "1")
    submit(page)

    assert "/droits/etape/adulte-1/" in page.url
    page.fill("#id_age", "200")  # refused: the error is shown by the question
    choose(page, "id_residence_status_1")
    choose(page, "id_working_1")
    submit(page)
    assert page.locator("#form-errors").count() == 1
    assert page.locator("#id_age[aria-invalid=true]").count() == 1
    if check_axe:
        assert axe_violations(page) == []
    shot(page, f"{lang}-{width}-3-adult-error")
    page.fill("#id_age", "34")
    page.fill("#id_months_in_france", "30")
    choose(page, "id_french_level_1")
    submit(page)

    assert "/droits/etape/enfants/" in page.url
    page.fill("#id_child_0_age", "7")
    choose(page, "id_child_0_school_0")
    submit(page)

    assert "/droits/etape/logement/" in page.url
    choose(page, "id_housing_1")
    submit(page)
    choose(page, "id_has_address_1")
    submit(page)
    choose(page, "id_health_cover_0")
    submit(page)

    assert "/droits/etape/recapitulatif/" in page.url
    shot(page, f"{lang}-{width}-8-summary")
    page.locator("a.rights-button").click()
    page.wait_for_load_state()
    assert "/droits/resultat/" in page.url
    assert page.locator("article.rights-scheme").count() > 5
    if check_axe:
        assert axe_violations(page) == []
    shot(page, f"{lang}-{width}-9-result")


def test_questionnaire_in_arabic_on_a_phone(page: Any, territory: None) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": page.base_url}])
    page.goto(page.base_url + "/droits/")
    assert page.locator("html[dir=rtl][lang=ar]").count() == 1
    answer_everything(page, "ar", "360", check_axe=True)
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert errors == []


def test_questionnaire_in_french_on_a_desktop(page: Any, territory: None) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(page.base_url + "/droits/")
    # Switch the language with the site's form, as a person would.
    page.select_option("#language-select", "fr")
    page.locator(".lang-form button").click()
    page.wait_for_load_state()
    assert page.locator("html[lang=fr][dir=ltr]").count() == 1
    answer_everything(page, "fr", "1280", check_axe=True)
    page.locator(".rights-tools a").first.click()  # the printable version
    page.wait_for_load_state()
    assert page.locator("details").count() == 0
    shot(page, "fr-1280-print")


def test_result_in_french_on_a_phone_and_arabic_on_a_desktop(page: Any, territory: None) -> None:
    page.set_viewport_size(PHONE)
    answer_everything(page, "fr", "360", check_axe=False)
    page.set_viewport_size(DESKTOP)
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": page.base_url}])
    page.reload()
    assert page.locator("html[dir=rtl]").count() == 1
    shot(page, "ar-1280-9-result")
