"""The journal of a site: the service (who writes what, in whose name, when), the page (the
classes each role reads, the Pathways home visits merged without names, the form, 404s), the
section of the site page, and a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.living_sites.models import SiteJournalEntry
from maillage.living_sites.selectors.journal import journal_context
from maillage.living_sites.services.journal import site_journal_entry_create
from maillage.organisations.enums import Role
from maillage.pathways import enums as pathways_enums
from tests.living_sites.factories import SiteFactory, SiteJournalEntryFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import AppointmentFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganisationFactory(name="AREAS")


@pytest.fixture
def other_org() -> Any:
    return OrganisationFactory(name="Médecins du Monde")


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org)


@pytest.fixture
def site() -> Any:
    return SiteFactory(name="Chemin des Peupliers", opened_on=date(2023, 4, 1))


def _visit(site: Any, org: Any, *, names: tuple[str, ...] = ("Stoica", "Gheorghe"), days: int = -3, **kwargs: Any):
    starts = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=days), time(10)))
    visit = AppointmentFactory(
        organisation=org,
        kind=pathways_enums.AppointmentKind.HOME_VISIT,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        living_site=site,
        title="Visite de la famille Stoica",
        notes="Florin Stoica a signé son CDD.",
        **kwargs,
    )
    visit.households.set([HouseholdFactory(organisation=org, name=name) for name in names])
    return visit


def _create(actor: Any, site: Any, org: Any, **kwargs: Any) -> SiteJournalEntry:
    params: dict[str, Any] = {
        "actor": actor,
        "site": site,
        "organisation_id": org.pk,
        "sensitivity": "general",
        "occurred_on": timezone.localdate(),
        "text": "Point d'eau réparé par la ville.",
    }
    return site_journal_entry_create(**{**params, **kwargs})


# --- Service -------------------------------------------------------------------------------


def test_a_professional_writes_any_class_and_the_audit_has_no_text(pro: Any, site: Any, org: Any) -> None:
    entry = _create(pro, site, org, sensitivity="health", text="  Trois enfants non vaccinés.  ")
    assert (entry.site, entry.organisation, entry.author, entry.sensitivity) == (site, org, pro, "health")
    assert entry.text == "Trois enfants non vaccinés."
    audit = AuditEntry.objects.get(object_type="living_sites.sitejournalentry", object_id=str(entry.pk))
    assert audit.changes["sensitivity"] == "health"
    assert "vaccinés" not in str(audit.changes)


@pytest.mark.parametrize(
    ("role", "sensitivity", "allowed"),
    [
        (Role.VOLUNTEER, "general", True),
        (Role.VOLUNTEER, "social", True),
        (Role.VOLUNTEER, "health", False),
        (Role.VOLUNTEER, "justice", False),
        (Role.MANAGER, "justice", True),
        (Role.COORDINATOR, "health", True),
        (Role.PARTNER, "general", False),
    ],
)
def test_the_class_must_be_allowed_for_the_role(
    site: Any, org: Any, role: str, sensitivity: str, allowed: bool
) -> None:
    user = member(role, org)
    if allowed:
        assert _create(user, site, org, sensitivity=sensitivity).pk
    else:
        with pytest.raises(ValidationError):
            _create(user, site, org, sensitivity=sensitivity)
        assert not SiteJournalEntry.objects.exists()


def test_nobody_writes_in_the_name_of_another_organisation_or_on_another_department(
    pro: Any, site: Any, org: Any, other_org: Any
) -> None:
    with pytest.raises(ValidationError) as error:
        _create(pro, site, other_org)
    assert "organisation" in error.value.message_dict
    calais = SiteFactory(commune_code="62193")
    with pytest.raises(ValidationError) as error:
        _create(pro, calais, org)
    assert "organisation" in error.value.message_dict
    assert not SiteJournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_on", date.today() + timedelta(days=2), "future"),
        ("occurred_on", date(2023, 3, 31), "before the site was settled"),
        ("occurred_on", None, "Give the date"),
        ("text", "   ", "Write the text"),
        ("sensitivity", "secret", "class"),
    ],
)
def test_bad_input_is_refused(pro: Any, site: Any, org: Any, field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        _create(pro, site, org, **{field: value})
    assert message in " ".join(error.value.message_dict[field])
    assert not SiteJournalEntry.objects.exists()


# --- Page ----------------------------------------------------------------------------------


def test_each_role_reads_its_classes_and_the_visits_show_no_names(
    client: Any, site: Any, org: Any, other_org: Any
) -> None:
    SiteJournalEntryFactory(site=site, organisation=org, sensitivity="general", text="Our general note")
    SiteJournalEntryFactory(site=site, organisation=org, sensitivity="health", text="Our health note")
    SiteJournalEntryFactory(site=site, organisation=other_org, sensitivity="general", text="Their general note")
    SiteJournalEntryFactory(site=site, organisation=other_org, sensitivity="social", text="Their social note")
    _visit(site, org)
    _visit(site, org, names=("Dimitrov",), status=pathways_enums.AppointmentStatus.CANCELLED)
    _visit(SiteFactory(), org, names=("Rusu",))  # another site
    office = _visit(site, org, names=("Rahimi",))
    office.kind = pathways_enums.AppointmentKind.OFFICE
    office.save()
    url = reverse("living_sites:journal", args=[site.pk])

    client.force_login(member(Role.PROFESSIONAL, org))
    page = client.get(url).content.decode()
    assert "Our general note" in page and "Our health note" in page and "Their general note" in page
    assert "Their social note" not in page
    assert "Home visit by AREAS (2 households)" in page
    assert page.count("Home visit by") == 1  # not the cancelled one, nor the office one, nor the other site's
    for secret in ("Stoica", "Gheorghe", "Florin", "CDD", "Dimitrov", "Rahimi", "Rusu"):
        assert secret not in page

    client.force_login(member(Role.VOLUNTEER, org))
    page = client.get(url).content.decode()
    assert "Our general note" in page and "Our health note" not in page
    assert '<option value="health"' not in page and '<option value="social"' in page

    partner = member(Role.PARTNER, other_org)
    client.force_login(partner)
    response = client.get(url)
    page = response.content.decode()
    assert "Our general note" in page and "Their general note" in page
    assert "Their social note" not in page and "Our health note" not in page
    assert "Home visit by AREAS" in page
    assert 'id="new-entry-title"' not in page  # read-only: no form
    assert client.post(url, {"text": "x"}).status_code == 404


def test_the_page_merges_entries_and_visits_newest_first(client: Any, pro: Any, site: Any, org: Any) -> None:
    today = timezone.localdate()
    SiteJournalEntryFactory(site=site, organisation=org, occurred_on=today - timedelta(days=10), text="Oldest")
    SiteJournalEntryFactory(site=site, organisation=org, occurred_on=today - timedelta(days=1), text="Newest")
    _visit(site, org, days=-5)
    client.force_login(pro)
    page = client.get(reverse("living_sites:journal", args=[site.pk])).content.decode()
    assert page.index("Newest") < page.index("Home visit by") < page.index("Oldest")


def test_an_entry_is_added_through_the_form(client: Any, pro: Any, site: Any, org: Any) -> None:
    client.force_login(pro)
    url = reverse("living_sites:journal", args=[site.pk])
    response = client.post(
        url,
        {
            "organisation": org.pk,
            "sensitivity": "social",
            "occurred_on": timezone.localdate().isoformat(),
            "text": "Réunion avec la mairie sur le ramassage des déchets.",
        },
    )
    assert response.status_code == 302 and response.url == url
    entry = SiteJournalEntry.objects.get()
    assert (entry.organisation, entry.author, entry.sensitivity) == (org, pro, "social")
    assert "Réunion avec la mairie" in client.get(url).content.decode()


def test_bad_input_is_shown_on_the_form(client: Any, pro: Any, site: Any, org: Any) -> None:
    client.force_login(pro)
    url = reverse("living_sites:journal", args=[site.pk])
    response = client.post(
        url, {"organisation": org.pk, "sensitivity": "general", "occurred_on": "2023-01-01", "text": "Trop tôt"}
    )
    assert response.status_code == 400
    assert "before the site was settled" in response.content.decode()
    assert not SiteJournalEntry.objects.exists()


def test_a_volunteer_of_two_organisations_is_refused_a_class_of_the_other(client: Any, site: Any, org: Any) -> None:
    volunteer = member(Role.VOLUNTEER, org)
    professional_elsewhere = OrganisationFactory()
    member(Role.PROFESSIONAL, professional_elsewhere, user=volunteer)
    client.force_login(volunteer)
    url = reverse("living_sites:journal", args=[site.pk])
    page = client.get(url).content.decode()
    assert '<option value="health"' in page  # offered for the organisation where they are professional
    response = client.post(
        url,
        {
            "organisation": org.pk,
            "sensitivity": "health",
            "occurred_on": timezone.localdate().isoformat(),
            "text": "Note",
        },
    )
    assert response.status_code == 400
    assert not SiteJournalEntry.objects.exists()


def test_a_site_out_of_reach_answers_404(client: Any, pro: Any) -> None:
    calais = SiteFactory(commune_code="62193")
    client.force_login(pro)
    assert client.get(reverse("living_sites:journal", args=[calais.pk])).status_code == 404
    assert client.get(reverse("living_sites:journal", args=[999999])).status_code == 404


def test_the_journal_is_paged(client: Any, pro: Any, site: Any, org: Any) -> None:
    today = timezone.localdate()
    for day in range(35):
        SiteJournalEntryFactory(site=site, organisation=org, occurred_on=today - timedelta(days=day), text=f"N{day}.")
    client.force_login(pro)
    url = reverse("living_sites:journal", args=[site.pk])
    first = client.get(url).content.decode()
    assert "N0." in first and "N29." in first and "N30." not in first
    assert "Page 1 of 2" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "N30." in second and "N34." in second and "N0." not in second


@pytest.mark.parametrize("rows", [2, 10])
def test_the_journal_has_a_fixed_number_of_queries(
    client: Any, django_assert_num_queries: Any, pro: Any, site: Any, org: Any, other_org: Any, rows: int
) -> None:
    for index in range(rows):
        SiteJournalEntryFactory(site=site, organisation=org if index % 2 else other_org)
        _visit(site, org, names=(f"F{index}a", f"F{index}b"), days=-index - 1)
    client.force_login(pro)
    url = reverse("living_sites:journal", args=[site.pk])
    client.get(url)  # warm the session
    # session (read, then saved: 3), user, memberships, site scope, site, organisations of the form,
    # count, page, entries, visits
    with django_assert_num_queries(13):
        response = client.get(url)
    assert response.content.decode().count("Home visit by") == rows


# --- Section of the site page --------------------------------------------------------------


def test_the_section_has_the_five_latest_items(
    django_assert_num_queries: Any, pro: Any, site: Any, org: Any, other_org: Any
) -> None:
    today = timezone.localdate()
    for day in range(6):
        SiteJournalEntryFactory(site=site, organisation=org, occurred_on=today - timedelta(days=day * 2 + 1))
    _visit(site, org, days=0)
    SiteJournalEntryFactory(site=site, organisation=other_org, sensitivity="health")  # not for them
    with django_assert_num_queries(4):  # site scope, rows, entries, visits
        context = journal_context(pro, site)
    items = context["journal_items"]
    assert len(items) == 5 and context["journal_more"] and context["journal_can_write"]
    assert items[0].is_visit and items[0].visit.households_count == 2
    assert [i.day for i in items] == sorted((i.day for i in items), reverse=True)
    partner = member(Role.PARTNER, other_org)
    assert not journal_context(partner, site)["journal_can_write"]
