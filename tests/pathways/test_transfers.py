"""Transfers of a household to another organisation: consent required, the inbox of the
receiving organisation, acceptance moving the access (and the history), refusal keeping it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways import enums
from maillage.pathways.models import Household, JournalEntry, Notification, Transfer
from maillage.pathways.services.transfers import transfer_answer, transfer_request
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, PersonFactory, consent_sharing

pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> Any:
    return OrganisationFactory(name="AREAS Lille")


@pytest.fixture
def target() -> Any:
    return OrganisationFactory(name="Coallia Seine-Saint-Denis", departments=["93"])


@pytest.fixture
def pro(source: Any) -> Any:
    return member(Role.PROFESSIONAL, source)


@pytest.fixture
def target_manager(target: Any) -> Any:
    return member(Role.MANAGER, target)


@pytest.fixture
def household(source: Any, pro: Any) -> Household:
    household = HouseholdFactory(organisation=source, referent=pro)
    PersonFactory(household=household)
    return household


def _request(client: Any, household: Household, target: Any) -> Any:
    url = reverse("pathways:transfer", args=[household.pk])
    return client.post(url, {"to_organisation": target.pk, "reason": "La famille a déménagé à Saint-Denis."})


def test_a_transfer_without_the_persons_consent_is_refused(
    client: Any, pro: Any, household: Any, target: Any, target_manager: Any
) -> None:
    verified_login(client, pro)
    assert client.get(reverse("pathways:transfer", args=[household.pk])).status_code == 200

    response = _request(client, household, target)

    assert response.status_code == 400
    assert "has not consented to sharing" in response.content.decode()
    assert not Transfer.objects.exists()
    assert not Notification.objects.filter(user=target_manager).exists()


def test_a_withdrawn_consent_does_not_count(pro: Any, household: Any, target: Any) -> None:
    consent_sharing(household, target, withdrawn_on=timezone.localdate())
    with pytest.raises(ValidationError):
        transfer_request(actor=pro, household=household, to_organisation=target)


def test_an_accepted_transfer_moves_the_access(
    client: Any, source: Any, pro: Any, household: Any, target: Any, target_manager: Any
) -> None:
    consent_sharing(household, target)
    verified_login(client, pro)
    response = _request(client, household, target)
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.from_organisation, transfer.to_organisation, transfer.status) == (source, target, "requested")
    assert Notification.objects.filter(user=target_manager, url=reverse("pathways:transfer_inbox")).exists()
    # A second request while the first waits is refused.
    assert _request(client, household, target).status_code == 400

    client.force_login(target_manager)
    assert client.get(reverse("pathways:transfer", args=[household.pk])).status_code == 404  # not theirs yet
    inbox = client.get(reverse("pathways:transfer_inbox"))
    assert list(inbox.context["pending"]) == [transfer]
    assert "Saint-Denis" in inbox.content.decode()
    assert household.name not in inbox.content.decode()  # no name before the household is theirs

    response = client.post(reverse("pathways:transfer_answer", args=[transfer.pk]), {"decision": "accept"})

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.organisation == target and household.referent is None
    transfer.refresh_from_db()
    assert transfer.status == enums.TransferStatus.ACCEPTED and transfer.answered_at is not None
    assert client.get(reverse("pathways:transfer", args=[household.pk])).status_code == 200  # new organisation
    note = JournalEntry.objects.get(household=household)
    assert note.sensitivity == enums.Sensitivity.GENERAL and "AREAS Lille" in note.text
    assert note.organisation == target
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, object_type="pathways.household", object_id=str(household.pk), reason="transfer"
    ).exists()
    assert Notification.objects.filter(user=pro, text__iregex=r"accept").exists()  # the former side is told

    client.force_login(pro)
    assert client.get(reverse("pathways:transfer", args=[household.pk])).status_code == 404  # former organisation
    assert client.get(reverse("pathways:privacy", args=[household.pk])).status_code == 404


def test_a_refused_transfer_keeps_the_household(
    client: Any, source: Any, pro: Any, household: Any, target: Any, target_manager: Any
) -> None:
    consent_sharing(household, target)
    transfer = transfer_request(actor=pro, household=household, to_organisation=target, reason="")
    verified_login(client, target_manager)

    client.post(reverse("pathways:transfer_answer", args=[transfer.pk]), {"decision": "refuse"})

    transfer.refresh_from_db()
    household.refresh_from_db()
    assert transfer.status == enums.TransferStatus.REFUSED
    assert household.organisation == source and household.referent == pro
    assert Notification.objects.filter(user=pro, text__iregex=r"refus").exists()
    client.force_login(pro)
    page = client.get(reverse("pathways:transfer", args=[household.pk]))
    assert page.status_code == 200
    assert page.context["history"] == [transfer]
    # Answered once: a second answer is refused.
    with pytest.raises(ValidationError):
        transfer_answer(actor=target_manager, transfer=transfer, accept=True)


def test_only_the_receiving_staff_answer(client: Any, source: Any, pro: Any, household: Any, target: Any) -> None:
    consent_sharing(household, target)
    transfer = transfer_request(actor=pro, household=household, to_organisation=target)
    url = reverse("pathways:transfer_answer", args=[transfer.pk])
    for user in (pro, member(Role.VOLUNTEER, target), member(Role.PROFESSIONAL, OrganisationFactory())):
        client.force_login(user)
        assert client.post(url, {"decision": "accept"}).status_code == 404
    with pytest.raises(ValidationError):
        transfer_answer(actor=pro, transfer=transfer, accept=True)
    assert Household.objects.get(pk=household.pk).organisation == source


def test_a_consent_withdrawn_before_the_answer_stops_the_transfer(
    pro: Any, household: Any, target: Any, target_manager: Any
) -> None:
    consent = consent_sharing(household, target)
    transfer = transfer_request(actor=pro, household=household, to_organisation=target)
    consent.withdrawn_on = timezone.localdate()
    consent.save()
    with pytest.raises(ValidationError):
        transfer_answer(actor=target_manager, transfer=transfer, accept=True)
    assert Transfer.objects.get().status == enums.TransferStatus.REQUESTED
    transfer_answer(actor=target_manager, transfer=transfer, accept=False)  # refusing still works


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_only_editing_staff_request_a_transfer(client: Any, source: Any, household: Any, role: str) -> None:
    client.force_login(member(role, source))
    assert client.get(reverse("pathways:transfer", args=[household.pk])).status_code == 404


def test_the_inbox_has_a_fixed_number_of_queries(
    client: Any, pro: Any, target: Any, target_manager: Any, django_assert_max_num_queries: Any
) -> None:
    def add_transfer() -> None:
        household = HouseholdFactory(organisation=pro.memberships.get().organisation)
        PersonFactory(household=household)
        consent_sharing(household, target)
        transfer_request(actor=pro, household=household, to_organisation=target)

    add_transfer()
    verified_login(client, target_manager)
    url = reverse("pathways:transfer_inbox")
    client.get(url)
    with django_assert_max_num_queries(100) as one:
        client.get(url)
    for _index in range(8):
        add_transfer()
    done = Transfer.objects.first()
    assert done is not None
    transfer_answer(actor=target_manager, transfer=done, accept=False)
    with django_assert_max_num_queries(len(one.captured_queries)) as many:
        response = client.get(url)
    assert len(response.context["pending"]) == 8 and len(response.context["answered"]) == 1
    assert len(many.captured_queries) == len(one.captured_queries)
