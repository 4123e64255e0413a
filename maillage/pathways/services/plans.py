"""Writes of the needs assessment and the plan (goals and their actions).

Goals and actions carry a ``version``: an update names the version it was made from, and
``bump_version`` refuses it (a clear conflict message, nothing saved) when someone else saved
in between, so no update is silently lost.

Free texts (titles, notes, blockers, "who acts") may hold names: the audit journal keeps only
that they changed, never their value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.organisations.enums import Role
from maillage.organisations.models import Membership

from ..enums import ActionStatus, Domain, GoalStatus, NeedLevel
from ..models import Action, Goal, Household, Need, Person
from .common import bump_version, household_touch

# Members who may be named as "who acts" on an action.
ACTING_ROLES = (Role.MANAGER, Role.PROFESSIONAL, Role.VOLUNTEER)
FREE_TEXT = frozenset({"title", "note", "blocker", "actor_label"})
GOAL_FIELDS = ("domain", "title", "person", "due_on", "status")
ACTION_FIELDS = ("title", "assignee", "actor_label", "due_on", "status", "blocker", "done_on")


def _check_person(household: Household, person: Person | None, field: str = "person") -> None:
    if person is not None and (person.household_id != household.pk or person.merged_into_id is not None):
        raise ValidationError({field: _("This person is not a member of the household.")})


def _check_assignee(household: Household, assignee: Any) -> None:
    if assignee is None:
        return
    ok = (
        Membership.objects.active()
        .filter(user=assignee, organisation_id=household.organisation_id, role__in=ACTING_ROLES)
        .exists()
    )
    if not ok:
        raise ValidationError({"assignee": _("Choose a member of the organisation following the household.")})


# --- Needs -------------------------------------------------------------------------------


@transaction.atomic
def need_assess(
    *,
    actor: Any,
    household: Household,
    levels: Mapping[str, int],
    notes: Mapping[str, str] | None = None,
    person: Person | None = None,
    assessed_on: date | None = None,
) -> list[Need]:
    """Record an assessment: one new row per domain given (earlier rows are kept as history)."""
    notes = notes or {}
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
    _check_person(household, person)
    if not levels:
        raise ValidationError(_("Give a level for at least one domain."))
    needs = []
    for domain, level in levels.items():
        if domain not in Domain.values:
            raise ValidationError({"domain": _("Unknown domain.")})
        if level not in NeedLevel.values:
            raise ValidationError({f"level_{domain}": _("Unknown level.")})
        need = Need(
            household=household,
            person=person,
            domain=domain,
            level=level,
            note=notes.get(domain, "").strip(),
            assessed_on=assessed_on,
            assessed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        need.full_clean()
        needs.append(need)
    Need.objects.bulk_create(needs)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=household,
        changes={
            "needs": sorted(f"{n.domain}={n.level}" for n in needs),
            "person": None if person is None else str(person.pk),
        },
        reason="needs assessment",
    )
    household_touch(household)
    return needs


# --- Goals -------------------------------------------------------------------------------


def _goal_clean(goal: Goal) -> None:
    _check_person(goal.household, goal.person)
    goal.title = (goal.title or "").strip()
    goal.full_clean()


@transaction.atomic
def goal_create(
    *,
    actor: Any,
    household: Household,
    domain: str,
    title: str,
    person: Person | None = None,
    due_on: date | None = None,
    status: str = GoalStatus.OPEN,
) -> Goal:
    goal = Goal(household=household, domain=domain, title=title, person=person, due_on=due_on, status=status)
    _goal_clean(goal)
    goal.save()
    after = model_snapshot(goal, GOAL_FIELDS)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=goal, changes=diff({}, after, sensitive=FREE_TEXT))
    household_touch(household)
    return goal


@transaction.atomic
def goal_update(*, actor: Any, goal: Goal, expected_version: int | None, **fields: Any) -> Goal:
    """Change a goal made from ``expected_version``; a conflict if someone saved in between."""
    before = model_snapshot(goal, GOAL_FIELDS)
    for key, value in fields.items():
        if key not in GOAL_FIELDS:
            raise ValidationError({key: _("This field cannot be changed.")})
        setattr(goal, key, value)
    _goal_clean(goal)
    bump_version(Goal, goal, expected_version)
    goal.save()
    changes = diff(before, model_snapshot(goal, GOAL_FIELDS), sensitive=FREE_TEXT)
    if changes:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=goal, changes=changes)
    household_touch(goal.household)
    return goal


# --- Actions -----------------------------------------------------------------------------


def _action_clean(action: Action) -> None:
    action.title = (action.title or "").strip()
    action.actor_label = (action.actor_label or "").strip()
    action.blocker = (action.blocker or "").strip()
    household = action.goal.household
    _check_assignee(household, action.assignee)
    errors: dict[str, str] = {}
    if action.status == ActionStatus.BLOCKED and not action.blocker:
        errors["blocker"] = _("Say what blocks the action.")
    if action.status == ActionStatus.DONE:
        action.done_on = action.done_on or timezone.localdate()
    else:
        action.done_on = None
    if action.done_on and action.done_on > timezone.localdate():
        errors["done_on"] = _("The date it was done cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    # A past due date is allowed (the action is then shown as overdue).
    action.full_clean()


@transaction.atomic
def action_create(
    *,
    actor: Any,
    goal: Goal,
    title: str,
    assignee: Any = None,
    actor_label: str = "",
    due_on: date | None = None,
    status: str = ActionStatus.TODO,
    blocker: str = "",
    done_on: date | None = None,
) -> Action:
    action = Action(
        goal=goal,
        title=title,
        assignee=assignee,
        actor_label=actor_label,
        due_on=due_on,
        status=status,
        blocker=blocker,
        done_on=done_on,
    )
    _action_clean(action)
    action.save()
    after = model_snapshot(action, ACTION_FIELDS)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=action, changes=diff({}, after, sensitive=FREE_TEXT))
    household_touch(goal.household)
    return action


@transaction.atomic
def action_update(*, actor: Any, action: Action, expected_version: int | None, **fields: Any) -> Action:
    """Change an action made from ``expected_version``; a conflict if someone saved in between."""
    before = model_snapshot(action, ACTION_FIELDS)
    for key, value in fields.items():
        if key not in ACTION_FIELDS:
            raise ValidationError({key: _("This field cannot be changed.")})
        setattr(action, key, value)
    _action_clean(action)
    bump_version(Action, action, expected_version)
    action.save()
    changes = diff(before, model_snapshot(action, ACTION_FIELDS), sensitive=FREE_TEXT)
    if changes:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=action, changes=changes)
    household_touch(action.goal.household)
    return action


def actions_progress(actions: Iterable[Action]) -> tuple[int, int]:
    """(done, total) of a goal's actions."""
    items = list(actions)
    return sum(1 for a in items if a.status == ActionStatus.DONE), len(items)
