"""Pages of Pathways: referrals and notifications.

- ``household_referrals``: the referrals of a case (owning organisation), and the form to send one;
- ``referral_inbox``: referrals received by the user's organisations, and those they sent;
- ``referral_detail``: one referral; the receiver sees only the items shared, while the
  referral is active and the person consents (``permissions.case_access``);
- ``notifications``: the user's notifications.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors
from maillage.directory.models import Service
from maillage.organisations.enums import Role
from maillage.organisations.permissions import access_for

from ..enums import REFERRAL_SHARING_STATUSES, ReferralStatus, SharedItem
from ..forms.referrals import ReferralSendForm, ReferralTransitionForm, ServiceFilterForm
from ..models import Action, Goal, JournalEntry, Notification, Referral, ReferralEvent, ResidenceDocument
from ..permissions import case_access, household_get_for
from ..services.notifications import notification_mark_read, unread_count
from ..services.referrals import (
    format_delay,
    referrable_services,
    referral_moves_for,
    referral_send,
    referral_transition,
    with_delays,
)

SERVICE_CHOICES_LIMIT = 100
INBOX_LIMIT = 100
NOTIFICATIONS_PAGE = 50


def _with_delay_labels(referrals: list[Referral]) -> list[Referral]:
    for referral in referrals:
        referral.answer_delay = format_delay(getattr(referral, "time_to_answer", None))  # type: ignore[attr-defined]
        referral.close_delay = format_delay(getattr(referral, "time_to_close", None))  # type: ignore[attr-defined]
        referral.shared_labels = [  # type: ignore[attr-defined]
            SharedItem(item).label for item in referral.shared if item in SharedItem.values
        ]
    return referrals


# --- The referrals of a case ------------------------------------------------------------


def _service_choices(household: Any, query: str) -> QuerySet[Service]:
    services = (
        referrable_services()
        .exclude(structure__organisation_id=household.organisation_id)
        .select_related("structure__organisation")
        .order_by("name", "pk")
    )
    if query:
        services = services.filter(
            Q(name__icontains=query)
            | Q(structure__name__icontains=query)
            | Q(structure__organisation__name__icontains=query)
            | Q(structure__organisation__acronym__iexact=query)
        )
    return services[:SERVICE_CHOICES_LIMIT]


def household_referrals(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=request.method == "POST")
    if not case.owner:  # a receiving organisation sees its referral, not the case's others
        raise Http404
    filter_form = ServiceFilterForm(request.GET or None)
    query = filter_form.cleaned_data["q"].strip() if filter_form.is_valid() else ""
    form = None
    consent_missing = False
    if case.can_edit:
        if request.method == "POST":
            # Any service may be posted: the service refuses the closed ones with a clear message.
            form = ReferralSendForm(request.POST, services=Service.objects.select_related("structure__organisation"))
            if form.is_valid():
                try:
                    referral = referral_send(actor=request.user, household=household, **form.cleaned_data)
                except ValidationError as exc:
                    consent_missing = getattr(exc, "code", None) == "consent_required"
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("The referral has been sent."))
                    return redirect("pathways:referral_detail", referral.pk)
            form.fields["service"].queryset = _service_choices(household, query)  # type: ignore[attr-defined]
        else:
            form = ReferralSendForm(services=_service_choices(household, query))
    events = ReferralEvent.objects.select_related("by")
    referrals = _with_delay_labels(
        list(
            with_delays(Referral.objects.filter(household=household))
            .select_related("to_organisation", "service__structure", "sent_by")
            .prefetch_related(Prefetch("events", queryset=events))
            .order_by("-sent_at", "-pk")
        )
    )
    audit_read(actor=request.user, obj=household, reason="referrals")
    return render(
        request,
        "pathways/referrals/household_referrals.html",
        {
            "household": household,
            "case": case,
            "active": "referrals",
            "referrals": referrals,
            "form": form,
            "filter_form": filter_form,
            "query": query,
            "consent_missing": consent_missing,
        },
        status=400 if form is not None and form.errors else 200,
    )


# --- Inbox ------------------------------------------------------------------------------


def referral_inbox(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    owned = list(access.roles_by_org)
    receiving = [org for org, role in access.roles_by_org.items() if role != Role.VOLUNTEER]
    status = request.GET.get("status", "")
    if status not in ReferralStatus.values:
        status = ""
    received_qs = Referral.objects.filter(to_organisation_id__in=receiving)
    sent_qs = Referral.objects.filter(from_organisation_id__in=owned)
    if status:
        received_qs = received_qs.filter(status=status)
        sent_qs = sent_qs.filter(status=status)
    received = _with_delay_labels(
        list(
            with_delays(received_qs)
            .select_related("from_organisation", "to_organisation", "service")
            .order_by("-sent_at", "-pk")[:INBOX_LIMIT]
        )
    )
    sent = _with_delay_labels(
        list(
            with_delays(sent_qs)
            .select_related("household", "to_organisation", "service")
            .order_by("-sent_at", "-pk")[:INBOX_LIMIT]
        )
    )
    for referral in sent:
        # The name of the household only to its organisation (it may have been transferred since).
        referral.show_household = referral.household.organisation_id in access.roles_by_org  # type: ignore[attr-defined]
    return render(
        request,
        "pathways/referrals/inbox.html",
        {
            "received": received,
            "sent": sent,
            "status": status,
            "statuses": ReferralStatus.choices,
            "limit": INBOX_LIMIT,
        },
    )


# --- One referral -----------------------------------------------------------------------


def _referral_for(user: Any, pk: int) -> tuple[Referral, bool, bool]:
    """The referral, and whether the user is on the receiving and on the sending side; 404 otherwise."""
    referral = (
        with_delays(Referral.objects.all())
        .select_related(
            "household__organisation", "from_organisation", "to_organisation", "service__structure", "sent_by"
        )
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    access = access_for(user)
    receiver = access.role_in(referral.to_organisation_id) not in (None, Role.VOLUNTEER)
    sender = access.role_in(referral.from_organisation_id) is not None
    if not (receiver or sender):
        raise Http404
    return referral, receiver, sender


def _shared_data(referral: Referral, items: list[str], classes: frozenset[str]) -> dict[str, Any]:
    """What the receiver may read, item by item (one query per item shown)."""
    household = referral.household
    data: dict[str, Any] = {}
    if {SharedItem.IDENTITY, SharedItem.CONTACTS, SharedItem.DOCUMENTS} & set(items):
        persons = household.members.current().order_by("pk")
        if SharedItem.DOCUMENTS in items:
            persons = persons.prefetch_related(
                Prefetch("documents", queryset=ResidenceDocument.objects.order_by("expires_on", "pk"))
            )
        data["persons"] = list(persons)
    if SharedItem.NEEDS in items:
        data["needs"] = list(household.needs.select_related("person").order_by("domain", "-assessed_on"))
    if SharedItem.PLAN in items:
        data["goals"] = list(
            Goal.objects.filter(household=household)
            .prefetch_related(Prefetch("actions", queryset=Action.objects.order_by("due_on", "pk")))
            .order_by("status", "due_on", "pk")
        )
    if SharedItem.JOURNAL in items:
        data["journal"] = list(
            JournalEntry.objects.filter(household=household, shared=True, sensitivity__in=list(classes))
            .select_related("organisation")
            .order_by("-occurred_on", "-pk")[:100]
        )
    return data


def _render_detail(
    request: HttpRequest, referral: Referral, receiver: bool, sender: bool, form: ReferralTransitionForm | None = None
) -> HttpResponse:
    household = referral.household
    items: list[str] = []
    shared_data: dict[str, Any] = {}
    sharing = False
    case = None
    if receiver and not sender:
        case = case_access(request.user, household)
        sharing = referral.pk in case.referral_ids
        if sharing:
            items = [item for item in referral.shared if case.sees(item)]
            shared_data = _shared_data(referral, items, case.classes)
    moves = referral_moves_for(request.user, referral)
    if form is None and moves:
        form = ReferralTransitionForm(initial={"version": referral.version}, moves=moves)
    elif form is not None:
        form.fields["status"].choices = [  # type: ignore[attr-defined]
            (v, label) for v, label in ReferralStatus.choices if v in moves
        ]
    events = list(referral.events.select_related("by").order_by("at", "pk"))
    _with_delay_labels([referral])
    # The name of the household only to its organisation (it may have been transferred since).
    show_household = sender and household.organisation_id in access_for(request.user).roles_by_org
    if show_household or sharing:
        audit_read(actor=request.user, obj=household, reason=f"referral #{referral.pk}")
    return render(
        request,
        "pathways/referrals/detail.html",
        {
            "referral": referral,
            "household": household,
            "receiver": receiver,
            "sender": sender,
            "show_household": show_household,
            "sharing": sharing,
            "sharing_status": referral.status in REFERRAL_SHARING_STATUSES,
            "items": items,
            "shared": shared_data,
            "events": events,
            "form": form if moves else None,
        },
        status=400 if form is not None and form.errors else 200,
    )


def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral, receiver, sender = _referral_for(request.user, pk)
    return _render_detail(request, referral, receiver, sender)


@require_POST
def referral_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral, receiver, sender = _referral_for(request.user, pk)
    form = ReferralTransitionForm(request.POST)
    if form.is_valid():
        try:
            referral_transition(
                actor=request.user,
                referral=referral,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The referral has been updated."))
            return redirect("pathways:referral_detail", referral.pk)
    referral, receiver, sender = _referral_for(request.user, pk)
    return _render_detail(request, referral, receiver, sender, form)


# --- Notifications ----------------------------------------------------------------------


def notifications(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method == "POST":
        if "all" in request.POST:
            notification_mark_read(actor=request.user)
        else:
            ids = [int(v) for v in request.POST.getlist("notification") if v.isdigit()]
            notification_mark_read(actor=request.user, notification_ids=ids)
        return redirect(reverse("pathways:notifications") + _page_suffix(request.POST.get("page", "")))
    paginator = Paginator(Notification.objects.filter(user=user).order_by("-created_at", "-pk"), NOTIFICATIONS_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "pathways/notifications/list.html",
        {"page": page, "unread": unread_count(request.user)},
    )


def _page_suffix(page: str) -> str:
    return f"?page={int(page)}" if page.isdigit() and int(page) > 1 else ""


urlpatterns = [
    path("households/<int:pk>/referrals/", household_referrals, name="household_referrals"),
    path("referrals/", referral_inbox, name="referral_inbox"),
    path("referrals/<int:pk>/", referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/status/", referral_transition_view, name="referral_transition"),
    path("notifications/", notifications, name="notifications"),
]
