"""Pages of Pathways: appointments and visits, the calendar (and its ICS export), the weekly rhythm.

Appointments are seen by the members of their organisation only (a receiving organisation of
a referral does not see the sender's agenda). The calendar and the rhythm list the appointments
and households of the user's own organisations, in a fixed number of queries.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Greatest, TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors
from maillage.organisations.models import Organisation
from maillage.organisations.permissions import access_for

from .. import ics
from ..enums import AppointmentKind, AppointmentStatus, HouseholdStatus
from ..forms.appointments import AppointmentForm, AppointmentStatusForm, CalendarForm, RhythmForm
from ..forms.sites import living_sites_for
from ..models import Appointment, Household, JournalEntry
from ..permissions import household_get_for
from ..services import appointments as services

OTHER_HOUSEHOLDS_LIMIT = 100
RHYTHM_PAGE_SIZE = 50
ICS_MAX_WEEKS = 12


def _households_prefetch() -> Prefetch:
    return Prefetch("households", queryset=Household.objects.only("pk", "name", "organisation_id").order_by("pk"))


def _staff_prefetch() -> Prefetch:
    user_model = get_user_model()
    return Prefetch(
        "staff", queryset=user_model.objects.only("pk", "first_name", "last_name", "email").order_by("last_name", "pk")
    )


def _members(organisation_ids: list[int]) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__organisation_id__in=organisation_ids, memberships__is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


# --- A household's appointments ----------------------------------------------------------


def _other_households(household: Household) -> QuerySet[Household]:
    """Households that may join a visit or workshop: same living site, or same referent."""
    near = Q(pk__in=[])
    if household.living_site_id:
        near |= Q(living_site_id=household.living_site_id)
    if household.living_site_ref:
        near |= Q(living_site_ref=household.living_site_ref)
    if household.referent_id:
        near |= Q(referent_id=household.referent_id)
    return (
        Household.objects.filter(organisation_id=household.organisation_id, status=HouseholdStatus.OPEN)
        .filter(near)
        .exclude(pk=household.pk)
        .only("pk", "name", "living_site_ref")
        .order_by("living_site_ref", "name", "pk")[:OTHER_HOUSEHOLDS_LIMIT]
    )


def household_appointments(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk)
    if not case.owner:
        raise Http404
    form = None
    if case.can_edit:
        others = _other_households(household)
        staff = _members([household.organisation_id])
        form = AppointmentForm(
            request.POST or None,
            staff=staff,
            other_households=Household.objects.filter(pk__in=Subquery(others.values("pk")))
            .select_related("living_site")
            .order_by("living_site__name", "living_site_ref", "name", "pk"),
            living_sites=living_sites_for(request.user),
            initial={
                "staff": [request.user.pk],
                "living_site": household.living_site_id,
                "living_site_ref": household.living_site_ref,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.appointment_create(
                    actor=request.user,
                    organisation=household.organisation,
                    kind=data["kind"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    households=[household, *data["other_households"]],
                    staff=list(data["staff"]),
                    title=data["title"],
                    location=data["location"],
                    living_site=data["living_site"],
                    living_site_ref=data["living_site_ref"],
                    notes=data["notes"],
                )
            except ValidationError as error:
                add_service_errors(form, error, {"households": "other_households"})
            else:
                messages.success(request, _("The appointment was added."))
                return redirect("pathways:household_appointments", household.pk)
    elif request.method == "POST":
        raise Http404
    audit_read(actor=request.user, obj=household, reason="appointments")
    appointments = list(
        household.appointments.filter(organisation_id=household.organisation_id)
        .select_related("living_site__commune")
        .prefetch_related(_households_prefetch(), _staff_prefetch())
        .order_by("-starts_at", "-pk")
    )
    now = timezone.now()
    return render(
        request,
        "pathways/appointments/household.html",
        {
            "household": household,
            "case": case,
            "active": "appointments",
            "form": form,
            "upcoming": [a for a in appointments if a.status == AppointmentStatus.PLANNED],
            "past": [a for a in appointments if a.status != AppointmentStatus.PLANNED],
            "status_form": AppointmentStatusForm() if case.can_edit else None,
            "now": now,
            "my_orgs": list(access_for(request.user).roles_by_org),
        },
    )


@require_POST
def appointment_status(request: HttpRequest, pk: int, appointment_pk: int) -> HttpResponse:
    household, _case = household_get_for(request.user, pk, edit=True)
    appointment = get_object_or_404(
        Appointment, pk=appointment_pk, households=household, organisation_id=household.organisation_id
    )
    form = AppointmentStatusForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_update_status(
                actor=request.user,
                appointment=appointment,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The appointment was updated."))
    else:
        messages.error(request, _("Choose what happened."))
    return redirect("pathways:household_appointments", household.pk)


# --- Calendar ----------------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _calendar_scope(request: HttpRequest, *, weeks: int = 1) -> dict[str, Any]:
    """The form, whose calendar, the week and its appointments (shared by the page and the ICS)."""
    user: Any = request.user
    orgs = list(access_for(user).roles_by_org)
    teams = list(Organisation.objects.filter(pk__in=orgs).order_by("name").values_list("pk", "name"))
    form = CalendarForm(request.GET or None, colleagues=_members(orgs).exclude(pk=user.pk), teams=teams)
    target, team, monday = user, None, _monday(timezone.localdate())
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        team = data.get("team")
        target = data.get("user") or user
        if data.get("week"):
            monday = _monday(data["week"])
    start = timezone.make_aware(datetime.combine(monday, time.min))
    end = timezone.make_aware(datetime.combine(monday + timedelta(days=7 * weeks), time.min))
    events = Appointment.objects.filter(organisation_id__in=orgs, starts_at__gte=start, starts_at__lt=end)
    if team:
        events = events.filter(organisation_id=team)
    else:
        events = events.filter(staff=target)
    events = (
        events.select_related("living_site__commune")
        .prefetch_related(_households_prefetch(), _staff_prefetch())
        .order_by("starts_at", "pk")
    )
    team_name = dict(teams).get(team) if team else None
    return {
        "form": form,
        "target": target,
        "team": team,
        "team_name": team_name,
        "monday": monday,
        "events": events,
        "my_orgs": orgs,
    }


def _week_query(scope: dict[str, Any], monday: date) -> str:
    params: dict[str, Any] = {"week": monday.isoformat()}
    if scope["team"]:
        params["team"] = scope["team"]
    elif scope["target"] != scope.get("me"):
        params["user"] = scope["target"].pk
    return urlencode(params)


def calendar(request: HttpRequest) -> HttpResponse:
    scope = _calendar_scope(request)
    scope["me"] = request.user
    monday: date = scope["monday"]
    events = list(scope["events"])
    days: list[tuple[date, list[Appointment]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    for event in events:
        index = (timezone.localtime(event.starts_at).date() - monday).days
        if 0 <= index < 7:
            days[index][1].append(event)
    return render(
        request,
        "pathways/appointments/calendar.html",
        {
            **scope,
            "days": days,
            "count": len(events),
            "sunday": monday + timedelta(days=6),
            "today": timezone.localdate(),
            "prev_query": _week_query(scope, monday - timedelta(days=7)),
            "next_query": _week_query(scope, monday + timedelta(days=7)),
            "this_query": _week_query(scope, monday),
        },
    )


def _ics_summary(appointment: Appointment) -> str:
    numbers = ", ".join(f"#{h.pk}" for h in appointment.households.all())
    return _("%(kind)s – household %(numbers)s") % {
        "kind": AppointmentKind(appointment.kind).label,
        "numbers": numbers,
    }


def calendar_ics(request: HttpRequest) -> HttpResponse:
    """The calendar's appointments as an iCalendar file. No personal name goes in it: the
    summary gives the kind and household numbers; the place only for office appointments and
    workshops (a home visit gives the living site, never a private address)."""
    try:
        weeks = min(max(int(request.GET.get("weeks", "1")), 1), ICS_MAX_WEEKS)
    except ValueError:
        weeks = 1
    scope = _calendar_scope(request, weeks=weeks)
    host = request.get_host().split(":")[0] or "maillage"
    events = []
    for appointment in scope["events"]:
        if appointment.kind in (AppointmentKind.OFFICE, AppointmentKind.WORKSHOP):
            location = appointment.location
        elif appointment.kind == AppointmentKind.HOME_VISIT:
            location = (
                f"{appointment.living_site.name}, {appointment.living_site.commune.name}"
                if appointment.living_site
                else appointment.living_site_ref
            )
        else:
            location = ""
        first = next(iter(appointment.households.all()), None)
        url = request.build_absolute_uri(reverse("pathways:household_appointments", args=[first.pk])) if first else ""
        events.append(
            ics.IcsEvent(
                uid=f"appointment-{appointment.pk}@{host}",
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                summary=_ics_summary(appointment),
                location=location,
                description=str(AppointmentStatus(appointment.status).label),
                status="CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED",
                url=url,
            )
        )
    body = ics.calendar(events, prodid="-//Maillage//Pathways//EN", name="Maillage")
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="maillage.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Weekly rhythm -----------------------------------------------------------------------


def rhythm(request: HttpRequest) -> HttpResponse:
    """Followed households of the user's organisations not seen for N days (no appointment
    that took place, no journal entry), the oldest contact first, never seen before them."""
    form = RhythmForm(request.GET or None, initial={"days": 7})
    days, mine = 7, False
    if form.is_bound and form.is_valid():
        days, mine = form.cleaned_data["days"], form.cleaned_data["mine"]
    today = timezone.localdate()
    cutoff = today - timedelta(days=days)
    orgs = list(access_for(request.user).roles_by_org)
    last_visit = Subquery(
        Appointment.objects.filter(households=OuterRef("pk"), status=AppointmentStatus.DONE)
        .annotate(day=TruncDate("starts_at"))
        .order_by("-starts_at")
        .values("day")[:1]
    )
    last_journal = Subquery(
        JournalEntry.objects.filter(household=OuterRef("pk")).order_by("-occurred_on").values("occurred_on")[:1]
    )
    households = (
        Household.objects.filter(organisation_id__in=orgs, status=HouseholdStatus.OPEN)
        .annotate(last_visit=last_visit, last_journal=last_journal)
        .annotate(last_contact=Greatest("last_visit", "last_journal"))
        .filter(Q(last_contact__isnull=True) | Q(last_contact__lte=cutoff))
        .select_related("referent", "living_site")
        .order_by(F("last_contact").asc(nulls_first=True), "name", "pk")
    )
    if mine:
        households = households.filter(referent=request.user)
    page = Paginator(households, RHYTHM_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    for household in rows:
        household.days_since = (today - household.last_contact).days if household.last_contact else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pathways/appointments/rhythm.html",
        {"form": form, "page": page, "rows": rows, "days": days, "query": query.urlencode()},
    )


urlpatterns = [
    path("households/<int:pk>/appointments/", household_appointments, name="household_appointments"),
    path(
        "households/<int:pk>/appointments/<int:appointment_pk>/status/",
        appointment_status,
        name="appointment_status",
    ),
    path("calendar/", calendar, name="calendar"),
    path("calendar.ics", calendar_ics, name="calendar_ics"),
    path("rhythm/", rhythm, name="rhythm"),
]
