"""Outcomes: follow-ups scheduled at 3, 6 and 12 months (month arithmetic), bad dates refused,
follow-up results, rights by role, the daily reminder (idempotent), the selectors for the
Indicators module (anonymised households still count), query counts."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways import enums, indicators, tasks
from maillage.pathways.models import FollowUp, Household, Notification, Outcome
from maillage.pathways.services.outcomes import add_months, follow_up_record, follow_ups_remind, outcome_create
from maillage.territory.models import Commune
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, OutcomeFactory, PersonFactory, ReferralFactory, consent_sharing

pytestmark = pytest.mark.django_db


@pytest.fixture
def household() -> Household:
    household = HouseholdFactory()
    PersonFactory(household=household)
    return household


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 1, 31), 6, date(2026, 7, 31)),
        (date(2026, 1, 31), 12, date(2027, 1, 31)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 10, 15), 3, date(2026, 1, 15)),
        (date(2025, 12, 1), 12, date(2026, 12, 1)),
    ],
)
def test_add_months_clamps_the_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_an_outcome_schedules_three_follow_ups(client: Any, household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    person = household.members.first()
    verified_login(client, user)
    response = client.post(
        reverse("pathways:outcomes", args=[household.pk]),
        {"kind": "job_permanent", "person": person.pk, "achieved_on": "2026-01-31", "detail": "Maçon"},  # type: ignore[union-attr]
    )
    assert response.status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.person == person and outcome.organisation == household.organisation
    assert outcome.recorded_by == user
    assert list(outcome.follow_ups.order_by("months").values_list("months", "due_on", "status")) == [
        (3, date(2026, 4, 30), "scheduled"),
        (6, date(2026, 7, 31), "scheduled"),
        (12, date(2027, 1, 31), "scheduled"),
    ]
    audit = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="pathways.outcome")
    assert "Maçon" not in str(audit.changes)
    page = client.get(reverse("pathways:outcomes", args=[household.pk]))
    content = page.content.decode()
    assert "Job: permanent contract (CDI)" in content or "CDI" in content
    assert reverse("pathways:follow_up_record", args=[outcome.follow_ups.first().pk]) in content  # type: ignore[union-attr]


def test_a_future_date_is_refused(client: Any, household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        outcome_create(actor=user, household=household, kind="training", achieved_on=tomorrow)
    assert "achieved_on" in error.value.message_dict
    verified_login(client, user)
    response = client.post(
        reverse("pathways:outcomes", args=[household.pk]), {"kind": "training", "achieved_on": tomorrow.isoformat()}
    )
    assert response.status_code == 400
    assert not Outcome.objects.exists() and not FollowUp.objects.exists()


def test_a_person_of_another_household_is_refused(household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    stranger = PersonFactory(household=HouseholdFactory(organisation=household.organisation))
    with pytest.raises(ValidationError):
        outcome_create(
            actor=user, household=household, kind="training", achieved_on=timezone.localdate(), person=stranger
        )


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_volunteers_and_partners_read_outcomes_but_do_not_record_them(
    client: Any, household: Household, role: str
) -> None:
    OutcomeFactory(household=household)
    user = member(role, household.organisation)
    verified_login(client, user)
    page = client.get(reverse("pathways:outcomes", args=[household.pk]))
    assert page.status_code == 200 and page.context["form"] is None
    response = client.post(
        reverse("pathways:outcomes", args=[household.pk]),
        {"kind": "training", "achieved_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        outcome_create(actor=user, household=household, kind="training", achieved_on=timezone.localdate())


def test_other_organisations_get_404_even_through_a_referral(client: Any, household: Household) -> None:
    partner = OrganisationFactory()
    consent_sharing(household, partner)
    ReferralFactory(household=household, to_organisation=partner, shared=list(enums.SharedItem.values))
    verified_login(client, member(Role.PROFESSIONAL, partner))
    assert client.get(reverse("pathways:outcomes", args=[household.pk])).status_code == 404
    verified_login(client, member(Role.MANAGER, OrganisationFactory()))
    assert client.get(reverse("pathways:outcomes", args=[household.pk])).status_code == 404


def make_outcome(household: Household, achieved_on: date | None = None, kind: str = "training") -> Outcome:
    user = member(Role.PROFESSIONAL, household.organisation)
    return outcome_create(
        actor=user,
        household=household,
        kind=kind,
        achieved_on=achieved_on or timezone.localdate() - timedelta(days=200),
    )


def test_a_follow_up_is_recorded(client: Any, household: Household) -> None:
    outcome = make_outcome(household)
    item = outcome.follow_ups.get(months=3)
    verified_login(client, member(Role.PROFESSIONAL, household.organisation))
    url = reverse("pathways:follow_up_record", args=[item.pk])
    assert client.get(url).status_code == 200
    missing = client.post(url, {"status": "done", "situation": "", "done_on": timezone.localdate().isoformat()})
    assert missing.status_code == 400
    response = client.post(
        url, {"status": "done", "situation": "improved", "done_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.situation, item.done_on) == ("done", "improved", timezone.localdate())
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="pathways.followup").exists()


def test_lost_contact_and_bad_dates(household: Household) -> None:
    outcome = make_outcome(household)
    user = member(Role.PROFESSIONAL, household.organisation)
    item = outcome.follow_ups.get(months=6)
    with pytest.raises(ValidationError):
        follow_up_record(actor=user, follow_up=item, status="done", situation="same", done_on=date(2000, 1, 1))
    with pytest.raises(ValidationError):
        follow_up_record(actor=user, follow_up=item, status="lost", done_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError):
        follow_up_record(actor=user, follow_up=item, status="scheduled")
    follow_up_record(actor=user, follow_up=item, status="lost")
    item.refresh_from_db()
    assert (item.status, item.situation) == ("lost", "unknown")


def test_a_follow_up_already_recorded_cannot_be_recorded_again(household: Household) -> None:
    outcome = make_outcome(household)
    user = member(Role.PROFESSIONAL, household.organisation)
    item = outcome.follow_ups.get(months=3)
    follow_up_record(actor=user, follow_up=item, status="done", situation="improved")
    with pytest.raises(ValidationError) as exc:
        follow_up_record(actor=user, follow_up=item, status="lost")
    assert exc.value.messages == ["This follow-up has already been recorded."]
    item.refresh_from_db()
    assert (item.status, item.situation) == ("done", "improved")
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(item.pk)).count() == 1


def test_a_volunteer_cannot_record_a_follow_up(client: Any, household: Household) -> None:
    item = make_outcome(household).follow_ups.first()
    verified_login(client, member(Role.VOLUNTEER, household.organisation))
    assert client.get(reverse("pathways:follow_up_record", args=[item.pk])).status_code == 404  # type: ignore[union-attr]


# --- Reminders ---------------------------------------------------------------------------------


def test_the_reminder_notifies_the_referent_once(household: Household) -> None:
    referent = member(Role.PROFESSIONAL, household.organisation)
    Household.objects.filter(pk=household.pk).update(referent=referent)
    today = timezone.localdate()
    due = make_outcome(household)
    FollowUp.objects.filter(outcome=due, months=3).update(due_on=today)
    done = FollowUp.objects.get(outcome=due, months=6)
    FollowUp.objects.filter(pk=done.pk).update(due_on=today, status="done", situation="same", done_on=today)
    other = HouseholdFactory(organisation=household.organisation)  # no referent: nobody to tell
    FollowUp.objects.filter(outcome=make_outcome(other)).update(due_on=today)
    assert follow_ups_remind(today=today) == 1
    [notification] = Notification.objects.all()
    assert notification.user == referent
    assert reverse("pathways:outcomes", args=[household.pk]) in notification.url
    assert household.name not in notification.text
    assert follow_ups_remind(today=today) == 0  # idempotent
    assert tasks.remind_follow_ups(int(time.time())) == 0  # the daily job, the same day
    assert Notification.objects.count() == 1
    assert follow_ups_remind(today=today + timedelta(days=1)) == 0


def test_the_daily_task_runs_the_reminder(household: Household) -> None:
    referent = member(Role.PROFESSIONAL, household.organisation)
    Household.objects.filter(pk=household.pk).update(referent=referent)
    outcome = make_outcome(household)
    FollowUp.objects.filter(outcome=outcome, months=12).update(due_on=timezone.localdate())
    assert tasks.remind_follow_ups(int(time.time())) == 1
    assert Notification.objects.filter(user=referent).count() == 1


# --- Indicators ----------------------------------------------------------------------------------


def test_outcomes_counts_by_kind_organisation_department_and_month() -> None:
    north = OrganisationFactory(departments=["59"])
    seine = OrganisationFactory(departments=["93", "62"])
    arras = Commune.objects.filter(department_id="62").order_by("code").first()
    h1 = HouseholdFactory(organisation=north)
    h2 = HouseholdFactory(organisation=seine)
    h3 = HouseholdFactory(organisation=seine, commune=arras)
    OutcomeFactory(household=h1, kind="training", achieved_on=date(2025, 3, 2))
    OutcomeFactory(household=h1, kind="training", achieved_on=date(2025, 3, 20))
    OutcomeFactory(household=h1, kind="housing", achieved_on=date(2025, 4, 1))
    OutcomeFactory(household=h2, kind="training", achieved_on=date(2025, 3, 5))
    OutcomeFactory(household=h3, kind="training", achieved_on=date(2025, 3, 6))
    OutcomeFactory(household=h1, kind="training", achieved_on=date(2024, 12, 31))  # before the period
    # An anonymised household: no name, no commune, no person; its outcome still counts.
    gone = HouseholdFactory(organisation=north)
    OutcomeFactory(household=gone, kind="housing", achieved_on=date(2025, 4, 9))
    Household.objects.filter(pk=gone.pk).update(name="", status="anonymised", commune=None)

    rows = indicators.outcomes_counts(start=date(2025, 1, 1), end=date(2025, 12, 31))
    got = {(r["kind"], r["organisation_id"], r["department"], r["month"]): r["count"] for r in rows}
    assert got == {
        ("training", north.pk, "59", date(2025, 3, 1)): 2,
        ("housing", north.pk, "59", date(2025, 4, 1)): 2,
        ("training", seine.pk, "62", date(2025, 3, 1)): 2,  # commune 62; else the organisation's first (62)
    }
    only_north = indicators.outcomes_counts(start=date(2025, 1, 1), end=date(2025, 12, 31), organisation_ids=[north.pk])
    assert sum(r["count"] for r in only_north) == 4
    by_dept = indicators.outcomes_counts(start=date(2025, 1, 1), end=date(2025, 12, 31), departments=["62"])
    assert sum(r["count"] for r in by_dept) == 2


def test_follow_up_retention_at_6_and_12_months(household: Household) -> None:
    user = member(Role.PROFESSIONAL, household.organisation)
    start = date(2024, 1, 10)
    outcomes = [make_outcome(household, achieved_on=start, kind="job_permanent") for _ in range(4)]
    results = [("done", "same"), ("done", "improved"), ("done", "worse"), ("lost", "")]
    for outcome, (status, situation) in zip(outcomes, results, strict=True):
        for months in (6, 12):
            follow_up_record(
                actor=user,
                follow_up=outcome.follow_ups.get(months=months),
                status=status,
                situation=situation,
                done_on=add_months(start, months),
            )
    FollowUp.objects.filter(outcome=outcomes[3], months=12).update(status="scheduled", situation="", done_on=None)
    rows = indicators.follow_up_retention(start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert rows == [
        {"months": 6, "kind": "job_permanent", "followed": 4, "retained": 2, "share": 0.5},
        {"months": 12, "kind": "job_permanent", "followed": 3, "retained": 2, "share": 2 / 3},
    ]
    assert indicators.follow_up_retention(start=date(2025, 1, 1), end=date(2025, 12, 31)) == []


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 12])
def test_outcomes_page_queries_do_not_grow(
    client: Any, django_assert_num_queries: Any, household: Household, rows: int
) -> None:
    person = household.members.first()
    user = member(Role.PROFESSIONAL, household.organisation)
    for i in range(rows):
        outcome_create(
            actor=user,
            household=household,
            kind="training",
            person=person,
            achieved_on=timezone.localdate() - timedelta(days=i * 30),
        )
    verified_login(client, user)
    url = reverse("pathways:outcomes", args=[household.pk])
    client.get(url)
    with django_assert_num_queries(QUERIES_OUTCOMES):
        response = client.get(url)
    assert len(response.context["outcomes"]) == rows


QUERIES_OUTCOMES = (
    12  # session, user, device, household, access, persons (form), outcomes, follow-ups, audit, session save
)


def test_the_daily_anonymisation_job_calls_the_gdpr_service(monkeypatch: Any) -> None:
    from maillage.pathways.services import gdpr

    monkeypatch.setattr(gdpr, "cases_anonymise_inactive", lambda: 7)
    assert tasks.anonymise_inactive_cases(int(time.time())) == 7
