"""The households living on a site, in the section of the site page: names only where Pathways
shows them, the others as a number only, hidden when there is nothing, fixed queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from maillage.living_sites.enums import SiteStatus
from maillage.living_sites.selectors.households import households_context
from maillage.organisations.enums import Role
from maillage.pathways import enums as pathways_enums
from tests.living_sites.factories import SiteFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, ReferralFactory, consent_sharing

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganisationFactory(name="AREAS")


@pytest.fixture
def other_org() -> Any:
    return OrganisationFactory(name="Secours")


@pytest.fixture
def site() -> Any:
    return SiteFactory(name="Chemin des Peupliers")


def _render(user: Any, site: Any) -> str:
    return render_to_string("living_sites/includes/_households.html", {"site": site, **households_context(user, site)})


def test_own_households_by_name_and_the_others_as_a_number(site: Any, org: Any, other_org: Any) -> None:
    HouseholdFactory(organisation=org, living_site=site, name="Stoica")
    HouseholdFactory(organisation=org, living_site=site, name="Gheorghe")
    HouseholdFactory(organisation=other_org, living_site=site, name="Dimitrov")
    HouseholdFactory(organisation=other_org, living_site=site, name="Lăcătuș")
    HouseholdFactory(organisation=org, name="Rusu")  # lives elsewhere
    HouseholdFactory(organisation=org, living_site=site, name="Merged", status=pathways_enums.HouseholdStatus.MERGED)
    pro = member(Role.PROFESSIONAL, org)
    context = households_context(pro, site)
    assert [h.name for h in context["site_households"]] == ["Gheorghe", "Stoica"]
    assert context["site_households_others"] == 2
    html = _render(pro, site)
    assert "Stoica" in html and "Gheorghe" in html
    assert "2 other households are followed by other organisations." in html
    for secret in ("Dimitrov", "Lăcătuș", "Secours", "Rusu", "Merged"):
        assert secret not in html
    stoica = context["site_households"][1]
    assert reverse("pathways:household_detail", args=[stoica.pk]) in html


def test_a_case_shared_without_the_identity_shows_its_number_only(site: Any, org: Any, other_org: Any) -> None:
    household = HouseholdFactory(organisation=other_org, living_site=site, name="Dimitrov")
    consent_sharing(household, org)
    ReferralFactory(household=household, to_organisation=org, status="accepted", shared=[])
    named = HouseholdFactory(organisation=other_org, living_site=site, name="Stoica")
    consent_sharing(named, org)
    ReferralFactory(household=named, to_organisation=org, status="accepted", shared=["identity"])
    html = _render(member(Role.PROFESSIONAL, org), site)
    assert f"Household #{household.pk}" in html and "Dimitrov" not in html
    assert "Stoica" in html
    assert "followed by other organisations" not in html


def test_the_section_is_hidden_when_there_is_nothing(site: Any, org: Any, other_org: Any) -> None:
    pro = member(Role.PROFESSIONAL, org)
    assert "<section" not in _render(pro, site)
    assert "<section" not in render_to_string("living_sites/includes/_households.html", {"site": site})
    HouseholdFactory(organisation=other_org, living_site=site)
    html = _render(pro, site)
    assert "<section" in html and "1 household is followed by other organisations." in html


def test_a_closed_site_lists_the_households_who_lived_there(client: Any, site: Any, org: Any) -> None:
    HouseholdFactory(organisation=org, living_site=site, name="Stoica")
    pro = member(Role.PROFESSIONAL, org)
    html = _render(pro, site)
    assert "Households followed in Pathways" in html and "lived" not in html
    site.status, site.closed_on = SiteStatus.CLOSED, date(2026, 6, 1)
    site.save()
    client.force_login(pro)
    page = client.get(reverse("living_sites:site_detail", args=[site.pk])).content.decode()
    assert "Households who lived on this site" in page and "Stoica" in page
    assert "Households followed in Pathways" not in page


@pytest.mark.parametrize("rows", [2, 10])
def test_a_fixed_number_of_queries(
    django_assert_num_queries: Any, site: Any, org: Any, other_org: Any, rows: int
) -> None:
    for _index in range(rows):
        HouseholdFactory(organisation=org, living_site=site)
        HouseholdFactory(organisation=other_org, living_site=site)
    pro = member(Role.PROFESSIONAL, org)
    with django_assert_num_queries(3):  # memberships, visible households, count of the others
        context = households_context(pro, site)
        render_to_string("living_sites/includes/_households.html", {"site": site, **context})
    assert len(context["site_households"]) == rows and context["site_households_others"] == rows
