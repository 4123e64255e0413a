"""Closures: preparation, households and their solutions, shares, the record of the closure,
the policy of the closure page and the numbers of queries."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.living_sites import enums
from maillage.living_sites.models import Closure, ClosureHousehold, Site
from maillage.living_sites.selectors.closures import closure_shares, closures_context
from maillage.living_sites.services import closures as services
from tests.living_sites.factories import (
    ClosureFactory,
    ClosureHouseholdFactory,
    SiteFactory,
    SiteUpdateFactory,
)
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(name="Association Rives")


@pytest.fixture
def pro(org):
    return member("professional", org)


@pytest.fixture
def site():
    return SiteFactory(name="Chemin des Saules", opened_on=date(2023, 4, 1))


# --- Preparation and households ----------------------------------------------------------


def test_closure_prepare_creates_then_updates(pro, site):
    closure = services.closure_prepare(actor=pro, site=site, planned_on=date(2027, 3, 1), notes="Meeting on Monday")
    again = services.closure_prepare(actor=pro, site=site, planned_on=date(2027, 4, 1), notes="")
    assert closure.pk == again.pk
    assert Closure.objects.get().planned_on == date(2027, 4, 1)
    entries = AuditEntry.objects.filter(object_type="living_sites.closure").order_by("pk")
    assert [e.action for e in entries] == ["create", "update", "update"]
    assert entries.last().changes["notes"] == "(changed, value not journalled)"


def test_closure_prepare_refuses_a_date_before_the_settlement(pro, site):
    with pytest.raises(ValidationError) as error:
        services.closure_prepare(actor=pro, site=site, planned_on=date(2022, 1, 1))
    assert "planned_on" in error.value.message_dict
    assert not Closure.objects.exists()


@pytest.mark.parametrize("write", ["prepare", "household_add"])
def test_the_writes_that_may_create_the_closure_lock_the_site_first(pro, site, write):
    """Two first posts at once: the second waits for the site's lock, then finds the closure."""
    with CaptureQueriesContext(connection) as queries:
        if write == "prepare":
            services.closure_prepare(actor=pro, site=site, planned_on=None, notes="")
        else:
            services.closure_household_add(actor=pro, site=site, label="Caravan 1")
    sql = [q["sql"] for q in queries.captured_queries if "living_sites_" in q["sql"]]
    assert '"living_sites_site"' in sql[0] and sql[0].rstrip().endswith("FOR UPDATE")
    assert any('"living_sites_closure"' in q for q in sql[1:])  # read and created after the lock
    # The second post finds the closure the first created.
    services.closure_household_add(actor=pro, site=site, label="Caravan 2")
    assert Closure.objects.count() == 1 and ClosureHousehold.objects.filter(closure__site=site).count() >= 1


def test_closure_prepare_reads_the_settlement_on_the_stored_site(pro, site):
    stale = Site.objects.get(pk=site.pk)
    Site.objects.filter(pk=site.pk).update(opened_on=date(2027, 1, 1), known_since=None)
    with pytest.raises(ValidationError) as error:
        services.closure_prepare(actor=pro, site=stale, planned_on=date(2026, 12, 1))
    assert "planned_on" in error.value.message_dict
    assert not Closure.objects.exists()


def test_household_add_creates_the_closure_and_links_a_pathways_household(org, pro, site):
    household = HouseholdFactory(organisation=org, living_site=site)
    row = services.closure_household_add(
        actor=pro, site=site, label="Caravan 3", people=4, household=household, solution="shelter"
    )
    assert row.closure.site == site
    assert row.household == household
    assert AuditEntry.objects.filter(object_type="living_sites.closurehousehold", action="create").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": "  "}, "label"),
        ({"people": 0}, "people"),
        ({"solution": "moon"}, "solution"),
    ],
)
def test_household_add_refuses_bad_input_and_writes_nothing(pro, site, kwargs, field):
    with pytest.raises(ValidationError) as error:
        services.closure_household_add(actor=pro, site=site, **({"label": "Caravan 3"} | kwargs))
    assert field in error.value.message_dict
    assert not ClosureHousehold.objects.exists()
    assert not Closure.objects.exists()


