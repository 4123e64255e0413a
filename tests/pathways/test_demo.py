"""``manage.py demo_pathways``: demo cases written through the services, idempotent, and the
policy holds on them (the volunteer mediator never reads a health entry)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from maillage.accounts.models import User
from maillage.audit.models import AuditEntry
from maillage.pathways import enums
from maillage.pathways.management.commands.demo_pathways import DEMO_MARKER
from maillage.pathways.models import (
    Appointment,
    Consent,
    FollowUp,
    Goal,
    Household,
    JournalEntry,
    Outcome,
    Person,
    Referral,
)
from maillage.pathways.permissions import case_access, households_visible_to

pytestmark = pytest.mark.django_db

MODELS = (Household, Person, Consent, Goal, Referral, Appointment, JournalEntry, Outcome, FollowUp, AuditEntry)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def demo() -> str:
    call_command("demo_data", password="a-demo-password-1", quiet_logins=True, stdout=StringIO())
    call_command("demo_directory", stdout=StringIO())
    out = StringIO()
    call_command("demo_pathways", stdout=out)
    return out.getvalue()


def test_demo_pathways_is_idempotent_and_complete(demo: str, client: Any) -> None:
    assert "Demo pathways: 8 households" in demo
    assert demo.count("\n") == 1  # one line
    first = counts()
    out = StringIO()
    call_command("demo_pathways", stdout=out)
    assert "already loaded (8 demo households)" in out.getvalue()
    assert counts() == first

    households = Household.objects.filter(notes__startswith=DEMO_MARKER)
    assert households.count() == 8
    assert {h.organisation.acronym for h in households} == {"AREAS"}
    assert Person.objects.filter(household__in=households).exclude(aliases=[]).count() >= 8
    assert households.filter(living_place=enums.LivingPlace.LIVING_SITE).count() >= 4
    # Referrals in different states, visits past and next week, journal classes, an outcome.
    assert set(Referral.objects.values_list("status", flat=True)) == {"accepted", "sent", "abandoned"}
    visits = Appointment.objects.filter(kind=enums.AppointmentKind.HOME_VISIT)
    assert sorted(v.status for v in visits) == ["done", "planned"]
    assert max(v.households.count() for v in visits) == 3
    assert set(JournalEntry.objects.values_list("sensitivity", flat=True)) == {"general", "social", "health"}
    assert JournalEntry.objects.filter(appointment__isnull=False).count() == 2
    outcome = Outcome.objects.get()
    assert outcome.kind == enums.OutcomeKind.JOB_FIXED_TERM
    assert sorted(outcome.follow_ups.values_list("months", "status")) == [
        (3, "done"),
        (6, "scheduled"),
        (12, "scheduled"),
    ]
    statuses = set(Goal.objects.filter(household__in=households).values_list("actions__status", flat=True))
    assert {"blocked", "done", "todo", "in_progress"} <= statuses
    assert Consent.objects.filter(purpose="sharing", partner__acronym="CAF 59").exists()


def test_demo_policy_volunteer_never_reads_health(demo: str, client: Any) -> None:
    volunteer = User.objects.get(email="mediatrice@areas.example")
    dimitrov = Household.objects.get(name="Dimitrov")
    case = case_access(volunteer, dimitrov)
    assert case.owner and not case.can_edit and not case.reads(enums.Sensitivity.HEALTH)
    client.force_login(volunteer)
    page = client.get(reverse("pathways:journal", args=[dimitrov.pk])).content.decode()
    assert "Traduction en bulgare" in page  # general: read
    assert "PASS du CHU" not in page  # health: never
    # The CAF partner sees only the case referred to it (the Dimitrov family), not the others.
    partner = User.objects.get(email="partenaire@caf59.example")
    assert list(households_visible_to(partner).values_list("name", flat=True)) == ["Dimitrov"]
    assert not case_access(partner, dimitrov).reads(enums.Sensitivity.HEALTH)
