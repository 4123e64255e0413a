"""Actions on and around sites: services, policy, pages and their numbers of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.living_sites import enums
from maillage.living_sites.models import ActionFunding, ActionIndicator, SiteAction
from maillage.living_sites.selectors.actions import actions_context
from maillage.living_sites.services import actions as services
from maillage.territory.models import Department
from tests.living_sites.factories import (
    ActionFundingFactory,
    ActionIndicatorFactory,
    SiteActionFactory,
    SiteFactory,
)
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(name="Association Rives")


@pytest.fixture
def pro(org):
    return member("professional", org)


def _data(org, **overrides):
    data = {
        "title": "Schooling mediation",
        "domain": enums.ActionDomain.SCHOOLING,
        "department": "59",
        "lead_organisation": org,
        "started_on": date(2025, 1, 1),
        "ended_on": date(2026, 12, 31),
    }
    return data | overrides


# --- Services ----------------------------------------------------------------------------


def test_action_create_writes_the_action_its_sites_and_an_audit_entry(org, pro):
    site = SiteFactory()
    partner = OrganisationFactory()
    action = services.action_create(actor=pro, data=_data(org, sites=[site], partners=[partner]))
    assert list(action.sites.all()) == [site]
    assert list(action.partners.all()) == [partner]
    entry = AuditEntry.objects.get(object_type="living_sites.siteaction", object_id=str(action.pk))
    assert entry.changes["sites"] == [None, [str(site.pk)]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ended_on": date(2024, 12, 31)}, "ended_on"),
        ({"sites": "other-department"}, "sites"),
        ({"lead_organisation": "other-department"}, "lead_organisation"),
        ({"title": "  "}, "title"),
        ({"domain": "magic"}, "domain"),
    ],
)
def test_action_create_refuses_bad_input_and_writes_nothing(org, pro, overrides, field):
    if overrides.get("sites") == "other-department":
        overrides = {"sites": [SiteFactory(commune_code="62193")]}
    if overrides.get("lead_organisation") == "other-department":
        overrides = {"lead_organisation": OrganisationFactory(departments=["62"])}
    with pytest.raises(ValidationError) as error:
        services.action_create(actor=pro, data=_data(org, **overrides))
    assert field in error.value.message_dict
    assert not SiteAction.objects.exists()
    assert not AuditEntry.objects.filter(object_type="living_sites.siteaction").exists()


def test_sites_of_another_department_are_named_in_the_message(org, pro):
    calais = SiteFactory(commune_code="62193", name="Rue de Calais")
    with pytest.raises(ValidationError) as error:
        services.action_create(actor=pro, data=_data(org, sites=[calais]))
    assert "Rue de Calais" in error.value.message_dict["sites"][0]


def test_action_edit_checks_the_version(org, pro):
    action = services.action_create(actor=pro, data=_data(org))
    services.action_edit(actor=pro, action=action, data={"title": "New title"}, version=1)
    action.refresh_from_db()
    assert (action.title, action.version) == ("New title", 2)
    with pytest.raises(ValidationError, match="Someone else changed"):
        services.action_edit(actor=pro, action=action, data={"title": "Stale"}, version=1)
    action.refresh_from_db()
    assert action.title == "New title"


def test_action_edit_refuses_a_period_leaving_fundings_outside(org, pro):
    action = services.action_create(actor=pro, data=_data(org))
    services.funding_add(actor=pro, action=action, year=2026, funder_kind="state", funder="DIHAL", amount=1000)
    with pytest.raises(ValidationError) as error:
        services.action_edit(actor=pro, action=action, data={"ended_on": date(2025, 12, 31)}, version=1)
    assert "2026" in error.value.message_dict["ended_on"][0]
    action.refresh_from_db()
    assert action.ended_on == date(2026, 12, 31)


def test_action_edit_refuses_the_department():
    action = SiteActionFactory()
    with pytest.raises(ValidationError):
        services.action_edit(actor=None, action=action, data={"department": "62"})


def test_funding_add_validates_year_amount_and_duplicates(org, pro):
    action = services.action_create(actor=pro, data=_data(org))
    kwargs = {"actor": pro, "action": action, "funder_kind": "state", "funder": "DIHAL"}
    with pytest.raises(ValidationError) as error:
        services.funding_add(**kwargs, year=2024, amount=100)
    assert "2025 to 2026" in error.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as error:
        services.funding_add(**kwargs, year=2025, amount=-1)
    assert "amount" in error.value.message_dict
    assert not ActionFunding.objects.exists()
    services.funding_add(**kwargs, year=2025, amount=Decimal("1500.50"))
    with pytest.raises(ValidationError) as error:
        services.funding_add(**kwargs | {"funder": " dihal "}, year=2025, amount=10)
    assert "already has a funding for 2025" in error.value.message_dict["funder"][0]
    assert ActionFunding.objects.count() == 1
    # Zero is allowed (a funding in kind, or promised but not paid).
    services.funding_add(**kwargs, year=2026, amount=0)


def test_funding_year_without_end_goes_to_next_year(org, pro):
    action = services.action_create(actor=pro, data=_data(org, ended_on=None))
    next_year = timezone.localdate().year + 1
    services.funding_add(actor=pro, action=action, year=next_year, funder_kind="europe", funder="FSE+", amount=1)
    with pytest.raises(ValidationError):
        services.funding_add(actor=pro, action=action, year=next_year + 1, funder_kind="europe", funder="X", amount=1)


def test_funding_remove_journals(org, pro):
    funding = ActionFundingFactory()
    services.funding_remove(actor=pro, funding=funding)
    assert not ActionFunding.objects.exists()
    assert AuditEntry.objects.filter(object_type="living_sites.actionfunding", action="delete").exists()


def test_indicator_set_creates_then_updates_by_year_and_label(org, pro):
    action = services.action_create(actor=pro, data=_data(org))
    first = services.indicator_set(actor=pro, action=action, year=2025, label="Children enrolled", planned=30)
    second = services.indicator_set(
        actor=pro, action=action, year=2025, label="children  ENROLLED", planned=30, achieved=22
    )
    assert first.pk == second.pk
    assert ActionIndicator.objects.get().achieved == 22
    services.indicator_set(actor=pro, action=action, year=2026, label="Children enrolled", planned=35)
    assert ActionIndicator.objects.count() == 2


def test_indicator_set_refuses_bad_input(org, pro):
    action = services.action_create(actor=pro, data=_data(org))
    with pytest.raises(ValidationError) as error:
        services.indicator_set(actor=pro, action=action, year=2030, label="x", planned=1)
    assert "year" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.indicator_set(actor=pro, action=action, year=2025, label="x", planned=-3)
    assert "planned" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.indicator_set(actor=pro, action=action, year=2025, label="x")
    assert "planned" in error.value.message_dict
    services.indicator_set(actor=pro, action=action, year=2025, label="Enrolled", code="school-enrolment", planned=3)
    with pytest.raises(ValidationError) as error:
        services.indicator_set(actor=pro, action=action, year=2025, label="Other", code="school-enrolment", planned=3)
    assert "already used in 2025" in error.value.message_dict["code"][0]
    assert ActionIndicator.objects.count() == 1


@pytest.mark.parametrize("write", ["funding", "indicator"])
def test_fundings_and_indicators_lock_the_action_and_read_its_stored_period(org, pro, write):
    """The caller's copy may be stale (a parallel edit shortened the action): the year is
    checked on the locked row, and the duplicate check is made under the same lock."""
    action = services.action_create(actor=pro, data=_data(org))
    stale = SiteAction.objects.get(pk=action.pk)
    services.action_edit(actor=pro, action=action, data={"ended_on": date(2025, 12, 31)})

    def add(year, name="DIHAL"):
        if write == "funding":
            return services.funding_add(actor=pro, action=stale, year=year, funder_kind="state", funder=name, amount=1)
        return services.indicator_set(actor=pro, action=stale, year=year, label=name, planned=1)

    with pytest.raises(ValidationError) as error:
        add(2026)
    assert "from 2025 to 2025" in error.value.message_dict["year"][0]
    with CaptureQueriesContext(connection) as queries:
        add(2025)
    first = next(q["sql"] for q in queries.captured_queries if "living_sites_" in q["sql"])
    assert '"living_sites_siteaction"' in first and first.rstrip().endswith("FOR UPDATE")
    if write == "funding":
        with pytest.raises(ValidationError) as error:
            add(2025, "dihal")
        assert "already has a funding" in error.value.message_dict["funder"][0]
        assert ActionFunding.objects.count() == 1
    else:
        assert add(2025, "dihal").planned == 1 and ActionIndicator.objects.count() == 1


def test_indicator_remove(pro):
    indicator = ActionIndicatorFactory()
    services.indicator_remove(actor=pro, indicator=indicator)
    assert not ActionIndicator.objects.exists()


# --- Policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "partner"])
def test_volunteers_and_partners_see_but_do_not_edit(client, org, role):
    action = SiteActionFactory(lead_organisation=org)
    ActionFundingFactory(action=action)
    client.force_login(member(role, org))
    response = client.get(reverse("living_sites:action_detail", args=[action.pk]))
    assert response.status_code == 200
    assert "Add a funding" not in response.content.decode()
    assert client.get(reverse("living_sites:action_edit", args=[action.pk])).status_code == 404
    assert client.get(reverse("living_sites:action_create")).status_code == 404
    funding = action.fundings.get()
    url = reverse("living_sites:action_funding_remove", args=[action.pk, funding.pk])
    assert client.post(url).status_code == 404
    assert ActionFunding.objects.filter(pk=funding.pk).exists()
    url = reverse("living_sites:action_indicator_set", args=[action.pk])
    response = client.post(url, {"indicator-year": 2025, "indicator-label": "x", "indicator-planned": 1})
    assert response.status_code == 404
    assert not ActionIndicator.objects.exists()


def test_a_professional_of_another_organisation_edits_not_a_coordinator_does(client, org):
    action = SiteActionFactory(lead_organisation=org)
    client.force_login(member("professional", OrganisationFactory()))
    assert client.get(reverse("living_sites:action_edit", args=[action.pk])).status_code == 404
    from tests.conftest import verified_login

    coordinator = member("coordinator", OrganisationFactory(kind="state_service"))
    verified_login(client, coordinator)
    assert client.get(reverse("living_sites:action_edit", args=[action.pk])).status_code == 200


def test_another_departments_action_is_404(client, pro):
    action = SiteActionFactory(
        department=Department.objects.get(code="62"), lead_organisation=OrganisationFactory(departments=["62"])
    )
    client.force_login(pro)
    assert client.get(reverse("living_sites:action_detail", args=[action.pk])).status_code == 404
    assert client.get(reverse("living_sites:action_detail", args=[999999])).status_code == 404
    assert action.title not in client.get(reverse("living_sites:actions")).content.decode()


# --- Pages -------------------------------------------------------------------------------


def test_create_page_preselects_the_site_and_creates(client, org, pro):
    site = SiteFactory(name="Chemin des Saules")
    client.force_login(pro)
    response = client.get(reverse("living_sites:action_create") + f"?site={site.pk}")
    assert response.status_code == 200
    assert response.context["form"].initial == {"sites": [site.pk], "department": "59"}
    assert "checked" in response.content.decode()
    response = client.post(
        reverse("living_sites:action_create"),
        {
            "title": "Health mediation",
            "domain": "health_mediation",
            "department": "59",
            "sites": [site.pk],
            "lead_organisation": org.pk,
            "started_on": "2025-03-01",
        },
    )
    action = SiteAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("living_sites:action_detail", args=[action.pk])
    assert list(action.sites.all()) == [site]


def test_create_refuses_a_lead_organisation_where_the_user_does_not_edit(client, pro):
    other = OrganisationFactory()
    member("volunteer", other, user=pro)
    client.force_login(pro)
    response = client.post(
        reverse("living_sites:action_create"),
        {
            "title": "X",
            "domain": "other",
            "department": "59",
            "lead_organisation": other.pk,
            "started_on": "2025-03-01",
        },
    )
    assert response.status_code == 200
    assert "lead_organisation" in response.context["form"].errors
    assert not SiteAction.objects.exists()


def test_create_shows_service_errors(client, org, pro):
    client.force_login(pro)
    response = client.post(
        reverse("living_sites:action_create"),
        {
            "title": "X",
            "domain": "other",
            "department": "59",
            "lead_organisation": org.pk,
            "started_on": "2025-03-01",
            "ended_on": "2025-01-01",
        },
    )
    assert "The end cannot be before the start." in response.content.decode()


def test_edit_page_reports_a_conflict(client, org, pro):
    action = SiteActionFactory(lead_organisation=org)
    client.force_login(pro)
    url = reverse("living_sites:action_edit", args=[action.pk])
    post = {
        "title": "Renamed",
        "domain": "schooling",
        "lead_organisation": org.pk,
        "started_on": "2025-01-01",
        "version": 1,
    }
    assert client.post(url, post).status_code == 302
    response = client.post(url, post | {"title": "Again"})
    assert "Someone else changed this action" in response.content.decode()
    action.refresh_from_db()
    assert action.title == "Renamed"


def test_detail_page_fundings_indicators_and_forms(client, org, pro):
    site = SiteFactory(name="Chemin des Saules")
    action = SiteActionFactory(lead_organisation=org, sites=[site], ended_on=date(2026, 12, 31))
    ActionFundingFactory(action=action, year=2025, funder="DIHAL", funder_kind="state", amount=20000)
    ActionFundingFactory(action=action, year=2025, funder="Lille", funder_kind="municipality", amount=5000)
    ActionFundingFactory(action=action, year=2026, funder="DIHAL", funder_kind="state", amount=10000)
    ActionIndicatorFactory(action=action, year=2025, label="Children enrolled", planned=40, achieved=30)
    client.force_login(pro)
    url = reverse("living_sites:action_detail", args=[action.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "Chemin des Saules" in page
    assert response.context["funding_years"][0]["total"] == Decimal(25000)
    assert response.context["funding_total"] == Decimal(35000)
    assert [(k["kind"], k["total"]) for k in response.context["funding_by_kind"]] == [
        ("state", Decimal(30000)),
        ("municipality", Decimal(5000)),
    ]
    assert response.context["indicators"][0].rate == 75
    assert "75 %" in page
    # Add, then refuse the duplicate with the message on the page.
    add = reverse("living_sites:action_funding_add", args=[action.pk])
    post = {"funding-year": 2026, "funding-funder_kind": "europe", "funding-funder": "FSE+", "funding-amount": "800"}
    assert client.post(add, post).status_code == 302
    response = client.post(add, post)
    assert response.status_code == 400
    assert "FSE+ already has a funding for 2026" in response.content.decode()
    # Set an indicator, then change it through the prefilled form.
    setter = reverse("living_sites:action_indicator_set", args=[action.pk])
    indicator = action.indicators.get()
    response = client.get(url + f"?indicator={indicator.pk}")
    assert response.context["indicator_form"].initial["label"] == "Children enrolled"
    post = {"indicator-year": 2025, "indicator-label": "Children enrolled", "indicator-planned": 40}
    assert client.post(setter, post | {"indicator-achieved": 35, "indicator-unit": "children"}).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.achieved, indicator.unit) == (35, "children")
    remove = reverse("living_sites:action_indicator_remove", args=[action.pk, indicator.pk])
    assert client.post(remove).status_code == 302
    assert not action.indicators.exists()


def test_list_filters_and_totals(client, org, pro):
    site = SiteFactory()
    schooling = SiteActionFactory(
        title="Schooling 2024",
        lead_organisation=org,
        sites=[site],
        started_on=date(2024, 1, 1),
        ended_on=date(2024, 12, 31),
    )
    ActionFundingFactory(action=schooling, year=2024, amount=1000)
    health = SiteActionFactory(title="Health since 2025", lead_organisation=org, domain="health_mediation")
    ActionFundingFactory(action=health, year=2025, amount=300)
    ActionFundingFactory(action=health, year=2026, amount=200)
    ActionIndicatorFactory(action=health, year=2025, planned=10, achieved=4)
    ActionIndicatorFactory(action=health, year=2026, planned=10, achieved=6)
    client.force_login(pro)
    url = reverse("living_sites:actions")
    rows = {a.title: a for a in client.get(url).context["page"]}
    assert rows["Health since 2025"].funding_total == 500
    assert (rows["Health since 2025"].achieved_total, rows["Health since 2025"].planned_total) == (10, 20)
    assert rows["Schooling 2024"].sites_count == 1
    rows = {a.title: a for a in client.get(url, {"year": 2025}).context["page"]}
    assert list(rows) == ["Health since 2025"]
    assert rows["Health since 2025"].funding_total == 300
    assert rows["Health since 2025"].planned_total == 10
    assert [a.title for a in client.get(url, {"site": site.pk}).context["page"]] == ["Schooling 2024"]
    assert [a.title for a in client.get(url, {"domain": "health_mediation"}).context["page"]] == ["Health since 2025"]
    assert client.get(url, {"department": "59"}).context["page"].paginator.count == 2


def _actions(n, org, site):
    for i in range(n):
        action = SiteActionFactory(lead_organisation=org, sites=[site], title=f"Action {i}")
        action.partners.set([OrganisationFactory()])
        ActionFundingFactory(action=action)
        ActionIndicatorFactory(action=action)


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_list_uses_a_fixed_number_of_queries(client, org, pro, django_assert_num_queries):
    site = SiteFactory()
    client.force_login(pro)
    url = reverse("living_sites:actions") + "?year=2025"
    _actions(2, org, site)
    two = _count_queries(client, url)
    _actions(5, org, site)
    client.force_login(pro)
    with django_assert_num_queries(two):
        response = client.get(url)
    assert len(response.context["page"]) == 7


def test_detail_uses_a_fixed_number_of_queries(client, org, pro, django_assert_num_queries):
    client.force_login(pro)
    action = SiteActionFactory(lead_organisation=org, ended_on=date(2026, 12, 31))

    def grow(n):
        for i in range(n):
            action.sites.add(SiteFactory())
            action.partners.add(OrganisationFactory())
            ActionFundingFactory(action=action, year=2025 + i % 2)
            ActionIndicatorFactory(action=action, year=2025 + i % 2)

    grow(2)
    url = reverse("living_sites:action_detail", args=[action.pk])
    two = _count_queries(client, url)
    grow(4)
    client.force_login(pro)
    with django_assert_num_queries(two):
        client.get(url)


# --- The site page's section -------------------------------------------------------------


def test_actions_context_of_a_site(org, pro, django_assert_num_queries):
    site = SiteFactory()
    year = timezone.localdate().year
    action = SiteActionFactory(lead_organisation=org, sites=[site], started_on=date(year, 1, 1))
    ActionFundingFactory(action=action, year=year, amount=700)
    ActionFundingFactory(action=action, year=year, amount=300)
    SiteActionFactory(lead_organisation=org)  # not on this site
    context = actions_context(pro, site)["actions_section"]
    assert [a.pk for a in context["actions"]] == [action.pk]
    assert context["actions"][0].year_funding == 1000
    assert context["can_create"] is True
    SiteActionFactory(lead_organisation=org, sites=[site])
    with django_assert_num_queries(1):
        assert len(actions_context(pro, site)["actions_section"]["actions"]) == 2
    partner = member("partner", org)
    assert actions_context(partner, site)["actions_section"]["can_create"] is False
