"""Households area: caseload (filters, search, fixed query count), creation with duplicate
detection, the case page and what a receiving organisation sees, edits with optimistic
locking, bad dates, residence documents, merges of households and persons."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways import enums, selectors
from maillage.pathways.models import (
    Appointment,
    Household,
    JournalEntry,
    Person,
    ResidenceDocument,
)
from maillage.pathways.services import households as services
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import (
    AppointmentFactory,
    ConsentFactory,
    GoalFactory,
    HouseholdFactory,
    JournalEntryFactory,
    NeedFactory,
    OutcomeFactory,
    PersonFactory,
    ReferralFactory,
    ResidenceDocumentFactory,
    consent_sharing,
)

pytestmark = pytest.mark.django_db

CASELOAD = reverse("pathways:caseload")
CREATE = reverse("pathways:household_create")


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org)


@pytest.fixture
def pro_client(client: Any, pro: Any) -> Any:
    client.force_login(pro)
    return client


def popescu(
    org: Any, *, first: str = "Ana", last: str = "Popescu", born: date = date(1990, 5, 17), **kw: Any
) -> Person:
    household = HouseholdFactory(organisation=org, name=f"Famille {last}", **kw)
    person = PersonFactory(household=household, first_name=first, last_name=last, birth_date=born)
    services.person_search_names(person)
    person.save()
    return person


def create_data(org: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "organisation": org.pk,
        "name": "Famille Popesku",
        "living_place": enums.LivingPlace.LIVING_SITE,
        "living_site_ref": "Terrain de la rue des Saules",
        "commune_code": "59350",
        "first_name": "Ana",
        "last_name": "Popesku",
        "aliases": "Anna Popesco, Ana P.",
        "birth_year": "1991",
        "languages": "ro, rom",
        "french_level": enums.FrenchLevel.A1,
        "residence_status": "eu_citizen",
        "phone": "06 12 34 56 78",
    }
    data.update(overrides)
    return data


# --- Creation and duplicates ---------------------------------------------------------------


def test_create_household_with_reference_person(pro_client: Any, org: Any, pro: Any) -> None:
    response = pro_client.post(CREATE, create_data(org, referent=pro.pk))
    household = Household.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pathways:household_detail", args=[household.pk])
    person = household.members.get()
    assert person.relation == enums.Relation.REFERENCE
    assert person.aliases == ["Anna Popesco", "Ana P."]
    assert person.search_names == "ana popesku anna popesco ana p."
    assert person.languages == ["ro", "rom"]
    assert household.commune.code == "59350"
    assert household.referent == pro
    entries = AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="pathways.household")
    assert entries.count() == 1
    # No name, no contact in the journal.
    # (Only the case's entries: the generated staff names may contain "Ana".)
    text = str(
        list(
            AuditEntry.objects.filter(object_type__startswith="pathways.").values_list(
                "changes", "reason", "object_repr"
            )
        )
    )
    for secret in ("Popesku", "Popesco", "Ana", "06 12"):
        assert secret not in text


@pytest.mark.parametrize(
    ("first", "last", "year"),
    [
        ("Ana", "Popesku", "1991"),  # typo, birth year + 1
        ("Ána", "POPESCU", "1989"),  # accent and case, birth year - 1
        ("Anna", "Popescou", "1990"),  # spelling variant
    ],
)
def test_duplicate_detected_and_shown(pro_client: Any, org: Any, first: str, last: str, year: str) -> None:
    existing = popescu(org)
    response = pro_client.post(CREATE, create_data(org, first_name=first, last_name=last, aliases="", birth_year=year))
    assert response.status_code == 200
    assert [p.pk for p in response.context["candidates"]] == [existing.pk]
    assert Household.objects.count() == 1  # nothing created
    html = response.content.decode()
    assert reverse("pathways:household_detail", args=[existing.household_id]) in html
    assert 'name="create_anyway"' in html


def test_no_duplicate_with_other_birth_year_or_name(pro_client: Any, org: Any) -> None:
    popescu(org)
    response = pro_client.post(CREATE, create_data(org, birth_year="1995"))
    assert response.status_code == 302
    response = pro_client.post(
        CREATE, create_data(org, first_name="Ion", last_name="Dumitru", aliases="", birth_year="1990")
    )
    assert response.status_code == 302
    assert Household.objects.count() == 3


def test_duplicates_only_among_visible_households(pro_client: Any, org: Any) -> None:
    popescu(OrganisationFactory())  # another organisation's case: never shown
    response = pro_client.post(CREATE, create_data(org))
    assert response.status_code == 302


def test_create_anyway(pro_client: Any, org: Any) -> None:
    popescu(org)
    response = pro_client.post(CREATE, create_data(org, create_anyway="on"))
    assert response.status_code == 302
    assert Household.objects.count() == 2


def test_duplicate_selector_with_birth_date_and_aliases(org: Any, pro: Any) -> None:
    existing = popescu(org)
    found = selectors.duplicate_candidates(pro, first_name="Ana", last_name="Popesku", birth_year=1990)
    assert list(found) == [existing]
    found = selectors.duplicate_candidates(
        pro, first_name="Maria", last_name="X", aliases=["Ana Popescu"], birth_year=1990
    )
    assert list(found) == [existing]
    assert not selectors.duplicate_candidates(pro, first_name="Ana", last_name="Popesku", birth_year=1993)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": "2999-01-01", "birth_year": ""}, "birth_date"),
        ({"birth_year": "1800"}, "birth_year"),
        ({"birth_year": str(date.today().year + 1)}, "birth_year"),
        ({"commune_code": "00000"}, "commune_code"),
    ],
)
def test_create_refuses_bad_input(pro_client: Any, org: Any, overrides: dict[str, str], field: str) -> None:
    response = pro_client.post(CREATE, create_data(org, create_anyway="on", **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Household.objects.exists() and not Person.objects.exists()


def test_service_refuses_future_birth(org: Any, pro: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.household_create(
            actor=pro,
            organisation=org,
            name="Famille X",
            reference_person={"first_name": "A", "birth_date": timezone.localdate() + timedelta(days=1)},
        )
    assert not Household.objects.exists()


def test_create_forbidden_to_volunteer_and_other_org(client: Any, org: Any) -> None:
    volunteer = member(Role.VOLUNTEER, org)
    client.force_login(volunteer)
    assert client.get(CREATE).status_code == 404
    pro_elsewhere = member(Role.PROFESSIONAL)
    client.force_login(pro_elsewhere)
    response = client.post(CREATE, create_data(org, create_anyway="on"))
    assert response.status_code == 200 and response.context["form"].errors["organisation"]
    assert not Household.objects.exists()


# --- Case page -----------------------------------------------------------------------------


def test_case_page_shows_members_ages_documents_and_journals_the_read(pro_client: Any, org: Any, pro: Any) -> None:
    person = popescu(org, born=date(1990, 5, 17))
    child = PersonFactory(
        household=person.household, relation=enums.Relation.CHILD, first_name="Luca", birth_date=None, birth_year=2015
    )
    ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() + timedelta(days=20))
    url = reverse("pathways:household_detail", args=[person.household_id])
    response = pro_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Luca" in html and "Popescu" in html
    members = response.context["members"]
    assert members[0] == person and members[1] == child
    assert members[1].age == timezone.localdate().year - 2015
    assert len(response.context["alerts"]) == 1
    assert 'aria-current="page"' in html and "css/pathways.css" in html
    read = AuditEntry.objects.get(action=AuditAction.READ)
    assert read.object_id == str(person.household_id) and read.actor == pro and read.reason == "case page"


def test_other_organisation_gets_404_like_missing(client: Any, org: Any) -> None:
    person = popescu(org)
    client.force_login(member(Role.PROFESSIONAL))
    pk = person.household_id
    missing = Household.objects.order_by("-pk").first().pk + 100
    for name in ("household_detail", "household_edit", "person_create", "household_merge"):
        assert client.get(reverse(f"pathways:{name}", args=[pk])).status_code == 404
        assert client.get(reverse(f"pathways:{name}", args=[missing])).status_code == 404
    assert client.get(reverse("pathways:person_edit", args=[pk, person.pk])).status_code == 404
    response = client.post(reverse("pathways:household_edit", args=[pk]), {"name": "X", "version": 1})
    assert response.status_code == 404
    assert Household.objects.get(pk=pk).name == "Famille Popescu"
    assert not AuditEntry.objects.filter(action=AuditAction.READ).exists()


def test_volunteer_reads_but_cannot_edit(client: Any, org: Any) -> None:
    person = popescu(org)
    client.force_login(member(Role.VOLUNTEER, org))
    assert client.get(reverse("pathways:household_detail", args=[person.household_id])).status_code == 200
    assert client.get(reverse("pathways:household_edit", args=[person.household_id])).status_code == 404


def test_receiving_organisation_sees_only_shared_items(client: Any, org: Any) -> None:
    person = popescu(org, address="12 rue des Lilas")
    Person.objects.filter(pk=person.pk).update(phone="0612345678")
    ResidenceDocumentFactory(person=person, reference="PASS-99", expires_on=timezone.localdate() + timedelta(days=5))
    partner = OrganisationFactory()
    ReferralFactory(household=person.household, to_organisation=partner, shared=[enums.SharedItem.IDENTITY])
    client.force_login(member(Role.PROFESSIONAL, partner))
    url = reverse("pathways:household_detail", args=[person.household_id])
    assert client.get(url).status_code == 404  # no consent to share: nothing
    consent_sharing(person.household, partner)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Popescu" in html
    assert "0612345678" not in html and "12 rue des Lilas" not in html and "PASS-99" not in html
    assert not response.context["alerts"]
    assert client.get(reverse("pathways:household_edit", args=[person.household_id])).status_code == 404
    caseload = client.get(CASELOAD)
    row = list(caseload.context["page"])[0]
    assert row.is_ours == 0 and row.alerts_count == 0 and row.show_identity


def test_receiving_organisation_without_identity_sees_no_name(client: Any, org: Any) -> None:
    person = popescu(org)
    partner = OrganisationFactory()
    ReferralFactory(household=person.household, to_organisation=partner, shared=[enums.SharedItem.DOCUMENTS])
    consent_sharing(person.household, partner)
    ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() - timedelta(days=1))
    client.force_login(member(Role.PROFESSIONAL, partner))
    response = client.get(reverse("pathways:household_detail", args=[person.household_id]))
    assert response.status_code == 200
    assert "Popescu" not in response.content.decode()
    response = client.get(CASELOAD)
    assert "Popescu" not in response.content.decode()
    assert list(response.context["page"])[0].alerts_count == 1
    assert client.get(CASELOAD, {"q": "popescu"}).context["page"].paginator.count == 0


# --- Caseload ------------------------------------------------------------------------------


def _fill(org: Any, referent: Any, n: int) -> None:
    for i in range(n):
        household = HouseholdFactory(organisation=org, referent=referent if i % 2 == 0 else None)
        person = PersonFactory(household=household)
        PersonFactory(household=household, relation=enums.Relation.CHILD)
        ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() + timedelta(days=10))


@pytest.mark.parametrize("rows", [1, 30])
def test_caseload_query_count_is_fixed(
    client: Any, org: Any, pro: Any, rows: int, django_assert_num_queries: Any
) -> None:
    _fill(org, pro, 1)
    client.force_login(pro)
    with CaptureQueriesContext(connection) as base:
        client.get(CASELOAD)
    _fill(org, pro, rows - 1)
    partner_household = HouseholdFactory()
    PersonFactory(household=partner_household)
    ReferralFactory(household=partner_household, to_organisation=org)
    consent_sharing(partner_household, org)
    with django_assert_num_queries(len(base.captured_queries)):
        response = client.get(CASELOAD)
    assert len(base.captured_queries) <= 12
    page = list(response.context["page"])
    assert len(page) == min(rows + 1, 25)
    ours = [h for h in page if h.is_ours]
    assert all(h.members_count == 2 and h.alerts_count == 1 for h in ours)
    assert any(not h.is_ours for h in page)


def test_caseload_filters_and_search(client: Any, org: Any, pro: Any) -> None:
    mine = popescu(org, referent=pro)
    other = popescu(org, first="Ion", last="Dumitru")
    closed = popescu(org, first="Elena", last="Stoica", status=enums.HouseholdStatus.CLOSED)
    HouseholdFactory(status=enums.HouseholdStatus.OPEN)  # another organisation
    client.force_login(pro)

    def pks(**params: Any) -> set[int]:
        return {h.pk for h in client.get(CASELOAD, params).context["page"]}

    assert pks() == {mine.household_id, other.household_id, closed.household_id}
    assert pks(mine="on") == {mine.household_id}
    assert pks(status="closed") == {closed.household_id}
    assert pks(organisation=org.pk) == {mine.household_id, other.household_id, closed.household_id}
    assert pks(q="POPÉSCU") == {mine.household_id}
    assert pks(q="popesku") == {mine.household_id}  # spelling variant
    assert pks(q="dumitru") == {other.household_id}
    assert pks(organisation="not-a-number") == pks()  # invalid filters are ignored


def test_documents_expiring_selector(org: Any, pro: Any) -> None:
    person = popescu(org)
    soon = ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() + timedelta(days=59))
    expired = ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() - timedelta(days=3))
    ResidenceDocumentFactory(person=person, expires_on=timezone.localdate() + timedelta(days=61))
    ResidenceDocumentFactory(expires_on=timezone.localdate())  # another organisation
    assert list(selectors.documents_expiring(pro)) == [expired, soon]
    assert list(selectors.documents_expiring(pro, days=0)) == [expired]


# --- Edits, optimistic locking, documents --------------------------------------------------


def household_form(household: Household, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": household.name,
        "living_place": household.living_place,
        "status": household.status,
        "version": household.version,
        "address": "3 rue de Paris",
    }
    data.update(overrides)
    return data


def test_edit_household_and_conflict(pro_client: Any, org: Any, pro: Any) -> None:
    household = popescu(org).household
    url = reverse("pathways:household_edit", args=[household.pk])
    response = pro_client.get(url)
    assert response.status_code == 200
    stale = response.context["form"].initial["version"]
    # Someone else saves first.
    services.household_update(actor=pro, household=household, expected_version=stale, address="Other place")
    response = pro_client.post(url, household_form(household, version=stale, address="Mine"))
    assert response.status_code == 200
    assert "Someone else changed this" in response.content.decode()
    household.refresh_from_db()
    assert household.address == "Other place" and household.version == stale + 1
    response = pro_client.post(url, household_form(household, address="Mine"))
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.address == "Mine" and household.version == stale + 2
    update = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(household.pk)).latest("pk")
    assert update.changes["address"] == "(changed, value not journalled)"


def test_add_and_edit_member_with_bad_dates(pro_client: Any, org: Any) -> None:
    household = popescu(org).household
    url = reverse("pathways:person_create", args=[household.pk])
    base = {
        "relation": enums.Relation.CHILD,
        "first_name": "Luca",
        "last_name": "Popescu",
        "version": household.version,
    }
    response = pro_client.post(url, {**base, "birth_date": (timezone.localdate() + timedelta(days=3)).isoformat()})
    assert response.status_code == 200 and response.context["form"].errors["birth_date"]
    response = pro_client.post(url, {**base, "birth_year": "1850"})
    assert response.status_code == 200 and response.context["form"].errors["birth_year"]
    assert household.members.count() == 1
    response = pro_client.post(url, {**base, "birth_year": "2016", "aliases": "Lucas"})
    assert response.status_code == 302
    child = household.members.get(first_name="Luca")
    assert child.search_names == "luca popescu lucas"
    household.refresh_from_db()
    edit = reverse("pathways:person_edit", args=[household.pk, child.pk])
    response = pro_client.post(edit, {**base, "first_name": "Lucá", "version": household.version, "birth_year": "2016"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.first_name == "Lucá" and child.search_names == "luca popescu"


def test_documents_create_edit_delete(pro_client: Any, org: Any) -> None:
    person = popescu(org)
    household = person.household
    url = reverse("pathways:document_create", args=[household.pk, person.pk])
    bad = {"kind": "residence_permit", "issued_on": "2024-05-01", "expires_on": "2024-04-01", "version": 1}
    response = pro_client.post(url, bad)
    assert response.status_code == 200 and response.context["form"].errors["expires_on"]
    assert not ResidenceDocument.objects.exists()
    response = pro_client.post(url, {**bad, "expires_on": "2026-05-01"})
    assert response.status_code == 302
    document = ResidenceDocument.objects.get()
    household.refresh_from_db()
    edit = reverse("pathways:document_edit", args=[household.pk, document.pk])
    response = pro_client.post(edit, {**bad, "expires_on": "2027-05-01", "version": household.version - 1})
    assert response.status_code == 200  # stale version: conflict, nothing lost
    document.refresh_from_db()
    assert document.expires_on == date(2026, 5, 1)
    response = pro_client.post(edit, {**bad, "expires_on": "2027-05-01", "version": household.version})
    assert response.status_code == 302
    household.refresh_from_db()
    delete = reverse("pathways:document_delete", args=[household.pk, document.pk])
    assert pro_client.get(delete).status_code == 200
    assert pro_client.post(delete, {"version": household.version}).status_code == 302
    assert not ResidenceDocument.objects.exists()
    # Another household's document through this household's URL: 404.
    other = ResidenceDocumentFactory(person=popescu(org, first="Ion").household.members.get())
    assert pro_client.get(reverse("pathways:document_edit", args=[household.pk, other.pk])).status_code == 404


# --- Merges --------------------------------------------------------------------------------


def test_merge_households_moves_everything_and_keeps_history(pro_client: Any, org: Any, pro: Any) -> None:
    kept = popescu(org).household
    other_person = popescu(org, first="Anna", last="Popesco")
    other = other_person.household
    PersonFactory(household=other, relation=enums.Relation.CHILD)
    need, goal = NeedFactory(household=other), GoalFactory(household=other)
    referral = ReferralFactory(household=other)
    journal = JournalEntryFactory(household=other)
    outcome = OutcomeFactory(household=other)
    both = AppointmentFactory(organisation=org)
    both.households.set([kept, other])
    only_other = AppointmentFactory(organisation=org)
    only_other.households.set([other])
    url = reverse("pathways:household_merge", args=[kept.pk])
    assert pro_client.get(url).status_code == 200
    response = pro_client.post(url, {"other": other.pk, "version": kept.version})
    assert response.status_code == 302
    other.refresh_from_db()
    kept.refresh_from_db()
    assert other.status == enums.HouseholdStatus.MERGED and other.merged_into == kept
    assert kept.members.count() == 3 and not other.members.exists()
    assert kept.members.filter(relation=enums.Relation.REFERENCE).count() == 1
    for row in (need, goal, referral, journal, outcome):
        row.refresh_from_db()
        assert row.household_id == kept.pk
    assert set(Appointment.objects.filter(households=kept)) == {both, only_other}
    assert not Appointment.objects.filter(households=other).exists()
    assert JournalEntry.objects.filter(household=kept, text__contains=f"#{other.pk}").exists()
    assert AuditEntry.objects.filter(object_id=str(kept.pk), reason="household merge").exists()
    assert AuditEntry.objects.filter(object_id=str(other.pk), reason="household merge").exists()
    # The merged household is gone from the pages and the caseload.
    assert pro_client.get(reverse("pathways:household_detail", args=[other.pk])).status_code == 404
    assert other.pk not in {h.pk for h in pro_client.get(CASELOAD).context["page"]}


def test_merge_refused_across_organisations_and_with_itself(client: Any, org: Any) -> None:
    other_org = OrganisationFactory()
    user = member(Role.PROFESSIONAL, org)
    member(Role.PROFESSIONAL, other_org, user=user)
    client.force_login(user)
    kept, foreign = popescu(org).household, popescu(other_org).household
    url = reverse("pathways:household_merge", args=[kept.pk])
    response = client.post(url, {"other": foreign.pk, "version": kept.version})
    assert response.status_code == 200 and "same organisation" in response.content.decode()
    response = client.post(url, {"other": kept.pk, "version": kept.version})
    assert response.status_code == 200
    unseen = popescu(OrganisationFactory()).household
    response = client.post(url, {"other": unseen.pk, "version": kept.version})
    assert response.context["form"].errors["other"]
    assert not Household.objects.filter(status=enums.HouseholdStatus.MERGED).exists()


def test_person_merge(pro_client: Any, org: Any) -> None:
    kept = popescu(org)
    household = kept.household
    other = PersonFactory(
        household=household, relation=enums.Relation.OTHER, first_name="Anna", last_name="Popesco", aliases=["Ani"]
    )
    document = ResidenceDocumentFactory(person=other)
    consent = ConsentFactory(person=other)
    need = NeedFactory(household=household, person=other)
    url = reverse("pathways:person_merge", args=[household.pk])
    assert pro_client.get(url).status_code == 200
    response = pro_client.post(url, {"kept": kept.pk, "other": other.pk, "version": household.version})
    assert response.status_code == 302
    kept.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into == kept
    assert kept.aliases == ["Anna Popesco", "Ani"]
    assert "popesco" in kept.search_names
    for row in (document, consent, need):
        row.refresh_from_db()
        assert row.person_id == kept.pk
    detail = pro_client.get(reverse("pathways:household_detail", args=[household.pk]))
    assert [p.pk for p in detail.context["members"]] == [kept.pk]


def test_case_nav_links_only_existing_areas(pro_client: Any, org: Any) -> None:
    household = popescu(org).household
    html = pro_client.get(reverse("pathways:household_detail", args=[household.pk])).content.decode()
    assert f'href="{reverse("pathways:household_detail", args=[household.pk])}" aria-current="page"' in html
