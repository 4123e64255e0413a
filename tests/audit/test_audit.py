"""The audit journal: written by services, append-only in the database, visible to administrators."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from maillage.audit.models import AuditEntry
from maillage.audit.services import SENSITIVE_MARK, audit_read, audit_record, diff
from maillage.organisations import services
from maillage.organisations.enums import Role
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def test_diff_masks_sensitive_values() -> None:
    changes = diff({"name": "a", "phone": "0601"}, {"name": "b", "phone": "0702"}, sensitive={"phone"})
    assert changes == {"name": ["a", "b"], "phone": SENSITIVE_MARK}
    assert "0702" not in str(changes)
    assert diff({"x": 1}, {"x": 1}) == {}
    assert diff({}, {"acronym": "", "departments": [], "commune": None, "name": "A"}) == {"name": [None, "A"]}


def test_service_write_records_who_what_and_fields() -> None:
    actor = member(Role.ADMIN)
    organisation = OrganisationFactory(name="Avant")
    services.organisation_update(actor=actor, organisation=organisation, name="Après", departments=["59", "93"])
    entry = AuditEntry.objects.filter(object_type="organisations.organisation", action="update").get()
    assert entry.actor == actor
    assert entry.actor_label == actor.email
    assert entry.object_id == str(organisation.pk)
    assert entry.changes == {"name": ["Avant", "Après"], "departments": [["59"], ["59", "93"]]}


def test_no_entry_when_nothing_changed() -> None:
    actor = member(Role.ADMIN)
    organisation = OrganisationFactory(name="Same")
    services.organisation_update(actor=actor, organisation=organisation, name="Same")
    assert not AuditEntry.objects.filter(action="update", object_type="organisations.organisation").exists()


def test_failed_service_leaves_no_entry_and_no_change() -> None:
    actor = member(Role.ADMIN)
    organisation = OrganisationFactory(name="Intact")
    before = AuditEntry.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any validation error
        services.organisation_update(actor=actor, organisation=organisation, name="x", departments=["00"])
    organisation.refresh_from_db()
    assert organisation.name == "Intact"
    assert AuditEntry.objects.count() == before


def test_read_helper_journals_a_read() -> None:
    actor = member(Role.PROFESSIONAL)
    organisation = OrganisationFactory()
    entry = audit_read(actor=actor, obj=organisation, reason="follow-up")
    assert entry.action == "read"
    assert entry.reason == "follow-up"


def test_trigger_refuses_update_and_delete() -> None:
    entry = audit_record(actor=None, action="other", object_type="test.thing", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'raw sql' WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.reason == ""


def test_erasing_a_user_keeps_the_journal() -> None:
    user = member(Role.PROFESSIONAL)
    audit_record(actor=user, action="other", object_type="test.thing")
    user.memberships.all().delete()
    user.delete()
    entry = AuditEntry.objects.get(object_type="test.thing")
    assert entry.actor_label.endswith("@example.org")


def test_login_and_failed_login_are_journalled(client: Any) -> None:
    user = member(Role.PROFESSIONAL)
    client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": user.email, "password": "correct-horse-battery-staple"})
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "login_failed" in actions
    assert "login" in actions
    failed = AuditEntry.objects.get(action="login_failed")
    assert user.email not in str(failed.changes)


def test_journal_page_is_for_administrators_only(client: Any, django_assert_num_queries: Any) -> None:
    coordinator = member(Role.COORDINATOR)
    verified_login(client, coordinator)
    assert client.get(reverse("audit:journal")).status_code == 404
    admin = member(Role.ADMIN)
    verified_login(client, admin)
    for index in range(60):
        audit_record(actor=admin, action="other", object_type="test.thing", object_id=str(index))
    # session, user, access, object types (filter form), count, page, session save (3)
    with django_assert_num_queries(10):
        response = client.get(reverse("audit:journal"), {"object_type": "test.thing", "object_id": "7"})
    assert response.status_code == 200
    assert [e.object_id for e in response.context["page"]] == ["7"]
    response = client.get(reverse("audit:journal"), {"object_type": "test.thing"})
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"]) == 50
