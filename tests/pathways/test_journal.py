"""Journal of a case: the policy matrix (role × sensitivity class, listed and written), the
receiving organisations (shared entries only, with and without journal sharing), attachments
(validation by content, private storage, download checks and headers), query counts."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import empty

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways import models as pathways_models
from maillage.pathways.enums import SharedItem
from maillage.pathways.models import Attachment, Household, JournalEntry
from maillage.pathways.services.journal import attachment_create, journal_entry_create, sniff_content_type
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import (
    HouseholdFactory,
    JournalEntryFactory,
    PersonFactory,
    ReferralFactory,
    consent_sharing,
)

pytestmark = pytest.mark.django_db

CLASSES = ["general", "social", "health", "justice"]
READABLE = {
    Role.MANAGER: {"general", "social", "health", "justice"},
    Role.PROFESSIONAL: {"general", "social", "health", "justice"},
    Role.VOLUNTEER: {"general", "social"},
    Role.PARTNER: {"general"},
}
WRITABLE = {
    Role.MANAGER: {"general", "social", "health", "justice"},
    Role.PROFESSIONAL: {"general", "social", "health", "justice"},
    Role.VOLUNTEER: {"general", "social"},
    Role.PARTNER: set(),
}

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Any) -> Any:
    """Attachments go to a temporary folder (the storage is re-created for it)."""
    settings.PATHWAYS_ATTACHMENTS_ROOT = str(tmp_path / "attachments")
    pathways_models.private_storage._wrapped = empty
    yield tmp_path / "attachments"
    pathways_models.private_storage._wrapped = empty


@pytest.fixture
def household() -> Household:
    household = HouseholdFactory()
    PersonFactory(household=household)
    return household


def entries_by_class(household: Household, *, shared: bool = False) -> dict[str, JournalEntry]:
    return {
        c: JournalEntryFactory(household=household, sensitivity=c, text=f"text-{c}", shared=shared) for c in CLASSES
    }


def listed(response: Any) -> set[str]:
    return {entry.sensitivity for entry in response.context["page"]}


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Policy matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(READABLE))
def test_members_see_only_the_classes_of_their_role(client: Any, household: Household, role: str) -> None:
    entries_by_class(household)
    user = member(role, household.organisation)
    verified_login(client, user)
    response = client.get(reverse("pathways:journal", args=[household.pk]))
    assert response.status_code == 200
    assert listed(response) == READABLE[role]
    assert response.context["page"].paginator.count == len(READABLE[role])  # hidden ones are not counted
    content = response.content.decode()
    for sensitivity in CLASSES:
        assert (f"text-{sensitivity}" in content) is (sensitivity in READABLE[role])
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="pathways.household", object_id=str(household.pk), actor=user
    ).exists()


@pytest.mark.parametrize("role", list(WRITABLE))
@pytest.mark.parametrize("sensitivity", CLASSES)
def test_members_write_only_in_the_classes_they_may_read(
    client: Any, household: Household, role: str, sensitivity: str
) -> None:
    user = member(role, household.organisation)
    verified_login(client, user)
    response = client.post(
        reverse("pathways:journal", args=[household.pk]),
        {"occurred_on": timezone.localdate().isoformat(), "sensitivity": sensitivity, "text": "Un point"},
    )
    created = JournalEntry.objects.filter(household=household, sensitivity=sensitivity).first()
    if sensitivity in WRITABLE[role]:
        assert response.status_code == 302
        assert created is not None and created.author == user and created.organisation == household.organisation
        audit = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="pathways.journalentry")
        assert "Un point" not in str(audit.changes) and audit.changes["sensitivity"] == sensitivity
        household.refresh_from_db()
        assert household.last_activity_at > timezone.now() - timedelta(minutes=1)
    else:
        assert response.status_code in (400, 404)
        assert created is None


@pytest.mark.parametrize("sensitivity", ["health", "justice"])
def test_the_service_refuses_a_volunteer_writing_a_class_they_may_not_read(
    household: Household, sensitivity: str
) -> None:
    volunteer = member(Role.VOLUNTEER, household.organisation)
    with pytest.raises(ValidationError) as error:
        journal_entry_create(
            actor=volunteer,
            household=household,
            organisation=household.organisation,
            sensitivity=sensitivity,
            text="Rendez-vous à l'hôpital",
        )
    assert "sensitivity" in error.value.message_dict
    assert not JournalEntry.objects.exists()


def test_a_future_date_is_refused(household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    with pytest.raises(ValidationError):
        journal_entry_create(
            actor=user,
            household=household,
            organisation=household.organisation,
            sensitivity="general",
            text="Plus tard",
            occurred_on=timezone.localdate() + timedelta(days=2),
        )


def test_entries_are_listed_newest_first(client: Any, household: Household) -> None:
    today = timezone.localdate()
    old = JournalEntryFactory(household=household, occurred_on=today - timedelta(days=10))
    new = JournalEntryFactory(household=household, occurred_on=today)
    middle = JournalEntryFactory(household=household, occurred_on=today - timedelta(days=3))
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = client.get(reverse("pathways:journal", args=[household.pk]))
    assert [e.pk for e in response.context["page"]] == [new.pk, middle.pk, old.pk]


# --- Receiving organisations ------------------------------------------------------------------


def receiving_user(household: Household, shared: list[str], role: str = Role.PROFESSIONAL) -> Any:
    partner = OrganisationFactory()
    consent_sharing(household, partner)
    ReferralFactory(household=household, to_organisation=partner, shared=shared)
    return member(role, partner)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROFESSIONAL, Role.PARTNER])
def test_a_receiving_organisation_reads_only_shared_entries_of_shared_classes(
    client: Any, household: Household, role: str
) -> None:
    entries_by_class(household, shared=True)
    for c in CLASSES:
        JournalEntryFactory(household=household, sensitivity=c, text=f"private-{c}", shared=False)
    user = receiving_user(household, [SharedItem.IDENTITY, SharedItem.JOURNAL], role)
    verified_login(client, user)
    response = client.get(reverse("pathways:journal", args=[household.pk]))
    assert response.status_code == 200
    assert listed(response) == {"general", "social"}
    assert response.context["page"].paginator.count == 2
    content = response.content.decode()
    assert "private-" not in content and "text-health" not in content and "text-justice" not in content
    assert response.context["form"] is None  # writes nothing on the case
    post = client.post(
        reverse("pathways:journal", args=[household.pk]), {"sensitivity": "general", "text": "x", "occurred_on": ""}
    )
    assert post.status_code == 404


def test_a_receiving_organisation_without_journal_sharing_reads_no_entry(client: Any, household: Household) -> None:
    entries_by_class(household, shared=True)
    verified_login(client, receiving_user(household, [SharedItem.IDENTITY, SharedItem.NEEDS]))
    response = client.get(reverse("pathways:journal", args=[household.pk]))
    assert response.status_code == 200
    assert listed(response) == set()
    assert response.context["page"].paginator.count == 0
    assert "text-" not in response.content.decode()


def test_a_receiving_volunteer_or_an_unrelated_organisation_gets_404(client: Any, household: Household) -> None:
    entries_by_class(household, shared=True)
    verified_login(client, receiving_user(household, [SharedItem.JOURNAL], Role.VOLUNTEER))
    assert client.get(reverse("pathways:journal", args=[household.pk])).status_code == 404
    verified_login(client, member(Role.PROFESSIONAL, OrganisationFactory()))
    assert client.get(reverse("pathways:journal", args=[household.pk])).status_code == 404


def test_sharing_stops_when_consent_is_withdrawn(client: Any, household: Household) -> None:
    entries_by_class(household, shared=True)
    user = receiving_user(household, [SharedItem.JOURNAL])
    verified_login(client, user)
    assert client.get(reverse("pathways:journal", args=[household.pk])).status_code == 200
    household.members.first().consents.update(withdrawn_on=timezone.localdate())  # type: ignore[union-attr]
    assert client.get(reverse("pathways:journal", args=[household.pk])).status_code == 404


# --- Attachments: upload -------------------------------------------------------------------------


def test_the_type_is_told_by_the_first_bytes() -> None:
    assert sniff_content_type(PDF[:16]) == "application/pdf"
    assert sniff_content_type(PNG[:16]) == "image/png"
    assert sniff_content_type(JPEG[:16]) == "image/jpeg"
    assert sniff_content_type(WEBP[:16]) == "image/webp"
    assert sniff_content_type(HTML[:16]) is None
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WAVE") is None


def post_upload(client: Any, household: Household, file: SimpleUploadedFile, sensitivity: str = "social") -> Any:
    return client.post(
        reverse("pathways:attachment_upload", args=[household.pk]), {"file": file, "sensitivity": sensitivity}
    )


def test_a_good_pdf_is_stored_privately_under_a_random_name(
    client: Any, household: Household, private_root: Any
) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    verified_login(client, user)
    response = post_upload(client, household, upload("titre-de-sejour-Popescu.pdf", PDF, "text/html"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"  # by content, not by the browser
    assert attachment.original_name == "titre-de-sejour-Popescu.pdf"
    assert attachment.size == len(PDF) and attachment.uploaded_by == user
    assert "Popescu" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    path = attachment.file.path
    assert os.path.commonpath([path, str(private_root)]) == str(private_root)
    with open(path, "rb") as stored:
        assert stored.read() == PDF
    audit = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="pathways.attachment")
    assert "Popescu" not in str(audit.changes) and "Popescu" not in audit.object_repr


def test_a_too_large_file_is_refused(client: Any, settings: Any, household: Household) -> None:
    settings.PATHWAYS_ATTACHMENT_MAX_BYTES = 100
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = post_upload(client, household, upload("scan.pdf", PDF + b"0" * 200))
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_png_renamed_pdf_is_refused(client: Any, household: Household, private_root: Any) -> None:
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = post_upload(client, household, upload("scan.pdf", PNG, "application/pdf"))
    assert response.status_code == 400
    assert "does not match" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))


@pytest.mark.parametrize("name", ["page.html", "page.pdf", "page.png"])
def test_an_html_file_is_refused_whatever_its_name(client: Any, household: Household, name: str) -> None:
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = post_upload(client, household, upload(name, HTML, "application/pdf"))
    assert response.status_code == 400
    assert "Only PDF, JPEG, PNG and WEBP" in response.content.decode()
    assert not Attachment.objects.exists()


def test_images_with_matching_extensions_are_accepted(household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    for name, content in [("a.JPG", JPEG), ("b.jpeg", JPEG), ("c.png", PNG), ("d.webp", WEBP)]:
        attachment_create(actor=user, household=household, upload=upload(name, content), sensitivity="general")
    assert sorted(Attachment.objects.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/jpeg",
        "image/png",
        "image/webp",
    ]


def test_the_antivirus_hook_rejects_when_the_scanner_says_so(settings: Any, household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    settings.PATHWAYS_ANTIVIRUS_COMMAND = ["false"]
    with pytest.raises(ValidationError) as error:
        attachment_create(actor=user, household=household, upload=upload("a.pdf", PDF), sensitivity="general")
    assert "virus" in str(error.value)
    settings.PATHWAYS_ANTIVIRUS_COMMAND = "cat"
    attachment_create(actor=user, household=household, upload=upload("a.pdf", PDF), sensitivity="general")
    assert Attachment.objects.count() == 1


def test_a_volunteer_cannot_upload_a_health_document(household: Household) -> None:
    volunteer = member(Role.VOLUNTEER, household.organisation)
    with pytest.raises(ValidationError):
        attachment_create(actor=volunteer, household=household, upload=upload("a.pdf", PDF), sensitivity="health")
    attachment_create(actor=volunteer, household=household, upload=upload("a.pdf", PDF), sensitivity="social")
    assert Attachment.objects.count() == 1


def test_an_entry_with_its_document_in_one_post(client: Any, household: Household) -> None:
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = client.post(
        reverse("pathways:journal", args=[household.pk]),
        {
            "occurred_on": timezone.localdate().isoformat(),
            "sensitivity": "health",
            "text": "Certificat médical",
            "file": upload("certificat.pdf", PDF),
        },
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    attachment = Attachment.objects.get()
    assert attachment.entry == entry and attachment.sensitivity == "health"


def test_a_bad_document_leaves_no_entry_either(client: Any, household: Household) -> None:
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    response = client.post(
        reverse("pathways:journal", args=[household.pk]),
        {
            "occurred_on": timezone.localdate().isoformat(),
            "sensitivity": "general",
            "text": "Avec une page web",
            "file": upload("page.pdf", HTML),
        },
    )
    assert response.status_code == 400
    assert not JournalEntry.objects.exists() and not Attachment.objects.exists()


# --- Attachments: download -----------------------------------------------------------------------


def stored(household: Household, sensitivity: str, *, entry: JournalEntry | None = None) -> Attachment:
    author = member(Role.PROFESSIONAL, household.organisation)
    return attachment_create(
        actor=author, household=household, upload=upload("scan.pdf", PDF), sensitivity=sensitivity, entry=entry
    )


def test_download_headers_and_audit(client: Any, household: Household) -> None:
    attachment = stored(household, "health")
    user = member(Role.PROFESSIONAL, household.organisation)
    verified_login(client, user)
    response = client.get(reverse("pathways:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="scan.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, actor=user, object_type="pathways.household", object_id=str(household.pk)
    ).exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_a_health_document_is_404_for_a_volunteer_or_a_partner(client: Any, household: Household, role: str) -> None:
    attachment = stored(household, "health")
    verified_login(client, member(role, household.organisation))
    response = client.get(reverse("pathways:attachment_download", args=[attachment.pk]))
    assert response.status_code == 404
    missing = client.get(reverse("pathways:attachment_download", args=[attachment.pk + 1000]))
    assert missing.status_code == 404


def test_a_general_document_of_a_health_entry_stays_hidden_from_a_volunteer(client: Any, household: Household) -> None:
    entry = JournalEntryFactory(household=household, sensitivity="health")
    attachment = stored(household, "general", entry=entry)
    verified_login(client, member(Role.VOLUNTEER, household.organisation))
    assert client.get(reverse("pathways:attachment_download", args=[attachment.pk])).status_code == 404


def test_a_receiving_organisation_downloads_only_documents_of_shared_entries(client: Any, household: Household) -> None:
    shared_entry = JournalEntryFactory(household=household, sensitivity="social", shared=True)
    private_entry = JournalEntryFactory(household=household, sensitivity="social", shared=False)
    on_shared = stored(household, "social", entry=shared_entry)
    on_private = stored(household, "social", entry=private_entry)
    on_household = stored(household, "general")
    health_on_shared = stored(household, "health", entry=shared_entry)
    verified_login(client, receiving_user(household, [SharedItem.JOURNAL]))
    url = "pathways:attachment_download"
    assert client.get(reverse(url, args=[on_shared.pk])).status_code == 200
    assert client.get(reverse(url, args=[on_private.pk])).status_code == 404
    assert client.get(reverse(url, args=[on_household.pk])).status_code == 404
    assert client.get(reverse(url, args=[health_on_shared.pk])).status_code == 404
    page = client.get(reverse("pathways:journal", args=[household.pk]))
    [entry] = page.context["page"]
    assert [a.pk for a in entry.readable_attachments] == [on_shared.pk]


def test_an_unrelated_organisation_gets_404_for_a_document(client: Any, household: Household) -> None:
    attachment = stored(household, "general")
    verified_login(client, member(Role.MANAGER, OrganisationFactory()))
    assert client.get(reverse("pathways:attachment_download", args=[attachment.pk])).status_code == 404


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 15])
def test_journal_page_queries_do_not_grow_with_entries(
    client: Any, django_assert_num_queries: Any, household: Household, rows: int
) -> None:
    author = member(Role.PROFESSIONAL, household.organisation)
    person = household.members.first()
    for i in range(rows):
        entry = JournalEntryFactory(household=household, author=author, person=person, sensitivity=CLASSES[i % 4])
        attachment_create(
            actor=author, household=household, upload=upload("a.pdf", PDF), sensitivity="social", entry=entry
        )
        attachment_create(actor=author, household=household, upload=upload("b.png", PNG), sensitivity="general")
    user = member(Role.PROFESSIONAL, household.organisation)
    verified_login(client, user)
    url = reverse("pathways:journal", args=[household.pk])
    client.get(url)  # warm the session
    with django_assert_num_queries(QUERIES_JOURNAL):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"]) == rows


QUERIES_JOURNAL = (
    14  # session, user, device, household, access, count, documents, audit, persons, entries, attachments, session save
)


def test_uploads_keep_their_stream_position() -> None:
    file = upload("a.pdf", PDF)
    file.read(3)
    from maillage.pathways.services.journal import attachment_validate

    assert attachment_validate(file) == "application/pdf"
    assert file.tell() == 0
    assert io.BytesIO(file.read()).getvalue() == PDF
