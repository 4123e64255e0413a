"""The link between Pathways and the living sites: the household and appointment forms offer
the open sites the user sees (a site out of reach is refused, by the form and the services),
the case page and the calendar show the site, the site page lists the household for its
organisation only, a home visit appears on the site's journal without names, and an
anonymised household leaves its site."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.living_sites.enums import SiteStatus
from maillage.living_sites.permissions import living_site_errors, sites_choosable_by
from maillage.organisations.enums import Role
from maillage.pathways import enums
from maillage.pathways.models import Appointment, Household
from maillage.pathways.services import appointments as appointment_services
from maillage.pathways.services import households as household_services
from maillage.pathways.services.gdpr import REASON_REQUEST, household_anonymise
from tests.living_sites.factories import SiteFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("pathways:household_create")


@pytest.fixture
def org() -> Any:
    return OrganisationFactory(name="AREAS")


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org)


@pytest.fixture
def site() -> Any:
    return SiteFactory(name="Chemin des Peupliers", commune_code="59350")


@pytest.fixture
def calais() -> Any:
    return SiteFactory(name="Dunes de l'Est", commune_code="62193")  # department 62: out of reach


def _create_data(org: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "organisation": org.pk,
        "name": "Stoica",
        "living_place": enums.LivingPlace.LIVING_SITE,
        "first_name": "Florin",
        "last_name": "Stoica",
        "birth_year": "1988",
        **overrides,
    }


def _at(days: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(hour)))


# --- Household forms -----------------------------------------------------------------------


def test_the_household_form_offers_the_open_sites_seen_with_their_commune(
    client: Any, org: Any, pro: Any, site: Any, calais: Any
) -> None:
    closed = SiteFactory(name="Rue fermée", status=SiteStatus.CLOSED)
    roubaix = SiteFactory(name="Squat du Canal", commune_code="59512")
    client.force_login(pro)
    response = client.get(CREATE)
    field = response.context["form"].fields["living_site"]
    assert set(field.queryset) == {site, roubaix}
    page = response.content.decode()
    assert "Chemin des Peupliers – Lille" in page and "Squat du Canal – Roubaix" in page
    assert calais.name not in page and closed.name not in page
    assert 'id="id_living_site_ref"' in page  # the free "other living place" stays


def test_a_household_is_created_on_a_site_and_a_site_out_of_reach_is_refused(
    client: Any, org: Any, pro: Any, site: Any, calais: Any
) -> None:
    client.force_login(pro)
    response = client.post(CREATE, _create_data(org, living_site=calais.pk))
    assert response.status_code == 200 and "living_site" in response.context["form"].errors
    assert not Household.objects.exists()
    response = client.post(CREATE, _create_data(org, living_site=site.pk))
    assert response.status_code == 302
    assert Household.objects.get().living_site == site


def test_the_services_refuse_a_site_out_of_reach_or_closed(org: Any, pro: Any, site: Any, calais: Any) -> None:
    person = {"first_name": "Florin", "last_name": "Stoica"}
    for bad in (calais, SiteFactory(status=SiteStatus.CLOSED)):
        with pytest.raises(ValidationError) as error:
            household_services.household_create(
                actor=pro, organisation=org, reference_person=person, name="Stoica", living_site=bad
            )
        assert "living_site" in error.value.message_dict
    household = household_services.household_create(
        actor=pro, organisation=org, reference_person=person, name="Stoica", living_site=site
    )
    with pytest.raises(ValidationError):
        household_services.household_update(actor=pro, household=household, expected_version=None, living_site=calais)
    household_services.household_update(actor=pro, household=household, expected_version=None, living_site=None)
    assert Household.objects.get().living_site is None


def test_one_rule_for_the_living_site_of_a_household_or_a_visit(pro: Any, site: Any, calais: Any) -> None:
    closed = SiteFactory(status=SiteStatus.CLOSED)
    assert living_site_errors(pro, None) == {}
    assert living_site_errors(pro, site.pk) == {}
    assert list(sites_choosable_by(pro)) == [site]
    for bad in (calais, closed):
        assert living_site_errors(pro, bad.pk) == {"living_site": "Choose an open living site among those you see."}
        assert living_site_errors(pro, bad.pk, kept_id=bad.pk) == {}  # kept unchanged


def test_the_edit_form_keeps_a_site_closed_since(client: Any, org: Any, pro: Any, site: Any) -> None:
    household = HouseholdFactory(organisation=org, living_site=site, name="Stoica")
    site.status = SiteStatus.CLOSED
    site.save()
    client.force_login(pro)
    url = reverse("pathways:household_edit", args=[household.pk])
    form = client.get(url).context["form"]
    assert form.initial["living_site"] == site.pk and site in form.fields["living_site"].queryset
    response = client.post(
        url,
        {
            "name": "Stoica",
            "living_place": enums.LivingPlace.LIVING_SITE,
            "living_site": site.pk,
            "living_site_ref": "",
            "status": "open",
            "version": household.version,
        },
    )
    assert response.status_code == 302
    assert Household.objects.get().living_site == site


def test_the_case_page_links_to_the_site_page(client: Any, org: Any, pro: Any, site: Any) -> None:
    household = HouseholdFactory(organisation=org, living_site=site, living_site_ref="Caravane 3")
    PersonFactory(household=household)
    client.force_login(pro)
    page = client.get(reverse("pathways:household_detail", args=[household.pk])).content.decode()
    assert f'href="{reverse("living_sites:site_detail", args=[site.pk])}"' in page
    assert "Chemin des Peupliers" in page and "Caravane 3" in page


def test_the_case_page_names_a_site_out_of_reach_without_a_link(client: Any, org: Any, pro: Any, calais: Any) -> None:
    household = HouseholdFactory(organisation=org, living_site=calais)
    client.force_login(pro)
    page = client.get(reverse("pathways:household_detail", args=[household.pk])).content.decode()
    assert "Dunes de l&#x27;Est" in page
    assert reverse("living_sites:site_detail", args=[calais.pk]) not in page


# --- The site page -------------------------------------------------------------------------


def test_the_site_page_lists_the_household_for_its_organisation_only(
    client: Any, org: Any, pro: Any, site: Any
) -> None:
    household = HouseholdFactory(organisation=org, living_site=site, name="Stoica")
    url = reverse("living_sites:site_detail", args=[site.pk])
    client.force_login(pro)
    page = client.get(url).content.decode()
    assert "Stoica" in page
    assert reverse("pathways:household_detail", args=[household.pk]) in page
    client.force_login(member(Role.PROFESSIONAL, OrganisationFactory(name="Autre association")))
    page = client.get(url).content.decode()
    assert "Stoica" not in page
    assert reverse("pathways:household_detail", args=[household.pk]) not in page
    assert "1 household is followed by other organisations." in page


# --- Appointments --------------------------------------------------------------------------


def test_a_home_visit_at_a_site_is_on_the_site_journal_without_names(
    client: Any, org: Any, pro: Any, site: Any, calais: Any
) -> None:
    household = HouseholdFactory(organisation=org, referent=pro, living_site=site, name="Stoica")
    neighbour = HouseholdFactory(organisation=org, living_site=site, name="Gheorghe")
    client.force_login(pro)
    url = reverse("pathways:household_appointments", args=[household.pk])
    response = client.get(url)
    form = response.context["form"]
    assert form.initial["living_site"] == site.pk
    assert neighbour in form.fields["other_households"].queryset  # same site
    assert calais not in form.fields["living_site"].queryset
    data = {
        "kind": "home_visit",
        "starts_at": _at(-1).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": _at(-1, 12).strftime("%Y-%m-%dT%H:%M"),
        "staff": [pro.pk],
        "other_households": [neighbour.pk],
        "living_site": site.pk,
        "title": "Visite chez Stoica",
        "notes": "Florin a trouvé un CDD.",
    }
    assert client.post(url, {**data, "living_site": calais.pk}).status_code == 200
    assert client.post(url, {**data, "kind": "office", "other_households": []}).status_code == 200
    assert not Appointment.objects.exists()
    assert client.post(url, data).status_code == 302
    visit = Appointment.objects.get()
    assert visit.living_site == site
    assert "Living site: Chemin des Peupliers (Lille)" in client.get(url).content.decode()
    monday = timezone.localdate() - timedelta(days=1)
    calendar = client.get(reverse("pathways:calendar"), {"week": monday.isoformat()}).content.decode()
    assert "Chemin des Peupliers (Lille)" in calendar

    for user in (pro, member(Role.PARTNER, OrganisationFactory())):
        client.force_login(user)
        journal = client.get(reverse("living_sites:journal", args=[site.pk])).content.decode()
        assert "Home visit by AREAS (2 households)" in journal
        for secret in ("Stoica", "Gheorghe", "Florin", "CDD"):
            assert secret not in journal


def test_the_appointment_service_refuses_a_site_out_of_reach_or_for_an_office_appointment(
    org: Any, pro: Any, site: Any, calais: Any
) -> None:
    household = HouseholdFactory(organisation=org)
    params: dict[str, Any] = {
        "actor": pro,
        "organisation": org,
        "kind": enums.AppointmentKind.HOME_VISIT,
        "starts_at": _at(1),
        "ends_at": _at(1, 12),
        "households": [household],
        "staff": [pro],
    }
    for kwargs in ({"living_site": calais}, {"living_site": site, "kind": enums.AppointmentKind.OFFICE}):
        with pytest.raises(ValidationError) as error:
            appointment_services.appointment_create(**{**params, **kwargs})
        assert "living_site" in error.value.message_dict
    assert appointment_services.appointment_create(**params, living_site=site).living_site == site


def test_an_anonymised_household_leaves_its_site(org: Any, pro: Any, site: Any) -> None:
    household = HouseholdFactory(organisation=org, living_site=site)
    PersonFactory(household=household)
    household_anonymise(actor=pro, household=household, reason=REASON_REQUEST)
    assert Household.objects.get().living_site is None
