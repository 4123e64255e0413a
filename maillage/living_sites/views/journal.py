"""The journal of a site: its entries merged with the Pathways home visits, and the form of a
new entry for those who may write (``permissions.journal_organisations``).

The entries listed are filtered in the database by the policy (``journal_visible_to``): hidden
entries are neither counted nor hinted at. Home visits show the organisation, the number of
households, the date and the status only (``selectors/journal.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from maillage.core.forms import add_service_errors

from ..forms.journal import SiteJournalEntryForm
from ..permissions import journal_organisations, site_get_for
from ..selectors.journal import journal_items, journal_rows
from ..services.journal import site_journal_entry_create

PAGE_SIZE = 30


def journal(request: HttpRequest, pk: int) -> HttpResponse:
    site = site_get_for(request.user, pk)
    organisation_ids = journal_organisations(request.user, site)
    form = None
    if organisation_ids:
        form = SiteJournalEntryForm(
            request.POST or None, user=request.user, site=site, organisation_ids=organisation_ids
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                site_journal_entry_create(
                    actor=request.user,
                    site=site,
                    organisation_id=data["organisation"],
                    sensitivity=data["sensitivity"],
                    occurred_on=data["occurred_on"],
                    text=data["text"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The entry has been added to the site's journal."))
                return redirect("living_sites:journal", site.pk)
    elif request.method == "POST":
        raise Http404
    page = Paginator(journal_rows(request.user, site), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "living_sites/journal/journal.html",
        {"site": site, "page": page, "items": journal_items(list(page.object_list)), "form": form},
        status=400 if form is not None and form.errors else 200,
    )


urlpatterns = [
    path("<int:pk>/journal/", journal, name="journal"),
]
