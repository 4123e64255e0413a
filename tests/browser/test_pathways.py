"""Pathways in a real browser: "a day of a referent" on a 1280 px desktop and a 360 px phone.

Log in as an AREAS professional, create a household (the duplicate check stops a second file
for a family already followed), record consents (follow-up, sharing with the CAF), assess a
need, add a goal and an action to the plan, send a referral to a CAF service, create a home
visit with two households at the living site, mark it done, and find the visit in the journal.
axe-core finds no violation on the pages visited. Screenshots go to /tmp/pathways-*.png for a
human look. Fields are found by their ids, not their labels: the translations are being written.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from maillage.organisations.enums import Role
from maillage.pathways.models import Action, Appointment, Consent, Goal, Household, JournalEntry, Need, Referral
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser.conftest import axe_violations
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, PersonFactory

SITE = "Terrain du Chemin des Peupliers"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 800}}


@pytest.fixture(params=list(WIDTHS))
def screen(request: Any, browser: Any, live_server: Any) -> Iterator[tuple[Any, str]]:
    name = request.param
    context = browser.new_context(viewport=WIDTHS[name], locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page, name
    context.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=f"/tmp/pathways-{name}.png", full_page=True)  # noqa: S108 (asked for a human look)


def check_page(page: Any, width: str, name: str) -> None:
    """No axe-core violation, no horizontal scrolling on a phone, and a screenshot."""
    assert axe_violations(page) == [], name
    if width == "phone":
        shot(page, f"{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (name, too_wide(page))
    else:
        shot(page, f"{name}-{width}")


def too_wide(page: Any) -> list[str]:
    """The elements sticking out of the screen (to say what breaks a phone layout)."""
    return page.evaluate(
        """() => {
            const clips = a => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX);
            const clipped = e => { for (let a = e.parentElement; a; a = a.parentElement) { if (clips(a)) return true; }
                                   return false; };
            return [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !clipped(e))
                .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
                    + Math.round(e.getBoundingClientRect().width));
        }"""
    )


def submit(page: Any, form: str = "main form[method=post]") -> None:
    page.locator(form).locator("button[type=submit]").last.click()
    page.wait_for_load_state()


def test_a_day_of_a_referent(screen: tuple[Any, str]) -> None:
    page, width = screen
    base = page.base_url + "/pathways"
    areas = OrganisationFactory(name="AREAS", acronym="AREAS")
    caf = OrganisationFactory(name="CAF du Nord", acronym="CAF 59")
    ServiceFactory(
        structure=StructureFactory(organisation=caf, name="CAF du Nord – Accueil de Lille", commune_id=None),
        name="Ouverture des droits aux prestations",
    )
    referent = member(Role.PROFESSIONAL, areas, user__first_name="Mihai", user__last_name="Popescu")
    # Already followed: the Stoica family (the duplicate check finds it) and the Gheorghe family.
    stoica = HouseholdFactory(organisation=areas, name="Stoica", referent=referent, living_site_ref=SITE)
    PersonFactory(household=stoica, first_name="Florin", last_name="Stoica", birth_date=None, birth_year=1988)
    gheorghe = HouseholdFactory(organisation=areas, name="Gheorghe", referent=referent, living_site_ref=SITE)
    PersonFactory(household=gheorghe, first_name="Ionela", last_name="Gheorghe", birth_date=None, birth_year=1998)

    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", referent.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    submit(page)

    # The caseload.
    page.goto(base + "/")
    assert "Stoica" in page.locator("main").inner_text()
    check_page(page, width, "caseload")

    # A new household: the spelling variant of a family already followed is caught...
    page.goto(base + "/households/new/")
    page.fill("#id_name", "Stoika")
    page.select_option("#id_living_place", "living_site")
    page.fill("#id_living_site_ref", SITE)
    page.fill("#id_first_name", "Florin")
    page.fill("#id_last_name", "Stoika")
    page.fill("#id_birth_year", "1988")
    submit(page)
    assert page.locator("#duplicates-title").is_visible()
    assert Household.objects.count() == 2
    check_page(page, width, "duplicate")
    # ... and a family not followed yet is created.
    page.fill("#id_name", "Lăcătuș")
    page.fill("#id_first_name", "Maria")
    page.fill("#id_last_name", "Lăcătuș")
    page.fill("#id_aliases", "Maria Lacatus, Maria Lakatos")
    page.fill("#id_birth_year", "1993")
    page.fill("#id_languages", "ro, rom")
    submit(page)
    page.wait_for_url("**/pathways/households/*/")
    household = Household.objects.get(name="Lăcătuș")
    assert Household.objects.count() == 3
    assert page.locator("h1").inner_text() == "Lăcătuș"
    check_page(page, width, "case")

    # Consents: follow-up, then sharing with the CAF.
    page.goto(f"{base}/households/{household.pk}/consents/")
    for purpose, partner in (("follow_up", None), ("sharing", caf)):
        page.select_option("#id_purpose", purpose)
        if partner:
            page.select_option("#id_partner", str(partner.pk))
        page.select_option("#id_language", "ro")
        page.fill("#id_given_on", timezone.localdate().isoformat())
        submit(page, "section.entry-form form")
        assert page.locator(".form-errors").count() == 0, page.locator("main").inner_text()
    assert sorted(Consent.objects.filter(person__household=household).values_list("purpose", flat=True)) == [
        "follow_up",
        "sharing",
    ]
    check_page(page, width, "consents")

    # Plan: a need, a goal, an action.
    page.goto(f"{base}/households/{household.pk}/plan/needs/")
    page.select_option("#id_level_education", "4")
    page.fill("#id_note_education", "Trois enfants à inscrire à l'école.")
    submit(page)
    assert Need.objects.filter(household=household, domain="education", level=4).exists()
    page.goto(f"{base}/households/{household.pk}/plan/goals/new/")
    page.select_option("#id_domain", "education")
    page.fill("#id_title", "Inscrire les enfants à l'école")
    submit(page)
    goal = Goal.objects.get(household=household)
    page.goto(f"{base}/households/{household.pk}/plan/goals/{goal.pk}/actions/new/")
    page.fill("#id_title", "Inscription en mairie")
    page.fill("#id_due_on", (timezone.localdate() + timedelta(days=7)).isoformat())
    submit(page)
    assert Action.objects.filter(goal=goal, title="Inscription en mairie").exists()
    page.goto(f"{base}/households/{household.pk}/plan/")
    assert "Inscription en mairie" in page.locator("main").inner_text()
    check_page(page, width, "plan")

    # A referral to the CAF, sharing the identity and the needs (allowed by the consent).
    page.goto(f"{base}/households/{household.pk}/referrals/")
    page.select_option(
        "#id_service", label="Ouverture des droits aux prestations – CAF du Nord – Accueil de Lille (CAF du Nord)"
    )
    page.check("input[name=shared][value=identity]")
    page.check("input[name=shared][value=needs]")
    page.fill("#id_message", "Ouverture des droits aux prestations familiales.")
    submit(page, "form[action*='/referrals/']")
    referral = Referral.objects.get(household=household)
    assert (referral.to_organisation, referral.status, referral.shared) == (caf, "sent", ["identity", "needs"])
    check_page(page, width, "referrals")

    # A home visit at the living site with the Gheorghe family, this morning; then it took place.
    page.goto(f"{base}/households/{household.pk}/appointments/")
    start = timezone.localtime() - timedelta(hours=2)
    page.select_option("#id_kind", "home_visit")
    page.fill("#id_title", "Visite du terrain")
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_living_site_ref", SITE)
    page.check(f"input[name=staff][value='{referent.pk}']")
    page.check(f"input[name=other_households][value='{gheorghe.pk}']")
    submit(page, "form.entry-form")
    visit = Appointment.objects.get()
    assert set(visit.households.values_list("pk", flat=True)) == {household.pk, gheorghe.pk}
    page.goto(f"{base}/households/{household.pk}/appointments/")
    check_page(page, width, "appointments")
    page.select_option(f"#status-{visit.pk}", "done")
    page.fill(f"#note-{visit.pk}", "Dossiers d'inscription scolaire remplis avec la famille.")
    submit(page, f"#appointment-{visit.pk} form")
    visit.refresh_from_db()
    assert visit.status == "done"
    assert JournalEntry.objects.filter(appointment=visit).count() == 2  # one per household

    # The journal shows the visit.
    page.goto(f"{base}/households/{household.pk}/journal/")
    assert "Dossiers d'inscription scolaire remplis" in page.locator("main").inner_text()
    check_page(page, width, "journal")
