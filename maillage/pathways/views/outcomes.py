"""Pages of Pathways: outcomes (positive exits) and their follow-ups at 3, 6 and 12 months.

The owning organisation's members read them; its managers and professionals
(``case.can_edit``) record outcomes and the results of follow-ups. A receiving organisation
does not see this page (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors

from ..forms.outcomes import FollowUpForm, OutcomeForm
from ..models import FollowUp, Household, Outcome
from ..permissions import CaseAccess, household_get_for
from ..services.outcomes import follow_up_record, outcome_create


def _owner_case(request: HttpRequest, pk: int, *, edit: bool = False) -> tuple[Household, CaseAccess]:
    household, case = household_get_for(request.user, pk, edit=edit)
    if not case.owner:
        raise Http404
    return household, case


def outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = _owner_case(request, pk, edit=request.method == "POST")
    form = None
    if case.can_edit:
        form = OutcomeForm(request.POST or None, household=household)
        if request.method == "POST" and form.is_valid():
            try:
                outcome_create(actor=request.user, household=household, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The outcome has been recorded; follow-ups are scheduled."))
                return redirect("pathways:outcomes", household.pk)
    rows = list(
        Outcome.objects.filter(household=household)
        .select_related("person", "recorded_by")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("months")))
        .order_by("-achieved_on", "-pk")
    )
    audit_read(actor=request.user, obj=household, reason="outcomes")
    return render(
        request,
        "pathways/outcomes/outcomes.html",
        {
            "household": household,
            "case": case,
            "active": "outcomes",
            "outcomes": rows,
            "form": form,
            "today": timezone.localdate(),
        },
        status=400 if form is not None and form.errors else 200,
    )


def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = FollowUp.objects.select_related("outcome__person").get(pk=int(pk))
    except (FollowUp.DoesNotExist, ValueError):
        raise Http404 from None
    household, case = _owner_case(request, item.outcome.household_id, edit=True)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            follow_up_record(actor=request.user, follow_up=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The follow-up has been recorded."))
            return redirect(reverse("pathways:outcomes", args=[household.pk]) + f"#follow-up-{item.pk}")
    audit_read(actor=request.user, obj=household, reason="follow-up")
    return render(
        request,
        "pathways/outcomes/follow_up.html",
        {"household": household, "case": case, "active": "outcomes", "follow_up": item, "form": form},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("households/<int:pk>/outcomes/", outcomes, name="outcomes"),
    path("follow-ups/<int:pk>/", follow_up, name="follow_up_record"),
]
