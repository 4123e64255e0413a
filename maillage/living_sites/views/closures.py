"""The closure page of a site (``/sites/<pk>/closure/``): its preparation, the households
concerned with their solutions, the shares, and the record of the closure (confirmed in a
second step). Only ``can_manage_closure`` reaches it; everyone else gets 404.

A linked Pathways household's name is shown only when Pathways lets the user see it
(``pathways.selectors.identity_visible_households``); otherwise "Household followed by
<organisation>". The counts are also on the site page, for everyone who sees the site.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.forms import add_service_errors
from maillage.pathways.models import Household
from maillage.pathways.selectors import identity_visible_households

from ..enums import SiteStatus
from ..forms.closures import ClosureHouseholdForm, ClosurePrepareForm, SiteCloseForm
from ..models import Closure, ClosureHousehold, Site
from ..permissions import can_manage_closure, site_get_for
from ..selectors.closures import closure_rows, closure_shares
from ..services import closures as services


def _site(request: HttpRequest, pk: int) -> Site:
    site = site_get_for(request.user, pk)
    if not can_manage_closure(request.user, site):
        raise Http404
    return site


def _linkable(user: Any, site: Site) -> tuple[dict[int, Household], list[tuple[str, str]]]:
    """The households the user may link, and their labels (names only where Pathways allows)."""
    named = identity_visible_households(user).filter(pk=OuterRef("pk"))
    households = list(
        services.linkable_households(user, site)
        .select_related("organisation")
        .annotate(named=Exists(named))
        .order_by("name", "pk")
    )
    choices = []
    for household in households:
        if household.named:  # type: ignore[attr-defined]
            label = f"{household.name} (#{household.pk})"
        else:
            label = _("Household #%(number)s, followed by %(organisation)s") % {
                "number": household.pk,
                "organisation": household.organisation.name,
            }
        choices.append((str(household.pk), label))
    return {h.pk: h for h in households}, choices


def _page(
    request: HttpRequest,
    site: Site,
    *,
    prepare_form: ClosurePrepareForm | None = None,
    add_form: ClosureHouseholdForm | None = None,
    edit_form: ClosureHouseholdForm | None = None,
    close_form: SiteCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    closure = Closure.objects.filter(site=site).first()
    rows = closure_rows(request.user, closure)
    households, choices = _linkable(request.user, site)
    for row in rows:
        if edit_form is not None and edit_form.prefix == f"row{row.pk}":
            row.form = edit_form  # type: ignore[attr-defined]
        else:
            row.form = ClosureHouseholdForm(households=households, choices=choices, row=row)  # type: ignore[attr-defined]
    if prepare_form is None:
        initial = {"planned_on": closure.planned_on, "notes": closure.notes} if closure else {}
        prepare_form = ClosurePrepareForm(initial=initial)
    if close_form is None and site.status == SiteStatus.OPEN:
        close_form = SiteCloseForm()
    return render(
        request,
        "living_sites/closures/closure.html",
        {
            "site": site,
            "closure": closure,
            "rows": rows,
            "shares": closure_shares(closure),
            "prepare_form": prepare_form,
            "add_form": add_form or ClosureHouseholdForm(households=households, choices=choices),
            "close_form": close_form,
            "edit_open": edit_form.prefix if edit_form is not None else "",
        },
        status=status,
    )


def closure(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _site(request, pk))


@require_POST
def closure_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    site = _site(request, pk)
    form = ClosurePrepareForm(request.POST)
    if form.is_valid():
        try:
            services.closure_prepare(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The preparation of the closure was saved."))
            return redirect("living_sites:closure", site.pk)
    return _page(request, site, prepare_form=form, status=400)


@require_POST
def household_add(request: HttpRequest, pk: int) -> HttpResponse:
    site = _site(request, pk)
    households, choices = _linkable(request.user, site)
    form = ClosureHouseholdForm(request.POST, households=households, choices=choices)
    if form.is_valid():
        try:
            services.closure_household_add(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The household was added."))
            return redirect("living_sites:closure", site.pk)
    return _page(request, site, add_form=form, status=400)


def _row(site: Site, row_pk: int) -> ClosureHousehold:
    return get_object_or_404(
        ClosureHousehold.objects.select_related("household__organisation"), pk=row_pk, closure__site=site
    )


@require_POST
def household_edit(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    site = _site(request, pk)
    row = _row(site, row_pk)
    row.linked_organisation = row.household.organisation if row.household else None  # type: ignore[attr-defined]
    households, choices = _linkable(request.user, site)
    form = ClosureHouseholdForm(request.POST, households=households, choices=choices, row=row)
    if form.is_valid():
        try:
            services.closure_household_edit(actor=request.user, row=row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The household was saved."))
            return redirect("living_sites:closure", site.pk)
    return _page(request, site, edit_form=form, status=400)


@require_POST
def household_remove(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    site = _site(request, pk)
    services.closure_household_remove(actor=request.user, row=_row(site, row_pk))
    messages.success(request, _("The household was removed from the closure."))
    return redirect("living_sites:closure", site.pk)


@require_POST
def site_close(request: HttpRequest, pk: int) -> HttpResponse:
    """First POST: check, then ask for confirmation. Second POST (``confirm``): record."""
    site = _site(request, pk)
    if site.status != SiteStatus.OPEN:
        messages.error(request, _("This site is already closed."))
        return redirect("living_sites:closure", site.pk)
    form = SiteCloseForm(request.POST)
    if form.is_valid():
        closed_on, reason = form.cleaned_data["closed_on"], form.cleaned_data["reason"]
        if not form.cleaned_data.get("confirm"):
            errors = services.site_close_errors(site, closed_on, reason)
            if not errors:
                return render(
                    request,
                    "living_sites/closures/confirm.html",
                    {"site": site, "form": SiteCloseForm(initial={**form.cleaned_data, "confirm": True})},
                )
            add_service_errors(form, ValidationError(errors))
        else:
            try:
                services.site_close(actor=request.user, site=site, closed_on=closed_on, reason=reason)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The closure of the site was recorded."))
                return redirect("living_sites:closure", site.pk)
    return _page(request, site, close_form=form, status=400)


urlpatterns = [
    path("<int:pk>/closure/", closure, name="closure"),
    path("<int:pk>/closure/prepare/", closure_prepare, name="closure_prepare"),
    path("<int:pk>/closure/households/", household_add, name="closure_household_add"),
    path("<int:pk>/closure/households/<int:row_pk>/", household_edit, name="closure_household_edit"),
    path("<int:pk>/closure/households/<int:row_pk>/remove/", household_remove, name="closure_household_remove"),
    path("<int:pk>/closure/close/", site_close, name="site_close"),
]