def test_household_add_refuses_duplicates(org, pro, site):
    household = HouseholdFactory(organisation=org, living_site=site)
    services.closure_household_add(actor=pro, site=site, label="Caravan 3", household=household)
    with pytest.raises(ValidationError) as error:
        services.closure_household_add(actor=pro, site=site, label="caravan  3")
    assert "reference “caravan 3”" in error.value.message_dict["label"][0]
    with pytest.raises(ValidationError) as error:
        services.closure_household_add(actor=pro, site=site, label="Caravan 4", household=household)
    assert "already linked" in error.value.message_dict["household"][0]
    assert ClosureHousehold.objects.count() == 1


def test_a_household_of_another_organisation_or_site_cannot_be_linked(pro, site):
    elsewhere = HouseholdFactory(organisation=OrganisationFactory(), living_site=site)
    with pytest.raises(ValidationError) as error:
        services.closure_household_add(actor=pro, site=site, label="Family 1", household=elsewhere)
    assert "household" in error.value.message_dict
    other_site = HouseholdFactory(organisation=pro.memberships.get().organisation, living_site=SiteFactory())
    with pytest.raises(ValidationError):
        services.closure_household_add(actor=pro, site=site, label="Family 2", household=other_site)
    assert not ClosureHousehold.objects.exists()


def test_household_edit_keeps_a_link_the_actor_cannot_see(pro, site):
    other_org = OrganisationFactory(name="Other association")
    other_pro = member("professional", other_org)
    hidden = HouseholdFactory(organisation=other_org, living_site=site)
    row = services.closure_household_add(actor=other_pro, site=site, label="Family 1", household=hidden)
    services.closure_household_edit(actor=pro, row=row, label="Family 1", solution="housing")
    row.refresh_from_db()
    assert (row.household, row.solution) == (hidden, "housing")
    services.closure_household_edit(actor=pro, row=row, label="Family 1", household=None, solution="housing")
    row.refresh_from_db()
    assert row.household is None
    # Once unlinked, the actor cannot link it back: they do not see it.
    with pytest.raises(ValidationError):
        services.closure_household_edit(actor=pro, row=row, label="Family 1", household=hidden)


def test_household_remove(pro, site):
    row = ClosureHouseholdFactory(closure=ClosureFactory(site=site))
    services.closure_household_remove(actor=pro, row=row)
    assert not ClosureHousehold.objects.exists()


# --- Shares ------------------------------------------------------------------------------


def test_closure_shares_five_households_three_with_a_solution(django_assert_num_queries):
    closure = ClosureFactory()
    for solution, people in [
        ("housing", 4),
        ("shelter", 3),
        ("return", 2),
        ("unknown", 5),
        ("unknown", None),
    ]:
        ClosureHouseholdFactory(closure=closure, solution=solution, people=people)
    with django_assert_num_queries(1):
        shares = closure_shares(closure)
    assert (shares["households"], shares["with_solution"], shares["share"]) == (5, 3, 60.0)
    assert (shares["people"], shares["people_with_solution"], shares["people_share"]) == (14, 9, 64.3)
    by_solution = {s["solution"]: (s["households"], s["people"]) for s in shares["by_solution"]}
    assert by_solution == {
        "housing": (1, 4),
        "shelter": (1, 3),
        "insertion_site": (0, 0),
        "return": (1, 2),
        "other": (0, 0),
        "unknown": (2, 5),
    }


def test_closure_shares_without_households():
    shares = closure_shares(None)
    assert (shares["households"], shares["share"]) == (0, None)


# --- Closing the site --------------------------------------------------------------------


def test_site_close_records_status_date_reason_and_the_closure(pro, site):
    SiteUpdateFactory(site=site, observed_on=date(2026, 10, 1))
    services.site_close(actor=pro, site=site, closed_on=date(2026, 10, 1), reason="resorption")
    site.refresh_from_db()
    assert (site.status, site.closed_on, site.closure_reason) == ("closed", date(2026, 10, 1), "resorption")
    assert Closure.objects.filter(site=site).exists()
    entry = AuditEntry.objects.get(object_type="living_sites.site", reason="site closed")
    assert entry.changes["status"] == ["open", "closed"]


