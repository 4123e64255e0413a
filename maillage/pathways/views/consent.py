"""Pages of Pathways: consent.

The owning organisation's members read the consents of a household; its managers and
professionals (``case.can_edit``) record and withdraw them. A receiving organisation never
sees this page (404). The printable sheet is rendered in the person's language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors

from ..consent_texts import purposes_explained
from ..enums import Relation
from ..forms.consent import SHEET_LANGUAGES, ConsentForm
from ..models import Consent, Household, Person
from ..permissions import CaseAccess, household_get_for
from ..services.consent import consent_give, consent_withdraw


def _owner_case(request: HttpRequest, pk: int, *, edit: bool = False) -> tuple[Household, CaseAccess]:
    household, case = household_get_for(request.user, pk, edit=edit)
    if not case.owner:  # a receiving organisation does not see the consents
        raise Http404
    return household, case


def _persons(household: Household) -> list[Person]:
    consents = Consent.objects.select_related("partner", "collected_by", "withdrawn_by").order_by(
        "withdrawn_on", "-given_on", "-pk"
    )
    return list(
        Person.objects.current()
        .filter(household=household)
        .prefetch_related(Prefetch("consents", queryset=consents))
        .order_by("pk")
    )


def consents(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = _owner_case(request, pk, edit=request.method == "POST")
    persons = _persons(household)
    form = None
    if case.can_edit:
        form = ConsentForm(request.POST or None, household=household, persons=persons)
        if request.method == "POST" and form.is_valid():
            try:
                consent_give(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The consent has been recorded."))
                return redirect("pathways:consents", household.pk)
    audit_read(actor=request.user, obj=household, reason="consents")
    return render(
        request,
        "pathways/consent/consents.html",
        {
            "household": household,
            "case": case,
            "active": "consents",
            "persons": persons,
            "form": form,
            "sheet_languages": [(code, name) for code, name in settings.LANGUAGES],
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
def consent_withdraw_view(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    household, _case = _owner_case(request, pk, edit=True)
    consent = Consent.objects.filter(pk=consent_pk, person__household=household).first()
    if consent is None:
        raise Http404
    try:
        consent_withdraw(actor=request.user, consent=consent)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The consent has been withdrawn."))
    return redirect("pathways:consents", household.pk)


def _sheet_language(request: HttpRequest, person: Person | None) -> str:
    asked = request.GET.get("lang", "")
    if asked in SHEET_LANGUAGES:
        return asked
    for code in person.languages if person else []:
        if code in SHEET_LANGUAGES:
            return code
    return settings.LANGUAGE_CODE


def consent_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A sheet to read with the person and sign, in their language (right to left when needed)."""
    household, case = _owner_case(request, pk)
    persons = _persons(household)
    person: Person | None = None
    wanted = request.GET.get("person", "")
    for candidate in persons:
        if str(candidate.pk) == wanted:
            person = candidate
    if person is None:
        person = next((p for p in persons if p.relation == Relation.REFERENCE), persons[0] if persons else None)
    language = _sheet_language(request, person)
    current = [c for c in person.consents.all() if c.is_active] if person else []
    audit_read(actor=request.user, obj=household, reason="consent sheet")
    context: dict[str, Any] = {
        "household": household,
        "case": case,
        "person": person,
        "persons": persons,
        "current": current,
        "organisation": household.organisation,
        "printed_on": timezone.localdate(),
        "sheet_language": language,
        "languages": settings.LANGUAGES,
        "back_url": reverse("pathways:consents", args=[household.pk]),
    }
    with translation.override(language):
        context["bidi"] = translation.get_language_bidi()
        context["purposes"] = purposes_explained()
        body = render_to_string("pathways/consent/sheet.html", context, request=request)
    response = HttpResponse(body)
    response["Content-Language"] = language
    return response


urlpatterns = [
    path("households/<int:pk>/consents/", consents, name="consents"),
    path("households/<int:pk>/consents/sheet/", consent_sheet, name="consent_sheet"),
    path(
        "households/<int:pk>/consents/<int:consent_pk>/withdraw/",
        consent_withdraw_view,
        name="consent_withdraw",
    ),
]
