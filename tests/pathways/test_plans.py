"""Needs and plan: assessments with history, goals and actions with optimistic locking, the bad
input refused (blocked without blocker, done in the future), the sharing with a receiving
organisation, and the next steps page (content and fixed query count)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways.models import Action, Goal, Need
from maillage.pathways.services import plans as services
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import (
    AppointmentFactory,
    GoalFactory,
    HouseholdFactory,
    NeedFactory,
    PersonFactory,
    ReferralFactory,
    consent_sharing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def pro(org: Any) -> Any:
    return member(Role.PROFESSIONAL, org)


@pytest.fixture
def household(org: Any, pro: Any) -> Any:
    household = HouseholdFactory(organisation=org, referent=pro)
    PersonFactory(household=household)
    return household


# --- Services ----------------------------------------------------------------------------


def test_need_assess_adds_rows_and_keeps_history(household: Any, pro: Any) -> None:
    services.need_assess(actor=pro, household=household, levels={"language": 3, "housing": 4})
    services.need_assess(actor=pro, household=household, levels={"language": 1}, notes={"language": "A2 reached"})
    assert Need.objects.filter(household=household).count() == 3
    assert Need.objects.filter(household=household, domain="language").count() == 2
    with pytest.raises(ValidationError):
        services.need_assess(
            actor=pro, household=household, levels={"language": 1}, assessed_on=timezone.localdate() + timedelta(1)
        )
    other_person = PersonFactory()
    with pytest.raises(ValidationError):
        services.need_assess(actor=pro, household=household, levels={"language": 1}, person=other_person)
    entry = AuditEntry.objects.filter(object_id=str(household.pk), action=AuditAction.CREATE).last()
    assert "A2 reached" not in str(entry.changes)


def test_goal_and_action_crud_with_version_conflict(household: Any, pro: Any) -> None:
    goal = services.goal_create(actor=pro, household=household, domain="employment", title="Trouver un emploi")
    assert goal.version == 1
    # Two users open the same goal (version 1); the first saves, the second gets a conflict.
    first, second = Goal.objects.get(pk=goal.pk), Goal.objects.get(pk=goal.pk)
    services.goal_update(actor=pro, goal=first, expected_version=1, title="Emploi dans le bâtiment")
    with pytest.raises(ValidationError) as conflict:
        services.goal_update(actor=pro, goal=second, expected_version=1, status="abandoned")
    assert "Someone else changed this" in str(conflict.value)
    goal.refresh_from_db()
    assert goal.title == "Emploi dans le bâtiment" and goal.status == "open" and goal.version == 2

    action = services.action_create(actor=pro, goal=goal, title="Inscription France Travail", assignee=pro)
    one, two = Action.objects.get(pk=action.pk), Action.objects.get(pk=action.pk)
    services.action_update(actor=pro, action=one, expected_version=1, status="in_progress")
    with pytest.raises(ValidationError):
        services.action_update(actor=pro, action=two, expected_version=1, status="done")
    action.refresh_from_db()
    assert action.status == "in_progress" and action.version == 2
    services.action_update(actor=pro, action=action, expected_version=2, status="done")
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()


def test_action_bad_input(household: Any, pro: Any) -> None:
    goal = GoalFactory(household=household)
    with pytest.raises(ValidationError) as error:
        services.action_create(actor=pro, goal=goal, title="Dossier CAF", status="blocked")
    assert "blocker" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.action_create(
            actor=pro, goal=goal, title="Dossier CAF", status="done", done_on=timezone.localdate() + timedelta(2)
        )
    assert "done_on" in error.value.message_dict
    outsider = member(Role.PROFESSIONAL)
    with pytest.raises(ValidationError) as error:
        services.action_create(actor=pro, goal=goal, title="Dossier CAF", assignee=outsider)
    assert "assignee" in error.value.message_dict
    # A due date in the past is allowed (shown overdue); a blocked action with its blocker too.
    past = services.action_create(actor=pro, goal=goal, title="Rdv CPAM", due_on=timezone.localdate() - timedelta(3))
    blocked = services.action_create(
        actor=pro,
        goal=goal,
        title="Dossier CAF",
        status="blocked",
        blocker="Pas de domiciliation",
        actor_label="la personne",
    )
    assert past.pk and blocked.pk
    assert Action.objects.filter(goal=goal).count() == 2


# --- Pages -------------------------------------------------------------------------------


def test_plan_page_shows_latest_needs_progress_and_blockers(client: Any, household: Any, pro: Any) -> None:
    old = NeedFactory(household=household, domain="language", level=4, assessed_on=timezone.localdate() - timedelta(30))
    NeedFactory(household=household, domain="language", level=1)
    goal = GoalFactory(household=household, title="Apprendre le français")
    services.action_create(actor=pro, goal=goal, title="Cours FLE", status="done")
    services.action_create(actor=pro, goal=goal, title="Dossier CAF", status="blocked", blocker="Attente du récépissé")
    services.action_create(actor=pro, goal=goal, title="Appeler l'école", due_on=timezone.localdate() - timedelta(2))
    client.force_login(pro)
    response = client.get(reverse("pathways:plan", args=[household.pk]))
    assert response.status_code == 200
    latest = response.context["latest"]
    assert [n.level for n in latest] == [1] and old in response.context["history"]
    page = response.content.decode()
    assert "Progress: 1 of 3 actions done" in page
    assert "Attente du récépissé" in page and "overdue" in page
    assert reverse("pathways:plan_goal_edit", args=[household.pk, goal.pk]) in page
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(household.pk)).exists()


def test_plan_forms_create_and_conflict(client: Any, household: Any, pro: Any) -> None:
    client.force_login(pro)
    url = reverse("pathways:plan_needs", args=[household.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"assessed_on": timezone.localdate().isoformat(), "level_housing": "4"})
    assert response.status_code == 302
    assert Need.objects.get(household=household).level == 4
    response = client.post(url, {"assessed_on": timezone.localdate().isoformat()})
    assert "Give a level for at least one domain." in response.content.decode()

    response = client.post(
        reverse("pathways:plan_goal_create", args=[household.pk]),
        {"domain": "housing", "title": "Accéder à un logement", "status": "open"},
    )
    assert response.status_code == 302
    goal = Goal.objects.get(household=household)
    url = reverse("pathways:plan_action_create", args=[household.pk, goal.pk])
    response = client.post(url, {"title": "Demande SIAO", "status": "blocked", "blocker": ""})
    assert response.status_code == 200 and "Say what blocks the action." in response.content.decode()
    response = client.post(url, {"title": "Demande SIAO", "status": "todo", "assignee": pro.pk})
    assert response.status_code == 302
    action = Action.objects.get(goal=goal)

    # Someone else saves the action after this user opened it (version 1).
    services.action_update(actor=pro, action=Action.objects.get(pk=action.pk), expected_version=1, status="in_progress")
    edit = reverse("pathways:plan_action_edit", args=[household.pk, action.pk])
    response = client.post(edit, {"title": "Demande SIAO urgente", "status": "todo", "version": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else changed this" in page and "Demande SIAO urgente" in page
    assert response.context["current"].status == "in_progress"
    action.refresh_from_db()
    assert action.title == "Demande SIAO" and action.status == "in_progress"
    # The form now carries the saved version: saving again replaces deliberately.
    assert response.context["form"]["version"].value() == "2"
    response = client.post(edit, {"title": "Demande SIAO urgente", "status": "todo", "version": "2"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.title == "Demande SIAO urgente" and action.version == 3

    goal_edit = reverse("pathways:plan_goal_edit", args=[household.pk, goal.pk])
    services.goal_update(actor=pro, goal=Goal.objects.get(pk=goal.pk), expected_version=1, status="achieved")
    response = client.post(goal_edit, {"domain": "housing", "title": "Logement", "status": "open", "version": "1"})
    assert response.status_code == 200 and "Someone else changed this" in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == "achieved" and goal.title == "Accéder à un logement"


def test_only_editors_write(client: Any, household: Any, org: Any) -> None:
    volunteer = member(Role.VOLUNTEER, org)
    client.force_login(volunteer)
    assert client.get(reverse("pathways:plan", args=[household.pk])).status_code == 200
    assert client.get(reverse("pathways:plan_goal_create", args=[household.pk])).status_code == 404
    assert client.post(reverse("pathways:plan_needs", args=[household.pk]), {}).status_code == 404
    client.force_login(member(Role.PROFESSIONAL))
    assert client.get(reverse("pathways:plan", args=[household.pk])).status_code == 404


def test_receiving_organisation_sees_only_what_is_shared(client: Any, household: Any) -> None:
    NeedFactory(household=household, domain="health", level=3, note="Suivi PMI")
    GoalFactory(household=household, title="Ouvrir les droits AME")
    partner_org = OrganisationFactory()
    partner = member(Role.PROFESSIONAL, partner_org)
    consent_sharing(household, partner_org)
    referral = ReferralFactory(household=household, to_organisation=partner_org, shared=["identity"])
    client.force_login(partner)
    url = reverse("pathways:plan", args=[household.pk])
    assert client.get(url).status_code == 404
    referral.shared = ["identity", "plan"]
    referral.save()
    page = client.get(url).content.decode()
    assert "Ouvrir les droits AME" in page and "Suivi PMI" not in page
    referral.shared = ["needs"]
    referral.save()
    page = client.get(url).content.decode()
    assert "Suivi PMI" in page and "Ouvrir les droits AME" not in page
    assert client.get(reverse("pathways:plan_goal_create", args=[household.pk])).status_code == 404


def test_next_steps_content_and_query_count(client: Any, django_assert_num_queries: Any, org: Any, pro: Any) -> None:
    today = timezone.localdate()

    def add(n: int) -> None:
        for _index in range(n):
            household = HouseholdFactory(organisation=org, referent=pro)
            goal = GoalFactory(household=household)
            services.action_create(actor=pro, goal=goal, title=f"Soon {household.pk}", due_on=today + timedelta(3))
            services.action_create(actor=pro, goal=goal, title=f"Late {household.pk}", due_on=today - timedelta(5))
            services.action_create(actor=pro, goal=goal, title=f"Far {household.pk}", due_on=today + timedelta(60))
            services.action_create(actor=pro, goal=goal, title=f"Done {household.pk}", due_on=today, status="done")
            appointment = AppointmentFactory(organisation=org, starts_at=timezone.now() + timedelta(days=2))
            appointment.staff.add(pro)
            appointment.households.add(household)

    add(1)
    colleague = member(Role.PROFESSIONAL, org)
    other = HouseholdFactory(organisation=org, referent=colleague)
    services.action_create(actor=pro, goal=GoalFactory(household=other), title="Colleague's", due_on=today)
    client.force_login(pro)
    url = reverse("pathways:next_steps")
    client.get(url)  # warm the session
    # session, user, memberships, actions (with goal, household, assignee), appointments, their
    # households, and the session saved (savepoint, update, release: saved on every request)
    with django_assert_num_queries(9):
        response = client.get(url)
    titles = [a.title for a in response.context["actions"]]
    assert titles[0].startswith("Late") and titles[1].startswith("Soon") and len(titles) == 2
    assert "Colleague's" not in titles
    assert len(response.context["appointments"]) == 1
    assert "overdue" in response.content.decode()
    add(5)
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["actions"]) == 12 and len(response.context["appointments"]) == 6

    # A professional cannot look at a colleague's; a manager can.
    response = client.get(url, {"user": colleague.pk})
    assert response.context["target"] == pro
    manager = member(Role.MANAGER, org)
    client.force_login(manager)
    response = client.get(url, {"user": colleague.pk, "days": "14"})
    assert [a.title for a in response.context["actions"]] == ["Colleague's"]


def test_plan_page_query_count_and_edit_pages(
    client: Any, django_assert_num_queries: Any, household: Any, pro: Any
) -> None:
    def add(n: int) -> None:
        for index in range(n):
            NeedFactory(household=household, domain=["language", "housing", "health"][index % 3], assessed_by=pro)
            goal = GoalFactory(household=household, person=household.members.first())
            services.action_create(actor=pro, goal=goal, title="Action", assignee=pro)
            services.action_create(actor=pro, goal=goal, title="Other", actor_label="la personne", status="done")

    add(1)
    client.force_login(pro)
    url = reverse("pathways:plan", args=[household.pk])
    client.get(url)
    # session, user, memberships, household, audit entry, needs, goals, actions, session saved (3)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["goals"]) == 1
    add(6)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["goals"]) == 7 and len(response.context["latest"]) == 3
    goal = response.context["goals"][0]
    action = goal.actions.all()[0]
    for page in (
        reverse("pathways:plan_goal_create", args=[household.pk]),
        reverse("pathways:plan_goal_edit", args=[household.pk, goal.pk]),
        reverse("pathways:plan_action_create", args=[household.pk, goal.pk]),
        reverse("pathways:plan_action_edit", args=[household.pk, action.pk]),
    ):
        assert client.get(page).status_code == 200, page
    other = HouseholdFactory(organisation=household.organisation)
    assert client.get(reverse("pathways:plan_goal_edit", args=[other.pk, goal.pk])).status_code == 404


def test_plan_page_hides_person_names_without_identity_shared(client: Any, household: Any) -> None:
    person = PersonFactory(household=household, first_name="Zenobia", last_name="Quillard")
    NeedFactory(household=household, person=person, domain="health", level=3)
    GoalFactory(household=household, person=person, title="Ouvrir les droits AME")
    partner_org = OrganisationFactory()
    consent_sharing(household, partner_org)
    referral = ReferralFactory(household=household, to_organisation=partner_org, shared=["needs", "plan"])
    client.force_login(member(Role.PROFESSIONAL, partner_org))
    url = reverse("pathways:plan", args=[household.pk])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and response.context["show_persons"] is False
    assert "Ouvrir les droits AME" in page
    assert "Zenobia" not in page and "Quillard" not in page
    referral.shared = ["identity", "needs", "plan"]
    referral.save()
    page = client.get(url).content.decode()
    assert "Zenobia" in page and "Quillard" in page


def test_plan_edits_without_a_version_are_refused(client: Any, household: Any, pro: Any) -> None:
    goal = GoalFactory(household=household, title="Accéder à un logement")
    action = services.action_create(actor=pro, goal=goal, title="Demande SIAO")
    client.force_login(pro)
    goal_edit = reverse("pathways:plan_goal_edit", args=[household.pk, goal.pk])
    response = client.post(goal_edit, {"domain": "housing", "title": "Logement", "status": "open"})
    assert response.status_code == 200 and response.context["form"].errors.get("version")
    response = client.post(goal_edit, {"domain": "housing", "title": "Logement", "status": "open", "version": "0"})
    assert response.context["form"].errors.get("version")
    goal.refresh_from_db()
    assert goal.title == "Accéder à un logement" and goal.version == 1
    action_edit = reverse("pathways:plan_action_edit", args=[household.pk, action.pk])
    response = client.post(action_edit, {"title": "Demande SIAO urgente", "status": "todo"})
    assert response.status_code == 200 and response.context["form"].errors.get("version")
    action.refresh_from_db()
    assert action.title == "Demande SIAO" and action.version == 1