@pytest.mark.parametrize(
    ("closed_on", "reason", "field", "message"),
    [
        ("tomorrow", "fire", "closed_on", "in the future"),
        (date(2023, 3, 1), "fire", "closed_on", "before it was settled"),
        (date(2026, 9, 30), "fire", "closed_on", "before its latest observation"),
        (date(2026, 10, 2), "", "reason", "reason"),
        (None, "fire", "closed_on", "date"),
    ],
)
def test_site_close_refuses_bad_dates_and_reasons(pro, site, closed_on, reason, field, message):
    SiteUpdateFactory(site=site, observed_on=date(2026, 10, 1))
    if closed_on == "tomorrow":
        closed_on = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.site_close(actor=pro, site=site, closed_on=closed_on, reason=reason)
    assert message in error.value.message_dict[field][0]
    site.refresh_from_db()
    assert (site.status, site.closed_on) == ("open", None)
    assert not Closure.objects.exists()


def test_site_close_refuses_a_closed_site(pro, site):
    services.site_close(actor=pro, site=site, closed_on=date(2026, 11, 1), reason="fire")
    with pytest.raises(ValidationError, match="already closed"):
        services.site_close(actor=pro, site=Site.objects.get(pk=site.pk), closed_on=date(2026, 11, 2), reason="fire")


# --- The closure page --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_do_not_reach_the_closure_page(client, org, site, role):
    client.force_login(member(role, org))
    assert client.get(reverse("living_sites:closure", args=[site.pk])).status_code == 404
    url = reverse("living_sites:site_close", args=[site.pk])
    assert client.post(url, {"closed_on": "2026-11-01", "reason": "fire", "confirm": "True"}).status_code == 404
    url = reverse("living_sites:closure_household_add", args=[site.pk])
    assert client.post(url, {"new-label": "x", "new-solution": "unknown"}).status_code == 404
    site.refresh_from_db()
    assert site.status == "open"
    assert not ClosureHousehold.objects.exists()


def test_another_departments_site_closure_is_404(client, pro):
    calais = SiteFactory(commune_code="62193")
    client.force_login(pro)
    assert client.get(reverse("living_sites:closure", args=[calais.pk])).status_code == 404


def test_the_name_of_a_linked_household_follows_the_pathways_policy(client, org, pro, site):
    ours = HouseholdFactory(organisation=org, living_site=site, name="Famille Lovari")
    other_org = OrganisationFactory(name="Other association")
    theirs = HouseholdFactory(organisation=other_org, living_site=site, name="Famille Secrète")
    closure = ClosureFactory(site=site)
    ClosureHouseholdFactory(closure=closure, label="Caravan 1", household=ours)
    ClosureHouseholdFactory(closure=closure, label="Caravan 2", household=theirs)
    client.force_login(pro)
    page = client.get(reverse("living_sites:closure", args=[site.pk])).content.decode()
    assert "Famille Lovari" in page
    assert "Famille Secrète" not in page
    assert "Household followed by Other association" in page
    # The household of the other organisation is not offered in the choices either.
    assert f'value="{theirs.pk}"' not in page
    assert f'value="{ours.pk}"' in page


def test_the_page_refuses_to_link_a_household_of_another_organisation(client, pro, site):
    theirs = HouseholdFactory(organisation=OrganisationFactory(), living_site=site)
    client.force_login(pro)
    url = reverse("living_sites:closure_household_add", args=[site.pk])
    response = client.post(url, {"new-label": "Family 1", "new-household": theirs.pk, "new-solution": "unknown"})
    assert response.status_code == 400
    assert not ClosureHousehold.objects.exists()


