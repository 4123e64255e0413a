"""Pages of the actions on and around sites: the list, an action's page (with its fundings and
indicators), the creation and the edit.

An action is seen by those who see its department (``actions_visible_to``); a hidden or
missing one answers 404. Only ``can_edit_action`` writes (the edit, the fundings and the
indicators); an action is created by the users of ``departments_editable_by``, led by one of
their organisations with an editing role there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.forms import add_service_errors
from maillage.core.http import query_without_page

from ..forms.actions import ActionFilterForm, ActionForm, FundingForm, IndicatorForm
from ..models import ActionFunding, ActionIndicator, SiteAction
from ..permissions import can_edit_action, departments_editable_by, sites_visible_to
from ..selectors.actions import action_detail_data, action_get_for, actions_for_list
from ..services import actions as services

PAGE_SIZE = 25


def _get_action(request: HttpRequest, pk: int, *, edit: bool = False) -> SiteAction:
    try:
        action = action_get_for(request.user, pk)
    except (SiteAction.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if edit and not can_edit_action(request.user, action):
        raise Http404
    return action


def actions(request: HttpRequest) -> HttpResponse:
    form = ActionFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    page = Paginator(actions_for_list(request.user, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "living_sites/actions/list.html",
        {
            "form": form,
            "page": page,
            "year": filters.get("year"),
            "query": query_without_page(request),
            "can_create": bool(departments_editable_by(request.user)),
        },
    )


def action_create(request: HttpRequest) -> HttpResponse:
    departments = departments_editable_by(request.user)
    if not departments:
        raise Http404
    initial: dict[str, Any] = {}
    site_pk = request.GET.get("site")
    if site_pk and site_pk.isdigit():
        site = sites_visible_to(request.user).filter(pk=int(site_pk), department_id__in=departments).first()
        if site is not None:
            initial = {"sites": [site.pk], "department": site.department_id}
    form = ActionForm(request.POST or None, user=request.user, departments=departments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(actor=request.user, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The action was created."))
            return redirect("living_sites:action_detail", action.pk)
    return render(request, "living_sites/actions/form.html", {"form": form, "action": None})


def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = _get_action(request, pk, edit=True)
    initial = {
        "title": action.title,
        "domain": action.domain,
        "description": action.description,
        "sites": list(action.sites.values_list("pk", flat=True)),
        "lead_organisation": action.lead_organisation_id,
        "partners": list(action.partners.values_list("pk", flat=True)),
        "started_on": action.started_on,
        "ended_on": action.ended_on,
        "version": action.version,
    }
    form = ActionForm(request.POST or None, user=request.user, action=action, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_edit(
                actor=request.user, action=action, data=form.service_data(), version=form.cleaned_data.get("version")
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The action was saved."))
            return redirect("living_sites:action_detail", action.pk)
    return render(request, "living_sites/actions/form.html", {"form": form, "action": action})


def _detail(
    request: HttpRequest,
    action: SiteAction,
    *,
    funding_form: FundingForm | None = None,
    indicator_form: IndicatorForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = can_edit_action(request.user, action)
    data = action_detail_data(action)
    if can_edit:
        funding_form = funding_form or FundingForm(action=action)
        if indicator_form is None:
            initial: dict[str, Any] = {}
            chosen = request.GET.get("indicator")
            for indicator in data["indicators"]:
                if chosen and str(indicator.pk) == chosen:
                    initial = {
                        name: getattr(indicator, name)
                        for name in ("year", "label", "code", "unit", "planned", "achieved")
                    }
            indicator_form = IndicatorForm(action=action, initial=initial or None)
    return render(
        request,
        "living_sites/actions/detail.html",
        {
            "action": action,
            "can_edit": can_edit,
            "funding_form": funding_form,
            "indicator_form": indicator_form,
            **data,
        },
        status=status,
    )


def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get_action(request, pk))


@require_POST
def funding_add(request: HttpRequest, pk: int) -> HttpResponse:
    action = _get_action(request, pk, edit=True)
    form = FundingForm(request.POST, action=action)
    if form.is_valid():
        try:
            services.funding_add(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The funding was added."))
            return redirect("living_sites:action_detail", action.pk)
    return _detail(request, action, funding_form=form, status=400)


@require_POST
def funding_remove(request: HttpRequest, pk: int, funding_pk: int) -> HttpResponse:
    action = _get_action(request, pk, edit=True)
    funding = get_object_or_404(ActionFunding, pk=funding_pk, action=action)
    funding.action = action
    services.funding_remove(actor=request.user, funding=funding)
    messages.success(request, _("The funding was removed."))
    return redirect("living_sites:action_detail", action.pk)


@require_POST
def indicator_set(request: HttpRequest, pk: int) -> HttpResponse:
    action = _get_action(request, pk, edit=True)
    form = IndicatorForm(request.POST, action=action)
    if form.is_valid():
        try:
            services.indicator_set(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect("living_sites:action_detail", action.pk)
    return _detail(request, action, indicator_form=form, status=400)


@require_POST
def indicator_remove(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    action = _get_action(request, pk, edit=True)
    indicator = get_object_or_404(ActionIndicator, pk=indicator_pk, action=action)
    indicator.action = action
    services.indicator_remove(actor=request.user, indicator=indicator)
    messages.success(request, _("The indicator was removed."))
    return redirect("living_sites:action_detail", action.pk)


urlpatterns = [
    path("actions/", actions, name="actions"),
    path("actions/new/", action_create, name="action_create"),
    path("actions/<int:pk>/", action_detail, name="action_detail"),
    path("actions/<int:pk>/edit/", action_edit, name="action_edit"),
    path("actions/<int:pk>/fundings/", funding_add, name="action_funding_add"),
    path("actions/<int:pk>/fundings/<int:funding_pk>/remove/", funding_remove, name="action_funding_remove"),
    path("actions/<int:pk>/indicators/", indicator_set, name="action_indicator_set"),
    path("actions/<int:pk>/indicators/<int:indicator_pk>/remove/", indicator_remove, name="action_indicator_remove"),
]
