"""Attach a result of the rights portal to a household (mediator mode of ``/droits/``).

The link from the result page carries the questionnaire's encrypted state (``s``) or a saved
result's token (``r``). The answers are evaluated again, and the summary — the schemes the
household can probably claim, those to check, with the date — is written in the household's
journal (class "social"), for the households the user may edit.
"""

from __future__ import annotations

from typing import Any

import pydantic
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from maillage.core.forms import add_service_errors
from maillage.rights import engine, state
from maillage.rights import services as rights_services
from maillage.rights.schema import Answers

from ..enums import Sensitivity
from ..models import Household
from ..permissions import EDITING_ROLES, households_visible_to
from ..services.journal import journal_entry_create


def _answers(request: HttpRequest) -> Answers:
    """The answers behind the link, or 404 (expired, forged, deleted)."""
    from maillage.rights.views import validate

    saved_token, token = request.GET.get("r", ""), request.GET.get("s", "")
    if saved_token:
        saved = rights_services.saved_evaluation_get(saved_token)
        if saved is None:
            raise Http404
        try:
            return Answers.model_validate(saved.answers)
        except pydantic.ValidationError:  # saved with an older questionnaire
            raise Http404 from None
    try:
        data = state.decode(token)
    except state.StateError:
        raise Http404 from None
    answers, _problems = validate(data)
    if answers is None:
        raise Http404
    return answers


def _editable_households(user: Any) -> Any:
    from maillage.organisations.permissions import access_for

    access = access_for(user)
    orgs = [org for org, role in access.roles_by_org.items() if role in EDITING_ROLES]
    return households_visible_to(user).filter(organisation_id__in=orgs).order_by("name", "pk")


class AttachForm(forms.Form):
    household = forms.ModelChoiceField(queryset=Household.objects.none(), label=gettext_lazy("Household"))

    def __init__(self, *args: Any, households: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        field.queryset = households  # type: ignore[attr-defined]
        field.label_from_instance = lambda h: f"{h.name} (n° {h.pk})"  # type: ignore[attr-defined]


def summary_text(evaluation: engine.Evaluation) -> str:
    """The journal's text: no answer is copied, only the result and its date."""
    lines = [_("Rights portal result of %(date)s.") % {"date": evaluation.as_of.strftime("%d/%m/%Y")}]
    for status, title in (("eligible", _("Probably entitled:")), ("maybe", _("To check:"))):
        results = evaluation.by_status(status)
        if results:
            lines.append(title + " " + ", ".join(r.title for r in results) + ".")
    return "\n".join(lines)


@require_http_methods(["GET", "POST"])
def rights_attach(request: HttpRequest) -> HttpResponse:
    answers = _answers(request)
    evaluation = engine.evaluate(answers, lang=get_language() or "fr", as_of=timezone.localdate(), amounts=False)
    households = _editable_households(request.user)
    form = AttachForm(request.POST or None, households=households)
    if request.method == "POST" and form.is_valid():
        household = form.cleaned_data["household"]
        try:
            journal_entry_create(
                actor=request.user,
                household=household,
                organisation=household.organisation,
                sensitivity=Sensitivity.SOCIAL,
                text=summary_text(evaluation),
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from None
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The result has been written in the household's journal."))
            return redirect("pathways:journal", household.pk)
    return render(
        request,
        "pathways/rights/attach.html",
        {"form": form, "evaluation": evaluation, "summary": summary_text(evaluation)},
    )


urlpatterns = [path("rights/attach/", rights_attach, name="rights_attach")]