def test_the_page_adds_edits_and_removes_households(client, org, pro, site):
    household = HouseholdFactory(organisation=org, living_site=site)
    client.force_login(pro)
    add = reverse("living_sites:closure_household_add", args=[site.pk])
    post = {"new-label": "Family 1", "new-people": 3, "new-household": household.pk, "new-solution": "unknown"}
    assert client.post(add, post).status_code == 302
    response = client.post(add, post | {"new-household": ""})
    assert "Another household of this closure has the reference" in response.content.decode()
    row = ClosureHousehold.objects.get()
    edit = reverse("living_sites:closure_household_edit", args=[site.pk, row.pk])
    post = {
        f"row{row.pk}-label": "Family 1",
        f"row{row.pk}-household": household.pk,
        f"row{row.pk}-solution": "housing",
    }
    assert client.post(edit, post).status_code == 302
    row.refresh_from_db()
    assert (row.solution, row.household, row.people) == ("housing", household, None)
    page = client.get(reverse("living_sites:closure", args=[site.pk])).content.decode()
    assert "1 household with a solution, 100 % of the households" in page
    remove = reverse("living_sites:closure_household_remove", args=[site.pk, row.pk])
    assert client.post(remove).status_code == 302
    assert not ClosureHousehold.objects.exists()


def test_the_page_prepares_and_closes_with_a_confirmation(client, pro, site):
    client.force_login(pro)
    prepare = reverse("living_sites:closure_prepare", args=[site.pk])
    assert client.post(prepare, {"planned_on": "2026-11-15", "notes": "Offers made"}).status_code == 302
    close = reverse("living_sites:site_close", args=[site.pk])
    response = client.post(close, {"closed_on": "2026-11-20", "reason": "resorption"})
    assert response.status_code == 200
    assert "Confirm the closure" in response.content.decode()
    site.refresh_from_db()
    assert site.status == "open"
    response = client.post(close, {"closed_on": "2026-11-20", "reason": "resorption", "confirm": "True"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.status, site.closed_on, site.closure_reason) == ("closed", date(2026, 11, 20), "resorption")
    page = client.get(reverse("living_sites:closure", args=[site.pk])).content.decode()
    assert "Record the closure" not in page


def test_the_page_shows_closing_errors(client, pro, site):
    client.force_login(pro)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(reverse("living_sites:site_close", args=[site.pk]), {"closed_on": future, "reason": "fire"})
    assert response.status_code == 400
    assert "in the future" in response.content.decode()


def _fill(closure, org, site, n, start):
    for i in range(start, start + n):
        household = HouseholdFactory(organisation=org, living_site=site)
        ClosureHouseholdFactory(closure=closure, label=f"Family {i}", household=household, solution="housing")
        ClosureHouseholdFactory(closure=closure, label=f"Caravan {i}", household=HouseholdFactory(living_site=site))


def test_the_closure_page_uses_a_fixed_number_of_queries(client, org, pro, site, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    closure = ClosureFactory(site=site)
    _fill(closure, org, site, 1, 0)
    url = reverse("living_sites:closure", args=[site.pk])
    client.force_login(pro)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    two = len(context.captured_queries)
    _fill(closure, org, site, 4, 1)
    client.force_login(pro)
    with django_assert_num_queries(two):
        response = client.get(url)
    assert len(response.context["rows"]) == 10


# --- The site page's section -------------------------------------------------------------


def test_closures_context_counts_only_and_fixed_queries(org, pro, site, django_assert_num_queries):
    closure = ClosureFactory(site=site, planned_on=date(2027, 1, 15))
    ClosureHouseholdFactory(closure=closure, solution="housing", people=3)
    ClosureHouseholdFactory(closure=closure, solution="unknown", people=2)
    partner = member("partner", org)
    section = closures_context(partner, site)["closure_section"]
    assert section["can_manage"] is False
    assert (section["shares"]["households"], section["shares"]["share"]) == (2, 50.0)
    assert set(section) == {"closure", "shares", "can_manage"}
    ClosureHouseholdFactory(closure=closure, solution="shelter")
    with django_assert_num_queries(2):
        section = closures_context(partner, site)["closure_section"]
    assert section["shares"]["households"] == 3
    assert closures_context(pro, site)["closure_section"]["can_manage"] is True


def test_closures_context_without_closure(pro, django_assert_num_queries):
    site = SiteFactory()
    pro_scope_warm = closures_context(pro, site)
    assert pro_scope_warm["closure_section"]["closure"] is None
    with django_assert_num_queries(2):
        closures_context(pro, site)
    assert enums.SiteStatus.OPEN == site.status
