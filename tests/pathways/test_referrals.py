"""Referrals: sending with consent, closed services, what the receiver sees, the state machine,
optimistic locking, consent withdrawn mid-referral, notifications and e-mails, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways.enums import REFERRAL_TRANSITIONS, ReferralStatus, SharedItem
from maillage.pathways.models import Notification, Referral, ReferralEvent
from maillage.pathways.services.consent import consent_withdraw
from maillage.pathways.services.notifications import unread_count
from maillage.pathways.services.referrals import referral_send, referral_transition
from tests.conftest import verified_login
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import (
    HouseholdFactory,
    PersonFactory,
    ReferralFactory,
    ResidenceDocumentFactory,
    consent_sharing,
)

pytestmark = pytest.mark.django_db

SECRET_NAMES = ("Florica", "Dumitru")


@pytest.fixture
def household():
    household = HouseholdFactory(name="Famille Dumitru")
    person = PersonFactory(household=household, first_name="Florica", last_name="Dumitru")
    ResidenceDocumentFactory(person=person, reference="RO-998877")
    return household


@pytest.fixture
def sender(household):
    return member(Role.PROFESSIONAL, household.organisation)


@pytest.fixture
def partner():
    return OrganisationFactory(name="Emploi Solidaire")


@pytest.fixture
def service(partner):
    return ServiceFactory(structure=StructureFactory(organisation=partner), name="Chantier d'insertion")


@pytest.fixture
def receiver(partner):
    return member(Role.PROFESSIONAL, partner)


def _send(actor, household, service, shared=(SharedItem.IDENTITY,), message="Besoin d'un emploi."):
    return referral_send(actor=actor, household=household, service=service, shared=list(shared), message=message)


# --- Sending -------------------------------------------------------------------------------


def test_sending_shared_items_without_consent_is_refused(household, sender, service):
    with pytest.raises(ValidationError) as exc:
        _send(sender, household, service)
    assert exc.value.code == "consent_required"
    assert "consent" in exc.value.messages[0]
    assert not Referral.objects.exists()
    # Nothing shared: no consent needed.
    assert _send(sender, household, service, shared=()).status == ReferralStatus.SENT


def test_a_withdrawn_or_other_partner_consent_does_not_count(household, sender, service, partner):
    consent_sharing(household, partner, withdrawn_on=timezone.localdate())
    consent_sharing(household, OrganisationFactory())
    with pytest.raises(ValidationError):
        _send(sender, household, service)


@pytest.mark.parametrize("closed", ["service", "structure", "organisation", "no_organisation"])
def test_sending_to_a_closed_service_is_refused(household, sender, service, partner, closed):
    consent_sharing(household, partner)
    if closed == "service":
        service.is_active = False
        service.save()
    elif closed == "structure":
        service.structure.is_active = False
        service.structure.save()
    elif closed == "organisation":
        partner.is_active = False
        partner.save()
    else:
        service.structure.organisation = None
        service.structure.save()
    with pytest.raises(ValidationError) as exc:
        _send(sender, household, service)
    assert "service" in exc.value.message_dict
    assert not Referral.objects.exists()


def test_sending_to_a_service_of_the_own_organisation_is_refused(household, sender):
    own = ServiceFactory(structure=StructureFactory(organisation=household.organisation))
    with pytest.raises(ValidationError):
        _send(sender, household, own, shared=())


def test_sending_records_event_audit_and_notifies_without_personal_data(
    household, sender, service, partner, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    manager = member(Role.MANAGER, partner)
    volunteer = member(Role.VOLUNTEER, partner)
    consent_sharing(household, partner)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _send(sender, household, service, shared=(SharedItem.IDENTITY, SharedItem.NEEDS))
    assert referral.to_organisation == partner and referral.from_organisation == household.organisation
    assert referral.shared == ["identity", "needs"] and referral.sent_by == sender
    assert list(referral.events.values_list("status", flat=True)) == ["sent"]
    entry = AuditEntry.objects.get(object_type="pathways.referral", object_id=str(referral.pk))
    assert entry.action == "create" and not any(name in str(entry.changes) for name in SECRET_NAMES)
    assert set(Notification.objects.values_list("user", flat=True)) == {receiver.pk, manager.pk}
    assert not Notification.objects.filter(user=volunteer).exists()
    assert all(n.url == reverse("pathways:referral_detail", args=[referral.pk]) for n in Notification.objects.all())
    assert sorted(m.to[0] for m in mailoutbox) == sorted([receiver.email, manager.email])
    for mail in mailoutbox:
        assert reverse("pathways:referral_detail", args=[referral.pk]) in mail.body
        text = mail.subject + mail.body
        assert not any(name in text for name in SECRET_NAMES)
        assert "Besoin" not in text  # nor the message
    for notification in Notification.objects.all():
        assert not any(name in notification.text for name in SECRET_NAMES)
    assert unread_count(receiver) == 1


# --- Pages of the sender -------------------------------------------------------------------


def test_the_send_form_explains_to_collect_consent_first(client, household, sender, service):
    client.force_login(sender)
    url = reverse("pathways:household_referrals", args=[household.pk])
    response = client.get(url, {"q": "insertion"})
    assert response.status_code == 200
    assert list(response.context["form"].fields["service"].queryset) == [service]
    assert client.get(url, {"q": "zzz-nothing"}).context["form"].fields["service"].queryset.count() == 0
    response = client.post(url, {"service": service.pk, "shared": ["identity"], "message": "Bonjour"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Emploi Solidaire" in page
    assert reverse("pathways:consents", args=[household.pk]) in page
    assert not Referral.objects.exists()


def test_the_send_form_refuses_a_closed_service(client, household, sender, service, partner):
    consent_sharing(household, partner)
    service.is_active = False
    service.save()
    client.force_login(sender)
    url = reverse("pathways:household_referrals", args=[household.pk])
    assert service not in list(client.get(url).context["form"].fields["service"].queryset)
    response = client.post(url, {"service": service.pk, "shared": ["identity"]})
    assert response.status_code == 400
    assert response.context["form"].errors["service"]
    assert not Referral.objects.exists()


def test_the_send_form_creates_the_referral(client, household, sender, service, partner):
    consent_sharing(household, partner)
    client.force_login(sender)
    url = reverse("pathways:household_referrals", args=[household.pk])
    response = client.post(url, {"service": service.pk, "shared": ["identity", "plan"], "message": "Bonjour"})
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "pathways:referral_detail", args=[referral.pk]
    )
    assert referral.shared == ["identity", "plan"]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_members_who_do_not_edit_cannot_send(client, household, service, role):
    user = member(role, household.organisation)
    client.force_login(user)
    url = reverse("pathways:household_referrals", args=[household.pk])
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"] is None
    assert client.post(url, {"service": service.pk}).status_code == 404


def test_the_household_referrals_list_shows_history_and_delays(
    client, household, sender, service, partner, receiver, django_assert_num_queries
):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    Referral.objects.filter(pk=referral.pk).update(sent_at=timezone.now() - timedelta(days=3, hours=2))
    referral.refresh_from_db()
    referral_transition(actor=receiver, referral=referral, status="accepted", note="", expected_version=1)
    client.force_login(sender)
    url = reverse("pathways:household_referrals", args=[household.pk])
    # session, user, memberships, household, referrals (delays annotated), their events with
    # authors, audit read, the form's services, and the session saved (savepoint, update, release)
    queries = 11
    with django_assert_num_queries(queries):
        response = client.get(url)
    shown = response.context["referrals"][0]
    assert shown.time_to_answer >= timedelta(days=3, hours=2)
    assert shown.answer_delay.startswith("3")
    assert [e.status for e in shown.events.all()] == ["sent", "accepted"]
    for _index in range(5):
        other = ServiceFactory(structure=StructureFactory(organisation=OrganisationFactory()))
        consent_sharing(household, other.structure.organisation)
        _send(sender, household, other)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert len(response.context["referrals"]) == 6


# --- The receiver --------------------------------------------------------------------------


def test_the_receiver_sees_only_the_shared_items(client, household, sender, service, partner, receiver):
    consent_sharing(household, partner)
    ResidenceDocumentFactory(
        person=household.members.get(first_name="Florica"),
        kind="asylum_certificate",
        reference="AS-424242-ZQ",
    )
    referral = _send(sender, household, service, shared=(SharedItem.IDENTITY,))
    client.force_login(receiver)
    response = client.get(reverse("pathways:referral_detail", args=[referral.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Florica" in page and "Besoin d&#x27;un emploi." in page
    assert "RO-998877" not in page and "Identity card" not in page and "Carte" not in page
    assert response.context["items"] == ["identity"]
    # The documents are not shared: neither their number nor their kind is on the page.
    assert "AS-424242-ZQ" not in page
    assert "Asylum application" not in page and "Attestation de demande" not in page
    assert AuditEntry.objects.filter(action="read", object_id=str(household.pk), actor=receiver).exists()


def test_a_referral_of_another_organisation_answers_404(client, household, sender, service, partner):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    for user in (
        member(Role.MANAGER, OrganisationFactory()),
        member(Role.VOLUNTEER, partner),
        member(Role.ADMIN, OrganisationFactory()),
    ):
        verified_login(client, user)
        assert client.get(reverse("pathways:referral_detail", args=[referral.pk])).status_code == 404
        assert client.post(reverse("pathways:referral_transition", args=[referral.pk]), {}).status_code == 404
    assert client.get(reverse("pathways:referral_detail", args=[999_999])).status_code == 404


def test_the_receiver_answers_through_the_page_and_the_sender_is_notified(
    client, household, sender, service, partner, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    client.force_login(receiver)
    url = reverse("pathways:referral_transition", args=[referral.pk])
    response = client.post(url, {"status": "refused", "note": "", "version": 1})
    assert response.status_code == 400 and response.context["form"].errors["note"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"status": "refused", "note": "Plus de place.", "version": 1})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "refused" and referral.refusal_reason == "Plus de place."
    assert referral.answered_at and referral.closed_at
    assert Notification.objects.filter(user=sender, url__contains=str(referral.pk)).exists()
    assert [m.to for m in mailoutbox] == [[sender.email]]
    assert "Plus de place" not in mailoutbox[0].body


# --- State machine -------------------------------------------------------------------------

INVALID = [
    (old, new) for old in ReferralStatus.values for new in ReferralStatus.values if new not in REFERRAL_TRANSITIONS[old]
]
VALID = [(old, new) for old in ReferralStatus.values for new in REFERRAL_TRANSITIONS[old]]


@pytest.mark.parametrize(("old", "new"), INVALID)
def test_every_invalid_transition_is_refused(household, partner, service, old, new):
    receiver = member(Role.MANAGER, partner)
    referral = ReferralFactory(household=household, to_organisation=partner, service=service, status=old)
    with pytest.raises(ValidationError) as exc:
        referral_transition(actor=receiver, referral=referral, status=new, note="x", expected_version=1)
    assert "status" in exc.value.message_dict
    referral.refresh_from_db()
    assert referral.status == old and referral.version == 1
    assert not referral.events.exists()


@pytest.mark.parametrize(("old", "new"), VALID)
def test_every_valid_transition_is_recorded_with_an_event(household, partner, service, old, new):
    receiver = member(Role.MANAGER, partner)
    sent_at = timezone.now() - timedelta(days=2)
    referral = ReferralFactory(
        household=household, to_organisation=partner, service=service, status=old, sent_at=sent_at
    )
    referral_transition(actor=receiver, referral=referral, status=new, note="Motif", expected_version=1)
    referral.refresh_from_db()
    assert referral.status == new and referral.version == 2
    event = referral.events.get()
    assert (event.status, event.by, event.note) == (new, receiver, "Motif")
    if new in ("accepted", "refused"):
        assert referral.answered_at - referral.sent_at >= timedelta(days=2)
    if new in ("done", "refused", "abandoned"):
        assert referral.closed_at - referral.sent_at >= timedelta(days=2)
    else:
        assert referral.closed_at is None
    assert AuditEntry.objects.filter(object_type="pathways.referral", changes__status=[old, new]).exists()


def test_a_full_path_records_every_event_and_the_delays(household, sender, service, partner, receiver):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    version = referral.version
    for status in ("accepted", "in_progress", "done"):
        referral = referral_transition(
            actor=receiver, referral=referral, status=status, note="", expected_version=version
        )
        version = referral.version
    assert list(referral.events.values_list("status", flat=True)) == ["sent", "accepted", "in_progress", "done"]
    assert referral.answered_at is not None and referral.closed_at >= referral.answered_at


def test_the_sender_may_only_abandon(household, sender, service, partner):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    with pytest.raises(ValidationError):
        referral_transition(actor=sender, referral=referral, status="accepted", note="", expected_version=1)
    referral_transition(actor=sender, referral=referral, status="abandoned", note="Parti", expected_version=1)
    referral.refresh_from_db()
    assert referral.status == "abandoned" and referral.answered_at is None


def test_a_stale_version_is_a_conflict_and_nothing_is_written(household, sender, service, partner, receiver):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    other = member(Role.MANAGER, partner)
    referral_transition(actor=other, referral=referral, status="accepted", note="", expected_version=1)
    with pytest.raises(ValidationError) as exc:
        referral_transition(actor=receiver, referral=referral, status="in_progress", note="", expected_version=1)
    assert "changed" in exc.value.messages[0]
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.events.count() == 2


# --- Consent withdrawn mid-referral --------------------------------------------------------


def test_withdrawing_consent_stops_sharing_and_tells_the_receiver(
    client, household, sender, service, partner, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    consent = consent_sharing(household, partner)
    referral = _send(sender, household, service)
    referral_transition(actor=receiver, referral=referral, status="accepted", note="", expected_version=1)
    client.force_login(receiver)
    assert client.get(reverse("pathways:household_detail", args=[household.pk])).status_code == 200
    Notification.objects.all().delete()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(actor=sender, consent=consent)

    assert client.get(reverse("pathways:household_detail", args=[household.pk])).status_code == 404
    response = client.get(reverse("pathways:referral_detail", args=[referral.pk]))
    assert response.status_code == 200 and not response.context["sharing"]
    assert "Florica" not in response.content.decode()
    note = ReferralEvent.objects.filter(referral=referral).last()
    assert note.status == "accepted" and "consent" in note.note
    assert Notification.objects.filter(user=receiver, url__endswith=f"/referrals/{referral.pk}/").exists()
    assert [m.to for m in mailoutbox] == [[receiver.email]]
    assert not any(name in mailoutbox[0].body for name in SECRET_NAMES)
    referral.refresh_from_db()
    assert referral.status == "accepted"  # the referral goes on; only the sharing stopped


def test_withdrawing_another_consent_tells_nobody(household, sender, service, partner):
    consent_sharing(household, partner)
    _send(sender, household, service)
    Notification.objects.all().delete()
    other = consent_sharing(household, OrganisationFactory())
    consent_withdraw(actor=sender, consent=other)
    assert not Notification.objects.exists()


# --- Inbox and notifications ---------------------------------------------------------------


def test_the_inbox_lists_received_and_sent_with_a_status_filter(
    client, household, sender, service, partner, receiver, django_assert_num_queries
):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    client.force_login(receiver)
    url = reverse("pathways:referral_inbox")
    # session, user, memberships, received, sent, and the session saved (savepoint, update, release)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert list(response.context["received"]) == [referral] and response.context["sent"] == []
    assert "Florica" not in response.content.decode() and "Dumitru" not in response.content.decode()
    for _index in range(6):
        other = HouseholdFactory(organisation=household.organisation)
        PersonFactory(household=other)
        _send(sender, other, service, shared=())
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["received"]) == 7
    assert client.get(url, {"status": "done"}).context["received"] == []
    client.force_login(sender)
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(response.context["sent"]) == 7 and response.context["received"] == []
    assert "Famille Dumitru" in response.content.decode()


def test_the_notifications_page_lists_and_marks_read(client, household, sender, service, partner, receiver):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    referral_transition(actor=receiver, referral=referral, status="accepted", note="", expected_version=1)
    referral_transition(actor=receiver, referral=referral, status="in_progress", note="", expected_version=2)
    client.force_login(sender)
    url = reverse("pathways:notifications")
    response = client.get(url)
    assert response.context["unread"] == 2 == unread_count(sender)
    texts = [n.text for n in response.context["page"]]
    assert "In progress" in texts[0] or "cours" in texts[0]  # newest first
    first = response.context["page"][0]
    assert client.post(url, {"notification": [first.pk]}).status_code == 302
    assert unread_count(sender) == 1
    client.post(url, {"all": "1"})
    assert unread_count(sender) == 0
    # Nobody marks another's notifications.
    mine = Notification.objects.create(user=receiver, text="x")
    client.post(url, {"notification": [mine.pk]})
    mine.refresh_from_db()
    assert mine.read_at is None


def test_after_a_transfer_the_sender_no_longer_sees_the_household_name(client, household, sender, service, partner):
    consent_sharing(household, partner)
    referral = _send(sender, household, service)
    client.force_login(sender)
    url = reverse("pathways:referral_detail", args=[referral.pk])
    assert "Famille Dumitru" in client.get(url).content.decode()
    reads = AuditEntry.objects.filter(action="read", object_id=str(household.pk), actor=sender)
    assert reads.count() == 1
    HouseholdFactory._meta.model.objects.filter(pk=household.pk).update(organisation=OrganisationFactory())
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and response.context["show_household"] is False
    assert "Famille Dumitru" not in page and f"Household #{household.pk}" in page
    assert not any(name in page for name in SECRET_NAMES)
    assert reads.count() == 1  # the case is not seen any more: no read recorded
