"""Pages of Pathways: the caseload, households, their members and residence documents, merges.

Every case is fetched with ``permissions.household_get_for`` (404 when forbidden, as when
missing); every page showing a case's personal data journals the read (``audit_read``).
Writes go through ``services/households.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors
from maillage.core.http import query_without_page
from maillage.living_sites.models import Site
from maillage.living_sites.permissions import sites_visible_to
from maillage.organisations.models import Organisation
from maillage.organisations.permissions import access_for

from .. import selectors
from ..enums import Relation, SharedItem
from ..forms.households import (
    CaseloadFilterForm,
    DocumentForm,
    HouseholdCreateForm,
    HouseholdForm,
    HouseholdMergeForm,
    PersonForm,
    PersonMergeForm,
    VersionForm,
)
from ..models import Household, Person, ResidenceDocument
from ..permissions import CaseAccess, household_get_for, organisations_for_new_households
from ..services import households as services

PAGE_SIZE = 25


# --- Helpers -------------------------------------------------------------------------------


def _members(household: Household) -> list[Person]:
    """Current members (merged duplicates left out), reference person first, with their age and alerts."""
    limit = selectors.alert_limit()
    today = timezone.localdate()
    order: dict[str, int] = {Relation.REFERENCE: 0, Relation.PARTNER: 1, Relation.CHILD: 3}
    persons = list(
        household.members.current().prefetch_related(
            Prefetch("documents", queryset=ResidenceDocument.objects.order_by("expires_on", "pk"))
        )
    )
    persons.sort(key=lambda p: (order.get(p.relation, 2), p.pk))
    for person in persons:
        person.age = services.person_age(person, today)  # type: ignore[attr-defined]
        for document in person.documents.all():
            document.expired = bool(document.expires_on and document.expires_on < today)  # type: ignore[attr-defined]
            document.alert = bool(document.expires_on and document.expires_on <= limit)  # type: ignore[attr-defined]
    return persons


def _case_context(household: Household, case: CaseAccess, active: str) -> dict[str, Any]:
    return {"household": household, "case": case, "active": active}


def _conflict_or_errors(form: Any, error: ValidationError) -> None:
    add_service_errors(form, error, {"commune": "commune_code"})


def _person_for(household: Household, person_pk: Any) -> Person:
    try:
        return household.members.current().get(pk=int(person_pk))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _document_for(household: Household, document_pk: Any) -> ResidenceDocument:
    try:
        return ResidenceDocument.objects.select_related("person").get(pk=int(document_pk), person__household=household)
    except (ResidenceDocument.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _living_site(user: Any, household: Household) -> dict[str, Any]:
    """The household's living site, and whether the user sees its page (a site's name is not
    personal: it is shown anyway, without a link)."""
    if household.living_site_id is None:
        return {"living_site": None, "living_site_link": False}
    site = Site.objects.select_related("commune").only("pk", "name", "commune__name").get(pk=household.living_site_id)
    return {"living_site": site, "living_site_link": sites_visible_to(user).filter(pk=site.pk).exists()}


# --- Caseload ------------------------------------------------------------------------------


def caseload(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    organisations = list(
        Organisation.objects.filter(pk__in=list(access.roles_by_org)).order_by("name").values_list("pk", "name")
    )
    form = CaseloadFilterForm(request.GET or None, organisations=organisations)
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # invalid filters are ignored, the others still apply
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    filters = selectors.CaseloadFilters(
        mine=bool(data.get("mine")),
        organisation=data.get("organisation"),
        q=data.get("q") or "",
        status=data.get("status") or "",
    )
    page = Paginator(selectors.caseload(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for household in page:
        household.show_identity = bool(household.is_ours or household.identity_shared)  # type: ignore[attr-defined]
        household.show_place = bool(household.is_ours or household.contacts_shared)  # type: ignore[attr-defined]
    return render(
        request,
        "pathways/households/caseload.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "can_create": bool(organisations_for_new_households(request.user)),
            "alert_days": selectors.alert_limit() - timezone.localdate(),
        },
    )


# --- Create --------------------------------------------------------------------------------


def household_create(request: HttpRequest) -> HttpResponse:
    organisation_ids = organisations_for_new_households(request.user)
    if not organisation_ids:
        raise Http404
    form = HouseholdCreateForm(request.POST or None, organisation_ids=organisation_ids, user=request.user)
    candidates: list[Person] = []
    if request.method == "POST" and form.is_valid():
        person = form.person_data()
        year = person["birth_date"].year if person.get("birth_date") else person.get("birth_year")
        if not form.cleaned_data.get("create_anyway"):
            candidates = list(
                selectors.duplicate_candidates(
                    request.user,
                    first_name=person["first_name"],
                    last_name=person.get("last_name") or "",
                    aliases=person.get("aliases") or [],
                    birth_year=year,
                )
            )
        if not candidates:
            try:
                household = services.household_create(
                    actor=request.user,
                    organisation=form.cleaned_data["organisation"],
                    reference_person=person,
                    **form.household_data(),
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _conflict_or_errors(form, error)
            else:
                messages.success(request, _("The household was created."))
                return redirect("pathways:household_detail", household.pk)
    for person_row in candidates:
        person_row.age = services.person_age(person_row)  # type: ignore[attr-defined]
    return render(
        request,
        "pathways/households/create.html",
        {"form": form, "candidates": candidates, "show_create_anyway": bool(candidates)},
    )


# --- Case page -----------------------------------------------------------------------------


def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk)
    audit_read(actor=request.user, obj=household, reason="case page")
    members = _members(household) if case.sees(SharedItem.IDENTITY) else []
    alerts = [d for p in members for d in p.documents.all() if d.alert] if case.sees(SharedItem.DOCUMENTS) else []  # type: ignore[attr-defined]
    return render(
        request,
        "pathways/households/detail.html",
        {
            **_case_context(household, case, "overview"),
            **(_living_site(request.user, household) if case.sees(SharedItem.CONTACTS) else {}),
            "members": members,
            "alerts": alerts,
            "sees_identity": case.sees(SharedItem.IDENTITY),
            "sees_contacts": case.sees(SharedItem.CONTACTS),
            "sees_documents": case.sees(SharedItem.DOCUMENTS),
            "can_merge": case.can_edit and len(members) > 1,
        },
    )


# --- Edit ----------------------------------------------------------------------------------


def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = HouseholdForm(request.POST or None, household=household, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                actor=request.user,
                household=household,
                expected_version=form.cleaned_data["version"],
                **form.household_data(),
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The household was saved."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="household edit")
    return render(
        request,
        "pathways/households/form.html",
        {**_case_context(household, case, "overview"), "form": form, "title": _("Edit the household")},
    )


def person_create(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = PersonForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_create(
                actor=request.user,
                household=household,
                expected_version=form.cleaned_data["version"],
                **form.person_data(),
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The member was added."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="member add")
    return render(
        request,
        "pathways/households/form.html",
        {**_case_context(household, case, "overview"), "form": form, "title": _("Add a member")},
    )


def person_edit(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    person = _person_for(household, person_pk)
    form = PersonForm(request.POST or None, household=household, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                actor=request.user, person=person, expected_version=form.cleaned_data["version"], **form.person_data()
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The person was saved."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="person edit")
    return render(
        request,
        "pathways/households/form.html",
        {**_case_context(household, case, "overview"), "form": form, "title": _("Edit a person"), "person": person},
    )


def document_create(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    person = _person_for(household, person_pk)
    form = DocumentForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_create(
                actor=request.user,
                person=person,
                expected_version=form.cleaned_data["version"],
                **form.document_data(),
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The document was added."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="document add")
    return render(
        request,
        "pathways/households/form.html",
        {
            **_case_context(household, case, "overview"),
            "form": form,
            "title": _("Add a residence document"),
            "person": person,
        },
    )


def document_edit(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    document = _document_for(household, document_pk)
    form = DocumentForm(request.POST or None, household=household, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(
                actor=request.user,
                document=document,
                expected_version=form.cleaned_data["version"],
                **form.document_data(),
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The document was saved."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="document edit")
    return render(
        request,
        "pathways/households/form.html",
        {
            **_case_context(household, case, "overview"),
            "form": form,
            "title": _("Edit a residence document"),
            "person": document.person,
            "document": document,
        },
    )


def document_delete(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    document = _document_for(household, document_pk)
    form = VersionForm(request.POST or None, initial={"version": household.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.document_delete(
                actor=request.user, document=document, expected_version=form.cleaned_data["version"]
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The document was deleted."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="document delete")
    return render(
        request,
        "pathways/households/document_delete.html",
        {**_case_context(household, case, "overview"), "form": form, "document": document},
    )


# --- Merges --------------------------------------------------------------------------------


def household_merge(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = HouseholdMergeForm(request.POST or None, initial={"version": household.version})
    if request.method == "POST" and form.is_valid():
        try:
            other, _other_case = household_get_for(request.user, form.cleaned_data["other"], edit=True)
        except Http404:
            form.add_error("other", _("No household with this number that you may edit."))
        else:
            try:
                services.household_merge(
                    actor=request.user,
                    kept=household,
                    other=other,
                    expected_version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                _conflict_or_errors(form, error)
            else:
                messages.success(request, _("Household #%(other)s was merged into this one.") % {"other": other.pk})
                return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="household merge")
    return render(
        request,
        "pathways/households/merge.html",
        {**_case_context(household, case, "overview"), "form": form},
    )


def person_merge(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    members = _members(household)
    choices = [
        (p.pk, f"{p.first_name} {p.last_name}".strip() + (f" ({p.year_of_birth})" if p.year_of_birth else ""))
        for p in members
    ]
    form = PersonMergeForm(request.POST or None, persons=choices, initial={"version": household.version})
    if request.method == "POST" and form.is_valid():
        by_pk = {p.pk: p for p in members}
        try:
            services.person_merge(
                actor=request.user,
                kept=by_pk[form.cleaned_data["kept"]],
                other=by_pk[form.cleaned_data["other"]],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            _conflict_or_errors(form, error)
        else:
            messages.success(request, _("The two records of this person were merged."))
            return redirect("pathways:household_detail", household.pk)
    else:
        audit_read(actor=request.user, obj=household, reason="person merge")
    return render(
        request,
        "pathways/households/person_merge.html",
        {**_case_context(household, case, "overview"), "form": form},
    )


urlpatterns = [
    path("", caseload, name="caseload"),
    path("households/new/", household_create, name="household_create"),
    path("households/<int:pk>/", household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", household_edit, name="household_edit"),
    path("households/<int:pk>/merge/", household_merge, name="household_merge"),
    path("households/<int:pk>/members/new/", person_create, name="person_create"),
    path("households/<int:pk>/members/merge/", person_merge, name="person_merge"),
    path("households/<int:pk>/members/<int:person_pk>/edit/", person_edit, name="person_edit"),
    path("households/<int:pk>/members/<int:person_pk>/documents/new/", document_create, name="document_create"),
    path("households/<int:pk>/documents/<int:document_pk>/edit/", document_edit, name="document_edit"),
    path("households/<int:pk>/documents/<int:document_pk>/delete/", document_delete, name="document_delete"),
]
