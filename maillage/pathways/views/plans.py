"""Pages of Pathways: the needs assessment, the plan (goals and actions) and the next steps.

The plan page shows the needs when the user sees ``SharedItem.NEEDS`` and the goals when they
see ``SharedItem.PLAN`` (owners see both; a receiving organisation what was shared); nothing
else answers 404. Only ``case.can_edit`` writes. Goal and action forms carry the version they
were made from: when someone else saved in between, the form comes back with the user's input
kept, the values now saved shown beside it, and a conflict message.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors
from maillage.organisations.enums import Role
from maillage.organisations.permissions import access_for

from ..enums import ActionStatus, AppointmentStatus, Domain, GoalStatus, HouseholdStatus, SharedItem
from ..forms.plans import ActionForm, ColleagueForm, GoalForm, NeedAssessmentForm
from ..models import Action, Appointment, Goal, Household, Need
from ..permissions import household_get_for
from ..services import plans as services

NEXT_STEPS_LIMIT = 300


def _assignees(household: Household) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=household.organisation_id,
            memberships__is_active=True,
            memberships__role__in=services.ACTING_ROLES,
        )
        .order_by("last_name", "first_name", "pk")
    )


def _mark_action(action: Action, today: Any) -> Action:
    action.is_overdue = bool(  # type: ignore[attr-defined]
        action.due_on and action.due_on < today and action.status != ActionStatus.DONE
    )
    return action


# --- The plan page -----------------------------------------------------------------------


def plan(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk)
    sees_needs, sees_plan = case.sees(SharedItem.NEEDS), case.sees(SharedItem.PLAN)
    if not (sees_needs or sees_plan):
        raise Http404
    audit_read(actor=request.user, obj=household, reason="plan")
    today = timezone.localdate()
    history: list[Need] = []
    latest: list[Need] = []
    if sees_needs:
        history = list(
            Need.objects.filter(household=household)
            .select_related("person", "assessed_by")
            .order_by("-assessed_on", "-pk")
        )
        seen: OrderedDict[tuple[str, int | None], Need] = OrderedDict()
        for need in history:
            seen.setdefault((need.domain, need.person_id), need)
        order = {value: index for index, value in enumerate(Domain.values)}
        latest = sorted(seen.values(), key=lambda n: (order.get(n.domain, 99), n.person_id or 0))
    goals: list[Goal] = []
    if sees_plan:
        actions = Action.objects.select_related("assignee").order_by(F("due_on").asc(nulls_last=True), "pk")
        goals = list(
            Goal.objects.filter(household=household)
            .select_related("person")
            .prefetch_related(Prefetch("actions", queryset=actions))
            .order_by(F("due_on").asc(nulls_last=True), "pk")
        )
        for goal in goals:
            items = [_mark_action(a, today) for a in goal.actions.all()]
            goal.done_count, goal.total_count = services.actions_progress(items)  # type: ignore[attr-defined]
            goal.blocked_count = sum(1 for a in items if a.status == ActionStatus.BLOCKED)  # type: ignore[attr-defined]
            goal.overdue_count = sum(1 for a in items if getattr(a, "is_overdue", False))  # type: ignore[attr-defined]
        goals.sort(key=lambda g: g.status != GoalStatus.OPEN)
    return render(
        request,
        "pathways/plans/plan.html",
        {
            "household": household,
            "case": case,
            "active": "plan",
            "sees_needs": sees_needs,
            "sees_plan": sees_plan,
            "show_persons": case.sees(SharedItem.IDENTITY),
            "latest": latest,
            "history": history,
            "goals": goals,
            "today": today,
        },
    )


# --- Writes ------------------------------------------------------------------------------


def needs_assess(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = NeedAssessmentForm(request.POST or None, household=household, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.need_assess(actor=request.user, household=household, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The assessment was recorded."))
            return redirect("pathways:plan", household.pk)
    return render(
        request,
        "pathways/plans/needs_form.html",
        {"household": household, "case": case, "active": "plan", "form": form},
    )


def _conflict_form(form_class: type, request: HttpRequest, current: Any, error: ValidationError, **kwargs: Any) -> Any:
    """The user's input kept, the version moved to the one saved now, and the conflict shown."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = form_class(data, **kwargs)
    form.is_valid()
    add_service_errors(form, error)
    return form


