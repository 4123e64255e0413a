from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from maillage.core.forms import add_service_errors

from . import permissions, selectors, services
from .forms import InvitationAcceptForm, InvitationForm, MembershipForm, OrganisationFilterForm, OrganisationForm
from .models import Membership


def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.organisation_list(
        user=request.user,
        search=filters.get("q", ""),
        kind=filters.get("kind", ""),
        department=filters.get("department", ""),
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/list.html",
        {"form": form, "page": page, "can_create": permissions.can_create_organisation(request.user)},
    )


def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = permissions.organisation_get_for(request.user, pk)
    can_view_members = permissions.can_view_members(request.user, organisation)
    can_manage = permissions.can_manage_members(request.user, organisation)
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "members": selectors.member_list(organisation=organisation) if can_view_members else None,
            "invitations": selectors.invitation_list(organisation=organisation) if can_manage else None,
            "can_change": permissions.can_change_organisation(request.user, organisation),
            "can_manage": can_manage,
        },
    )


def organisation_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_organisation(request.user):
        raise Http404
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error, {"commune": "commune_code"})
        else:
            messages.success(request, _("The organisation has been created."))
            return redirect(organisation)
    return render(request, "organisations/form.html", {"form": form, "organisation": None})


def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = permissions.organisation_get_for(request.user, pk, action="change")
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, organisation=organisation, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error, {"commune": "commune_code"})
        else:
            messages.success(request, _("The organisation has been saved."))
            return redirect(organisation)
    return render(request, "organisations/form.html", {"form": form, "organisation": organisation})


def member_invite(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = permissions.organisation_get_for(request.user, pk, action="manage_members")
    roles = permissions.grantable_roles(request.user, organisation)
    form = InvitationForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_send(actor=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("An invitation has been sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect(organisation)
    return render(request, "organisations/invite.html", {"form": form, "organisation": organisation})


def member_edit(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    organisation = permissions.organisation_get_for(request.user, pk, action="manage_members")
    membership = Membership.objects.select_related("user").filter(organisation=organisation, pk=membership_pk).first()
    roles = permissions.grantable_roles(request.user, organisation)
    if membership is None or membership.role not in roles:
        raise Http404
    form = MembershipForm(
        request.POST or None, roles=roles, initial={"role": membership.role, "is_active": membership.is_active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(actor=request.user, membership=membership, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The membership has been saved."))
            return redirect(organisation)
    return render(
        request,
        "organisations/member_edit.html",
        {"form": form, "organisation": organisation, "membership": membership},
    )


@login_not_required
@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get_pending(token)
    if invitation is None:
        return render(request, "organisations/invitation_invalid.html", status=404)
    user: Any = request.user
    if user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("core:home")
            messages.success(request, _("You have joined %(org)s.") % {"org": invitation.organisation.name})
            return redirect(invitation.organisation)
        return render(request, "organisations/invitation_accept.html", {"invitation": invitation, "form": None})
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account has been created."))
            return redirect("core:home")
    return render(request, "organisations/invitation_accept.html", {"invitation": invitation, "form": form})
