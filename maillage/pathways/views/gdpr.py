"""Pages of Pathways: GDPR (read journal, export, erasure) and transfers.

Every page is for the owning organisation's managers and professionals
(``permissions.can_view_privacy``); anybody else gets a 404, as for a missing case. The
transfer inbox is for the receiving organisations' managers and professionals.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors
from maillage.organisations.permissions import access_for

from .. import enums
from ..forms.gdpr import AnonymiseForm, TransferRequestForm
from ..models import Household, Person, Transfer
from ..pdf import pdf_response, render_pdf
from ..permissions import EDITING_ROLES, CaseAccess, can_view_privacy, household_get_for
from ..services import gdpr as gdpr_services
from ..services import transfers as transfer_services

PAGE_SIZE = 25
PRINT_LIMIT = 5000  # reads on the printable list and its PDF (a lifetime of a case, many times over)
INBOX_HISTORY = 20


def _privacy_case(request: HttpRequest, pk: int) -> tuple[Household, CaseAccess]:
    household, case = household_get_for(request.user, pk)
    if not can_view_privacy(request.user, case):
        raise Http404
    return household, case


def _url(name: str, *args: Any, default: str = "/") -> str:
    try:
        return reverse(f"pathways:{name}", args=args)
    except NoReverseMatch:
        return default


def _members(household: Household) -> list[Person]:
    return list(household.members.current().order_by("pk"))


# --- Who viewed this file ---------------------------------------------------------------------


def privacy(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = _privacy_case(request, pk)
    audit_read(actor=request.user, obj=household, reason=gdpr_services.READ_REASON_PRIVACY)
    page = Paginator(gdpr_services.household_reads(household), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = gdpr_services.read_rows(page.object_list, gdpr_services.household_organisations(household))
    return render(
        request,
        "pathways/gdpr/privacy.html",
        {
            "household": household,
            "case": case,
            "active": "privacy",
            "page": page,
            "rows": rows,
            "pending_transfer": transfer_services.pending_transfer(household),
        },
    )


def _print_context(request: HttpRequest, pk: int, reason: str) -> dict[str, Any]:
    household, case = _privacy_case(request, pk)
    audit_read(actor=request.user, obj=household, reason=reason)
    entries = gdpr_services.household_reads(household)[:PRINT_LIMIT]
    return {
        "household": household,
        "case": case,
        "members": _members(household),
        "rows": gdpr_services.read_rows(entries, gdpr_services.household_organisations(household)),
        "printed_on": timezone.localdate(),
        "limit": PRINT_LIMIT,
    }


def privacy_views_print(request: HttpRequest, pk: int) -> HttpResponse:
    context = _print_context(request, pk, "privacy (print)")
    return render(request, "pathways/gdpr/privacy_print.html", context)


def privacy_views_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    context = _print_context(request, pk, "privacy (pdf)")
    content = render_pdf("pathways/gdpr/privacy_pdf.html", context, request)
    return pdf_response(content, f"household-{context['household'].pk}-reads.pdf")


# --- Export -------------------------------------------------------------------------------------


def household_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    household, _case = _privacy_case(request, pk)
    objects = gdpr_services.household_export(actor=request.user, household=household, fmt="json")
    data = gdpr_services.export_json(objects)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="household-{household.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


def household_export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    household, _case = _privacy_case(request, pk)
    objects = gdpr_services.household_export(actor=request.user, household=household, fmt="pdf")
    context = {**objects, "printed_on": timezone.localdate()}
    content = render_pdf("pathways/gdpr/export_pdf.html", context, request)
    return pdf_response(content, f"household-{household.pk}.pdf")


# --- Erasure ------------------------------------------------------------------------------------


def household_anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = _privacy_case(request, pk)
    form = AnonymiseForm(request.POST or None, household_pk=household.pk)
    if request.method == "POST" and form.is_valid():
        try:
            gdpr_services.household_anonymise(
                actor=request.user, household=household, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Household #%(number)s is anonymised: its persons' data is erased.") % {"number": household.pk},
            )
            return redirect(_url("caseload"))
    audit_read(actor=request.user, obj=household, reason="anonymise (form)")
    return render(
        request,
        "pathways/gdpr/anonymise.html",
        {"household": household, "case": case, "active": "privacy", "form": form},
        status=400 if form.is_bound else 200,
    )


# --- Transfers ----------------------------------------------------------------------------------


def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk, edit=True)
    form = TransferRequestForm(request.POST or None, exclude_organisation=household.organisation_id)
    if request.method == "POST" and form.is_valid():
        try:
            transfer_services.transfer_request(
                actor=request.user,
                household=household,
                to_organisation=form.cleaned_data["to_organisation"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The transfer is requested: the organisation will accept or refuse it."))
            return redirect("pathways:transfer", household.pk)
    audit_read(actor=request.user, obj=household, reason="transfer")
    history = list(
        Transfer.objects.filter(household=household)
        .select_related("from_organisation", "to_organisation", "requested_by")
        .order_by("-requested_at", "-pk")
    )
    pending = next((t for t in history if t.status == enums.TransferStatus.REQUESTED), None)
    return render(
        request,
        "pathways/transfers/transfer.html",
        {
            "household": household,
            "case": case,
            "active": "privacy",  # the transfers are reached from the privacy page
            "form": form,
            "history": history,
            "pending": pending,
        },
        status=400 if form.is_bound else 200,
    )


def _answering_organisations(user: Any) -> list[int]:
    return [org for org, role in access_for(user).roles_by_org.items() if role in EDITING_ROLES]


def transfer_inbox(request: HttpRequest) -> HttpResponse:
    organisations = _answering_organisations(request.user)
    transfers = (
        Transfer.objects.filter(to_organisation_id__in=organisations)
        .select_related("from_organisation", "to_organisation", "requested_by")
        .annotate(member_count=Count("household__members", filter=Q(household__members__merged_into__isnull=True)))
    )
    pending = list(transfers.filter(status=enums.TransferStatus.REQUESTED).order_by("requested_at", "pk"))
    answered = list(
        transfers.exclude(status=enums.TransferStatus.REQUESTED).order_by("-answered_at", "-pk")[:INBOX_HISTORY]
    )
    return render(
        request,
        "pathways/transfers/inbox.html",
        {"pending": pending, "answered": answered, "can_answer": bool(organisations)},
    )


@require_POST
def transfer_answer(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Transfer, pk=pk, to_organisation_id__in=_answering_organisations(request.user))
    decision = request.POST.get("decision")
    if decision not in ("accept", "refuse"):
        messages.error(request, _("Choose to accept or to refuse the transfer."))
        return redirect("pathways:transfer_inbox")
    try:
        transfer_services.transfer_answer(actor=request.user, transfer=item, accept=decision == "accept")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("pathways:transfer_inbox")
    if decision == "accept":
        messages.success(
            request, _("Household #%(number)s now belongs to your organisation.") % {"number": item.household_id}
        )
        return redirect(_url("household_detail", item.household_id, default=reverse("pathways:transfer_inbox")))
    messages.success(request, _("The transfer is refused."))
    return redirect("pathways:transfer_inbox")


urlpatterns = [
    path("households/<int:pk>/privacy/", privacy, name="privacy"),
    path("households/<int:pk>/privacy/print/", privacy_views_print, name="privacy_views_print"),
    path("households/<int:pk>/privacy/reads.pdf", privacy_views_pdf, name="privacy_views_pdf"),
    path("households/<int:pk>/export.json", household_export_json, name="household_export_json"),
    path("households/<int:pk>/export.pdf", household_export_pdf, name="household_export_pdf"),
    path("households/<int:pk>/anonymise/", household_anonymise, name="household_anonymise"),
    path("households/<int:pk>/transfer/", transfer, name="transfer"),
    path("transfers/", transfer_inbox, name="transfer_inbox"),
    path("transfers/<int:pk>/answer/", transfer_answer, name="transfer_answer"),
]