def goal_create(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = GoalForm(request.POST or None, household=household, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_create(actor=request.user, household=household, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The goal was added."))
            return redirect("pathways:plan", household.pk)
    return render(
        request,
        "pathways/plans/goal_form.html",
        {"household": household, "case": case, "active": "plan", "form": form, "goal": None},
    )


def goal_edit(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    goal = get_object_or_404(Goal.objects.select_related("person"), pk=goal_pk, household=household)
    goal.household = household
    initial = {f: getattr(goal, f) for f in services.GOAL_FIELDS} | {"version": goal.version}
    form = GoalForm(request.POST or None, household=household, initial=initial)
    current = None
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data.get("version")
        try:
            services.goal_update(actor=request.user, goal=goal, expected_version=expected, **form.service_kwargs())
        except ValidationError as error:
            current = Goal.objects.select_related("person").get(pk=goal.pk)
            if expected is not None and current.version != expected:
                form = _conflict_form(GoalForm, request, current, error, household=household)
            else:
                current = None
                add_service_errors(form, error)
        else:
            messages.success(request, _("The goal was saved."))
            return redirect("pathways:plan", household.pk)
    return render(
        request,
        "pathways/plans/goal_form.html",
        {"household": household, "case": case, "active": "plan", "form": form, "goal": goal, "current": current},
    )


def action_create(request: HttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    goal = get_object_or_404(Goal, pk=goal_pk, household=household)
    goal.household = household
    form = ActionForm(
        request.POST or None, assignees=_assignees(household), initial={"assignee": request.user.pk}, creating=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_create(actor=request.user, goal=goal, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The action was added."))
            return redirect("pathways:plan", household.pk)
    return render(
        request,
        "pathways/plans/action_form.html",
        {"household": household, "case": case, "active": "plan", "form": form, "goal": goal, "action": None},
    )


def action_edit(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    action = get_object_or_404(Action.objects.select_related("goal"), pk=action_pk, goal__household=household)
    action.goal.household = household
    initial = {f: getattr(action, f) for f in services.ACTION_FIELDS} | {"version": action.version}
    initial["assignee"] = action.assignee_id
    assignees = _assignees(household)
    form = ActionForm(request.POST or None, assignees=assignees, initial=initial)
    current = None
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data.get("version")
        try:
            services.action_update(
                actor=request.user, action=action, expected_version=expected, **form.service_kwargs()
            )
        except ValidationError as error:
            current = Action.objects.select_related("assignee").get(pk=action.pk)
            if expected is not None and current.version != expected:
                form = _conflict_form(ActionForm, request, current, error, assignees=assignees)
            else:
                current = None
                add_service_errors(form, error)
        else:
            messages.success(request, _("The action was saved."))
            return redirect("pathways:plan", household.pk)
    return render(
        request,
        "pathways/plans/action_form.html",
        {
            "household": household,
            "case": case,
            "active": "plan",
            "form": form,
            "goal": action.goal,
            "action": action,
            "current": current,
        },
    )


# --- Next steps --------------------------------------------------------------------------


def next_steps(request: HttpRequest) -> HttpResponse:
    """Open actions due soon or overdue on the referent's households (or assigned to them), and
    their planned appointments of the next 7 days. Managers may look at a colleague's."""
    user: Any = request.user
    access = access_for(user)
    orgs = list(access.roles_by_org)
    managed = [org for org, role in access.roles_by_org.items() if role == Role.MANAGER]
    colleagues = None
    if managed:
        colleagues = (
            get_user_model()
            .objects.filter(is_active=True, memberships__organisation_id__in=managed, memberships__is_active=True)
            .exclude(pk=user.pk)
            .distinct()
            .order_by("last_name", "first_name", "pk")
        )
    form = ColleagueForm(request.GET or None, colleagues=colleagues)
    target, days = user, 14
    if form.is_bound and form.is_valid():
        target = form.cleaned_data.get("user") or user
        days = form.cleaned_data.get("days") or 14
    today = timezone.localdate()
    active_households = {
        "goal__household__organisation_id__in": orgs,
        "goal__household__status": HouseholdStatus.OPEN,
    }
    actions = list(
        Action.objects.filter(**active_households, goal__status=GoalStatus.OPEN, due_on__lte=today + timedelta(days))
        .filter(Q(goal__household__referent=target) | Q(assignee=target))
        .exclude(status=ActionStatus.DONE)
        .select_related("goal", "goal__household", "assignee")
        .order_by("due_on", "goal__household__name", "pk")[:NEXT_STEPS_LIMIT]
    )
    for action in actions:
        _mark_action(action, today)
    start = timezone.make_aware(datetime.combine(today, time.min))
    appointments = list(
        Appointment.objects.filter(
            organisation_id__in=orgs,
            staff=target,
            status=AppointmentStatus.PLANNED,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=7),
        )
        .prefetch_related(
            Prefetch("households", queryset=Household.objects.only("pk", "name", "organisation_id").order_by("pk"))
        )
        .order_by("starts_at", "pk")
    )
    return render(
        request,
        "pathways/plans/next_steps.html",
        {
            "form": form,
            "target": target,
            "is_me": target == user,
            "days": days,
            "actions": actions,
            "truncated": len(actions) >= NEXT_STEPS_LIMIT,
            "appointments": appointments,
            "today": today,
            "my_orgs": orgs,
        },
    )


urlpatterns = [
    path("households/<int:pk>/plan/", plan, name="plan"),
    path("households/<int:pk>/plan/needs/", needs_assess, name="plan_needs"),
    path("households/<int:pk>/plan/goals/new/", goal_create, name="plan_goal_create"),
    path("households/<int:pk>/plan/goals/<int:goal_pk>/", goal_edit, name="plan_goal_edit"),
    path("households/<int:pk>/plan/goals/<int:goal_pk>/actions/new/", action_create, name="plan_action_create"),
    path("households/<int:pk>/plan/actions/<int:action_pk>/", action_edit, name="plan_action_edit"),
    path("next-steps/", next_steps, name="next_steps"),
]
