"""Pages of Pathways: the journal of a case and its attachments (scanned documents).

What is listed is filtered in the database by the policy (``CaseAccess.reads``): a volunteer
never receives a health or justice entry, a receiving organisation only the entries marked
"shared" of the classes it may read. Hidden entries are neither counted nor hinted at.
Attachments are served by ``attachment_download`` only, after the same checks (404 otherwise,
as for a missing one), as a download that the browser must not sniff nor cache.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from maillage.audit.services import audit_read
from maillage.core.forms import add_service_errors

from ..enums import SharedItem
from ..forms.journal import AttachmentForm, JournalEntryForm
from ..models import Attachment, JournalEntry
from ..permissions import CaseAccess, household_get_for
from ..services.journal import attachment_create, attachment_readable, journal_entry_create

PAGE_SIZE = 20
DOCUMENTS_LIMIT = 100


def _readable_entries(case: CaseAccess) -> Q:
    condition = Q(sensitivity__in=sorted(case.classes))
    if not case.owner:
        condition &= Q(shared=True)
    return condition


def _readable_attachments(case: CaseAccess) -> Q:
    condition = Q(sensitivity__in=sorted(case.classes))
    if not case.owner:
        condition &= Q(entry__shared=True, entry__sensitivity__in=sorted(case.classes))
    return condition


def _entries(household: Any, case: CaseAccess) -> QuerySet[JournalEntry]:
    if not case.classes:
        return JournalEntry.objects.none()
    attachments = Attachment.objects.filter(sensitivity__in=sorted(case.classes)).order_by("pk")
    return (
        JournalEntry.objects.filter(household=household)
        .filter(_readable_entries(case))
        .select_related("author", "person", "organisation")
        .prefetch_related(Prefetch("attachments", queryset=attachments, to_attr="readable_attachments"))
        .order_by("-occurred_on", "-pk")
    )


def journal(request: HttpRequest, pk: int) -> HttpResponse:
    household, case = household_get_for(request.user, pk)
    form = None
    if case.can_write_journal:
        form = JournalEntryForm(request.POST or None, request.FILES or None, household=household, case=case)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                journal_entry_create(
                    actor=request.user,
                    household=household,
                    organisation=household.organisation,
                    sensitivity=data["sensitivity"],
                    text=data["text"],
                    occurred_on=data["occurred_on"],
                    person=data["person"],
                    shared=data["shared"],
                    upload=data.get("file"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The entry has been added to the journal."))
                return redirect("pathways:journal", household.pk)
    elif request.method == "POST":
        raise Http404
    page = Paginator(_entries(household, case), PAGE_SIZE).get_page(request.GET.get("page"))
    documents: list[Attachment] = []
    if case.owner and case.classes:
        documents = list(
            Attachment.objects.filter(household=household, entry__isnull=True, sensitivity__in=sorted(case.classes))
            .select_related("uploaded_by")
            .order_by("-uploaded_at", "-pk")[:DOCUMENTS_LIMIT]
        )
    audit_read(actor=request.user, obj=household, reason="journal")
    return render(
        request,
        "pathways/journal/journal.html",
        {
            "household": household,
            "case": case,
            "active": "journal",
            "page": page,
            "documents": documents,
            "form": form,
            "show_persons": case.sees(SharedItem.IDENTITY),
        },
        status=400 if form is not None and form.errors else 200,
    )


def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a scanned document to the household, or to one of its entries (``?entry=<id>``)."""
    household, case = household_get_for(request.user, pk)
    if not case.can_write_journal:
        raise Http404
    entry = None
    entry_id = request.POST.get("entry") or request.GET.get("entry")
    if entry_id:
        try:
            entry = (
                JournalEntry.objects.filter(household=household).filter(_readable_entries(case)).get(pk=int(entry_id))
            )
        except (JournalEntry.DoesNotExist, ValueError):
            raise Http404 from None
    form = AttachmentForm(request.POST or None, request.FILES or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            attachment_create(
                actor=request.user,
                household=household,
                upload=form.cleaned_data["file"],
                sensitivity=form.cleaned_data["sensitivity"],
                entry=entry,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The document has been added."))
            return redirect(reverse("pathways:journal", args=[household.pk]) + (f"#entry-{entry.pk}" if entry else ""))
    audit_read(actor=request.user, obj=household, reason="attachment upload")
    return render(
        request,
        "pathways/journal/attachment_upload.html",
        {"household": household, "case": case, "active": "journal", "form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = Attachment.objects.select_related("entry").get(pk=int(pk))
    except (Attachment.DoesNotExist, ValueError):
        raise Http404 from None
    household, case = household_get_for(request.user, attachment.household_id)
    if not attachment_readable(case, attachment):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise Http404 from None
    audit_read(actor=request.user, obj=household, reason=f"attachment #{attachment.pk}")
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


urlpatterns = [
    path("households/<int:pk>/journal/", journal, name="journal"),
    path("households/<int:pk>/attachments/new/", attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", attachment_download, name="attachment_download"),
]
