"""GDPR of the cases: the read journal shown to the person (page, print, PDF), the export of
all the data (JSON, PDF), the anonymisation on request and the automatic anonymisation job."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import empty

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.audit.services import audit_read
from maillage.organisations.enums import Role
from maillage.pathways import enums
from maillage.pathways import models as pathways_models
from maillage.pathways.models import (
    AnonymisedCase,
    Attachment,
    FollowUp,
    Household,
    JournalEntry,
    Person,
    ReferralEvent,
    Transfer,
)
from maillage.pathways.services.gdpr import cases_anonymise_inactive, household_anonymise
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import (
    AppointmentFactory,
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

PDFTOPPM = shutil.which("pdftoppm") or ("/usr/bin/pdftoppm" if Path("/usr/bin/pdftoppm").exists() else None)


@pytest.fixture
def attachments_root(settings: Any, tmp_path: Path) -> Any:
    settings.PATHWAYS_ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    pathways_models.private_storage._wrapped = empty
    yield tmp_path / "attachments"
    pathways_models.private_storage._wrapped = empty


@pytest.fixture
def org() -> Any:
    return OrganisationFactory(name="AREAS Lille")


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org, user__first_name="Claire", user__last_name="Martin")


@pytest.fixture
def household(org: Any, pro: Any) -> Household:
    household = HouseholdFactory(organisation=org, name="Famille Popescu", referent=pro, address="12 rue des Lilas")
    PersonFactory(household=household, first_name="Ana", last_name="Popescu", phone="0612345678", email="a@x.org")
    PersonFactory(
        household=household,
        relation=enums.Relation.CHILD,
        first_name="Ionut",
        last_name="Popescu",
        birth_date=date.today() - timedelta(days=365 * 8),
    )
    return household


def _attachment(household: Household, **kwargs: Any) -> Attachment:
    attachment = Attachment(
        household=household,
        sensitivity=enums.Sensitivity.SOCIAL,
        original_name="titre-de-sejour.pdf",
        content_type="application/pdf",
        size=12,
        **kwargs,
    )
    attachment.file.save("scan.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    attachment.save()
    return attachment


def full_household(household: Household, pro: Any) -> dict[str, Any]:
    """A household with a record in every section of the export."""
    person = household.members.get(relation=enums.Relation.REFERENCE)
    partner = OrganisationFactory(name="Mission locale")
    ResidenceDocumentFactory(person=person, reference="RO123456")
    consent_sharing(household, partner, collected_by=pro)
    NeedFactory(household=household, note="Besoin de cours de français")
    goal = GoalFactory(household=household, title="Trouver un emploi")
    goal.actions.create(title="Inscription France Travail", blocker="Pas de domiciliation")
    referral = ReferralFactory(household=household, to_organisation=partner, message="Merci de recevoir Ana")
    ReferralEvent.objects.create(referral=referral, status=enums.ReferralStatus.SENT, note="Envoyée")
    appointment = AppointmentFactory(organisation=household.organisation, notes="Visite au terrain")
    appointment.households.add(household)
    appointment.staff.add(pro)
    entry = JournalEntryFactory(household=household, sensitivity=enums.Sensitivity.HEALTH, text="Suivi médical")
    JournalEntryFactory(household=household, text="Rendez-vous CAF")
    attachment = _attachment(household, entry=entry)
    outcome = OutcomeFactory(household=household, person=person, detail="CDD chez Bâtiment SA")
    FollowUp.objects.create(outcome=outcome, months=3, due_on=timezone.localdate() + timedelta(days=90))
    Transfer.objects.create(
        household=household, from_organisation=household.organisation, to_organisation=partner, status="refused"
    )
    return {"person": person, "attachment": attachment, "outcome": outcome, "partner": partner}


# --- Who viewed this file ---------------------------------------------------------------------


def test_privacy_lists_the_reads_of_other_users_with_dates(client: Any, org: Any, pro: Any, household: Any) -> None:
    colleague = member(Role.VOLUNTEER, org, user__first_name="Jules", user__last_name="Leroy")
    partner = OrganisationFactory(name="Secours populaire")
    outsider = member(Role.PROFESSIONAL, partner, user__first_name="Nadia", user__last_name="Benali")
    read = audit_read(actor=colleague, obj=household, reason="journal")
    audit_read(actor=outsider, obj=household, reason="referral")
    audit_read(actor=colleague, obj=HouseholdFactory(organisation=org))  # another household: not listed
    verified_login(client, pro)

    response = client.get(reverse("pathways:privacy", args=[household.pk]))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.name for row in rows] == ["Claire Martin", "Nadia Benali", "Jules Leroy"]  # newest first
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        volunteer, professional = str(Role.VOLUNTEER.label), str(Role.PROFESSIONAL.label)
    assert rows[2].organisations == [("AREAS Lille", volunteer)]
    assert rows[1].organisations == [("Secours populaire", professional)]
    assert rows[2].at == read.at and rows[2].reason == "journal"
    page = response.content.decode()
    assert "Jules Leroy" in page and f"AREAS Lille ({volunteer})" in page
    assert read.at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%dT%H:%M") in page
    # Opening the page is itself a read of the file.
    assert AuditEntry.objects.filter(
        actor=pro, action=AuditAction.READ, object_id=str(household.pk), reason="privacy"
    ).exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_privacy_pages_are_for_the_owning_staff_only(client: Any, org: Any, household: Any, role: str) -> None:
    verified_login(client, member(role, org))
    names = ["privacy", "privacy_views_print", "privacy_views_pdf", "household_export_json", "household_export_pdf"]
    for name in [*names, "household_anonymise"]:
        assert client.get(reverse(f"pathways:{name}", args=[household.pk])).status_code == 404, name


def test_privacy_is_hidden_from_a_receiving_organisation(client: Any, household: Any) -> None:
    partner = OrganisationFactory()
    consent_sharing(household, partner)
    ReferralFactory(household=household, to_organisation=partner, shared=list(enums.SharedItem.values))
    verified_login(client, member(Role.MANAGER, partner))
    assert client.get(reverse("pathways:privacy", args=[household.pk])).status_code == 404
    assert client.get(reverse("pathways:household_export_json", args=[household.pk])).status_code == 404


def test_privacy_has_a_fixed_number_of_queries(
    client: Any, org: Any, pro: Any, household: Any, django_assert_max_num_queries: Any
) -> None:
    verified_login(client, pro)
    url = reverse("pathways:privacy", args=[household.pk])
    client.get(url)  # warm up (session, content types)
    with django_assert_max_num_queries(100) as first:
        client.get(url)
    for _index in range(30):
        audit_read(actor=member(Role.PROFESSIONAL, OrganisationFactory()), obj=household)
    with django_assert_max_num_queries(len(first.captured_queries)) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 25
    assert len(many.captured_queries) == len(first.captured_queries)
    assert client.get(url, {"page": 2}).context["page"].number == 2


def _render_first_page(content: bytes, tmp_path: Path) -> None:
    assert content.startswith(b"%PDF")
    if PDFTOPPM is None:
        return
    source = tmp_path / "doc.pdf"
    source.write_bytes(content)
    command = [PDFTOPPM, "-f", "1", "-l", "1", "-r", "30", "-png", str(source), str(tmp_path / "page")]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed program on a file of the test
    assert list(tmp_path.glob("page*.png"))


def test_printable_reads_and_their_pdf(client: Any, org: Any, pro: Any, household: Any, tmp_path: Path) -> None:
    audit_read(actor=member(Role.VOLUNTEER, org, user__first_name="Jules", user__last_name="Leroy"), obj=household)
    verified_login(client, pro)

    page = client.get(reverse("pathways:privacy_views_print", args=[household.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Jules Leroy" in text and "Ana Popescu" in text and "<script>" not in text

    response = client.get(reverse("pathways:privacy_views_pdf", args=[household.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    _render_first_page(response.content, tmp_path)


# --- Export -------------------------------------------------------------------------------------


def test_json_export_has_every_section_and_is_audited(
    client: Any, pro: Any, household: Any, attachments_root: Path
) -> None:
    full_household(household, pro)
    verified_login(client, pro)

    response = client.get(reverse("pathways:household_export_json", args=[household.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="household-{household.pk}.json"'
    data = json.loads(response.content)
    sections = [
        "persons",
        "documents",
        "consents",
        "needs",
        "goals",
        "referrals",
        "appointments",
        "journal",
        "attachments",
        "outcomes",
        "follow_ups",
        "transfers",
    ]
    for section in sections:
        assert data[section], section
    assert data["household"]["name"] == "Famille Popescu"
    assert {p["first_name"] for p in data["persons"]} == {"Ana", "Ionut"}
    assert data["documents"][0]["reference"] == "RO123456"
    assert data["goals"][0]["actions"][0]["title"] == "Inscription France Travail"
    assert data["referrals"][0]["events"][0]["note"] == "Envoyée"
    assert data["referrals"][0]["to_organisation"]["name"] == "Mission locale"
    assert {j["text"] for j in data["journal"]} == {"Suivi médical", "Rendez-vous CAF"}  # all classes
    assert data["attachments"][0]["original_name"] == "titre-de-sejour.pdf"
    assert "file" not in data["attachments"][0]  # metadata, not the file
    assert data["appointments"][0]["staff"] == ["Claire Martin"]
    assert data["outcomes"][0]["kind"]["code"] == enums.OutcomeKind.JOB_FIXED_TERM
    assert data["follow_ups"][0]["months"] == 3
    assert "search_names" not in data["persons"][0]
    assert AuditEntry.objects.filter(
        actor=pro, action=AuditAction.READ, object_id=str(household.pk), reason="export (json)"
    ).exists()


def test_export_hides_the_notes_of_a_visit_to_several_households(client: Any, pro: Any, household: Any) -> None:
    visit = AppointmentFactory(organisation=household.organisation, notes="Famille voisine absente")
    visit.households.add(household, HouseholdFactory(organisation=household.organisation))
    verified_login(client, pro)
    data = json.loads(client.get(reverse("pathways:household_export_json", args=[household.pk])).content)
    assert "notes" not in data["appointments"][0]


def test_pdf_export_renders(client: Any, pro: Any, household: Any, attachments_root: Path, tmp_path: Path) -> None:
    full_household(household, pro)
    verified_login(client, pro)

    response = client.get(reverse("pathways:household_export_pdf", args=[household.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    _render_first_page(response.content, tmp_path)
    assert AuditEntry.objects.filter(object_id=str(household.pk), reason="export (pdf)").exists()


# --- Anonymisation on request ---------------------------------------------------------------------


def test_anonymisation_on_request(
    client: Any,
    org: Any,
    pro: Any,
    household: Any,
    attachments_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    records = full_household(household, pro)
    file_path = Path(records["attachment"].file.path)
    assert file_path.exists()
    verified_login(client, pro)
    url = reverse("pathways:household_anonymise", args=[household.pk])

    assert client.get(url).status_code == 200
    wrong = client.post(url, {"reason": "request", "confirm": "999999"})
    assert wrong.status_code == 400
    assert Household.objects.get(pk=household.pk).name == "Famille Popescu"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "request", "confirm": str(household.pk)})

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == enums.HouseholdStatus.ANONYMISED and household.anonymised_at is not None
    assert household.name == "" and household.address == "" and household.referent is None
    for person in Person.objects.filter(household=household):
        assert (person.first_name, person.last_name, person.phone, person.email) == ("", "", "", "")
        assert person.birth_date is None and person.birth_year is None and person.aliases == []
        assert not person.documents.exists() and not person.consents.exists()
    assert not JournalEntry.objects.filter(household=household).exists()
    assert not Attachment.objects.filter(household=household).exists()
    assert not file_path.exists()
    assert household.needs.get().note == ""
    goal = household.goals.get()
    assert goal.title == "" and goal.actions.get().blocker == ""
    referral = household.referrals.get()
    assert referral.message == "" and referral.status == enums.ReferralStatus.ABANDONED
    assert not ReferralEvent.objects.filter(referral=referral).exclude(note="").exists()
    assert household.appointments.get().notes == ""  # a visit to this household alone
    # Outcomes and follow-ups stay for the statistics, without persons.
    outcome = household.outcomes.get()
    assert outcome.person is None and outcome.kind == enums.OutcomeKind.JOB_FIXED_TERM
    assert outcome.organisation == org and outcome.follow_ups.count() == 1
    case = AnonymisedCase.objects.get()
    assert (case.organisation, case.department, case.members, case.children) == (org, "59", 2, 1)
    assert case.opened_year == household.created_at.year
    entry = AuditEntry.objects.filter(action=AuditAction.DELETE, object_id=str(household.pk)).get()
    assert entry.reason == "anonymised: request"
    assert "Popescu" not in json.dumps(entry.changes) + entry.object_repr
    # Nobody sees the household anymore.
    assert client.get(reverse("pathways:privacy", args=[household.pk])).status_code == 404
    assert client.get(reverse("pathways:household_export_json", args=[household.pk])).status_code == 404


def test_anonymisation_refuses_a_free_reason_and_a_second_time(pro: Any, household: Any) -> None:
    pending = Transfer.objects.create(
        household=household, from_organisation=household.organisation, to_organisation=OrganisationFactory()
    )
    with pytest.raises(ValidationError):
        household_anonymise(actor=pro, household=household, reason="Ana Popescu asked")
    household_anonymise(actor=pro, household=household, reason="request")
    with pytest.raises(ValidationError):
        household_anonymise(actor=pro, household=household, reason="request")
    assert AnonymisedCase.objects.count() == 1
    pending.refresh_from_db()
    assert pending.status == enums.TransferStatus.REFUSED  # the other organisation cannot accept it anymore


def test_anonymisation_erases_the_households_merged_into_it(pro: Any, household: Any) -> None:
    duplicate = HouseholdFactory(
        organisation=household.organisation,
        name="Famille Popesku",
        status=enums.HouseholdStatus.MERGED,
        merged_into=household,
    )
    PersonFactory(household=duplicate, first_name="Anna", phone="0700000000")
    household_anonymise(actor=pro, household=household, reason="request")
    duplicate.refresh_from_db()
    assert duplicate.name == "" and duplicate.status == enums.HouseholdStatus.ANONYMISED
    assert duplicate.members.get().first_name == ""
    assert AnonymisedCase.objects.count() == 1


# --- Automatic anonymisation ----------------------------------------------------------------------


def test_the_job_anonymises_only_the_inactive_cases(settings: Any, org: Any) -> None:
    settings.PATHWAYS_RETENTION_DAYS = 730
    now = timezone.now()
    old = PersonFactory(household=HouseholdFactory(organisation=org, last_activity_at=now - timedelta(days=800)))
    closed = HouseholdFactory(
        organisation=org,
        status=enums.HouseholdStatus.CLOSED,
        last_activity_at=now - timedelta(days=731),
        closed_at=now - timedelta(days=731),
    )
    OutcomeFactory(household=closed)
    recent = PersonFactory(household=HouseholdFactory(organisation=org, last_activity_at=now - timedelta(days=700)))
    merged = HouseholdFactory(
        organisation=org, status=enums.HouseholdStatus.MERGED, last_activity_at=now - timedelta(days=900)
    )

    assert cases_anonymise_inactive(now=now) == 2

    old.refresh_from_db()
    assert old.first_name == "" and old.household.status == enums.HouseholdStatus.ANONYMISED
    closed.refresh_from_db()
    assert closed.status == enums.HouseholdStatus.ANONYMISED and closed.outcomes.count() == 1
    recent.refresh_from_db()
    assert recent.first_name != "" and recent.household.status == enums.HouseholdStatus.OPEN
    merged.refresh_from_db()
    assert merged.status == enums.HouseholdStatus.MERGED and merged.name != ""
    assert AnonymisedCase.objects.count() == 2
    assert AnonymisedCase.objects.get(closed_year=closed.closed_at.year, organisation=org) is not None
    entries = AuditEntry.objects.filter(action=AuditAction.DELETE, reason="anonymised: retention")
    assert entries.count() == 2 and all(e.actor_id is None for e in entries)

    # Idempotent: nothing more to do.
    assert cases_anonymise_inactive(now=now) == 0
    assert AnonymisedCase.objects.count() == 2
    # The period is configurable.
    settings.PATHWAYS_RETENTION_DAYS = 30
    assert cases_anonymise_inactive(now=now) == 1


def test_the_export_has_a_fixed_number_of_queries(
    client: Any, pro: Any, household: Any, attachments_root: Path, django_assert_max_num_queries: Any
) -> None:
    full_household(household, pro)
    verified_login(client, pro)
    url = reverse("pathways:household_export_json", args=[household.pk])
    client.get(url)
    with django_assert_max_num_queries(100) as first:
        client.get(url)
    full_household(household, pro)  # every section twice as long
    PersonFactory(household=household)
    with django_assert_max_num_queries(len(first.captured_queries)) as more:
        data = json.loads(client.get(url).content)
    assert len(data["journal"]) == 4 and len(data["persons"]) == 3
    assert len(more.captured_queries) == len(first.captured_queries)
