"""Import of data·inclusion files from the browser, for coordinators and administrators.

The upload page stores the files (``importers.import_storage``), creates an ``ImportJob`` and
defers ``tasks.run_import_job`` to the procrastinate worker (``manage.py procrastinate
worker``). With the setting ``DIRECTORY_IMPORT_INLINE`` (dev and tests) the job also runs at
once in the request, so that the page works without a worker; the job runs only once either
way. The status page polls itself every 2 seconds with htmx while the job runs, and offers a
plain link to refresh without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from data_inclusion.schema import v1
from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.utils.translation import gettext_lazy as _

from maillage.organisations.permissions import access_for

from . import importers, permissions, tasks
from .models import ImportJob

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
POLL_STOP_STATUS = 286  # htmx stops polling on this status


class _Reopened:
    """An uploaded file read from its start, left open for the storage afterwards."""

    def __init__(self, upload: Any) -> None:
        self.upload = upload
        upload.seek(0)

    def read(self, size: int = -1) -> bytes:
        return cast(bytes, self.upload.read(size))

    def __enter__(self) -> _Reopened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.upload.seek(0)


class ImportUploadForm(forms.Form):
    structures = forms.FileField(
        label=_("Structures file"),
        required=False,
        help_text=_("data·inclusion structures, JSON or CSV (UTF-8), 20 MB at most."),
    )
    services = forms.FileField(
        label=_("Services file"),
        required=False,
        help_text=_(
            "data·inclusion services, JSON or CSV (UTF-8), 20 MB at most. Their structures must be in the "
            "structures file or already in the directory."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the files and count the changes, without saving anything"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _clean_upload(self, name: str, schema: Any) -> Any:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        filename = Path(upload.name or "").name
        suffix = Path(filename).suffix.lower()
        if suffix not in (".json", ".csv"):
            raise forms.ValidationError(
                _("“%(name)s” is not a JSON or CSV file: send a .json or .csv file in the data·inclusion schema."),
                params={"name": filename},
                code="file_type",
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("“%(name)s” is larger than 20 MB: split it, or ask an administrator to run the import command."),
                params={"name": filename},
                code="file_size",
            )
        file = importers.ImportFile(
            name=filename, opener=lambda: cast(IO[bytes], _Reopened(upload)), format=suffix.lstrip(".")
        )
        try:
            rows = importers.scan_file(file, schema)
        except importers.ImportFileError as error:
            raise forms.ValidationError(error.message, code="file_content") from None
        if rows == 0:
            raise forms.ValidationError(_("“%(name)s” contains no entry."), params={"name": filename}, code="empty")
        return upload

    def clean_structures(self) -> Any:
        return self._clean_upload("structures", v1.Structure)

    def clean_services(self) -> Any:
        return self._clean_upload("services", v1.Service)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("structures") and not data.get("services"):
            raise forms.ValidationError(_("Choose a structures file, a services file or both."), code="no_file")
        return data

    def flag_errors(self) -> None:
        """Point assistive technologies from each field in error to its message."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                described = [f"id_{name}_error"] + ([f"id_{name}_helptext"] if self.fields[name].help_text else [])
                widget.attrs["aria-describedby"] = " ".join(described)


def _jobs_for(user: Any) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if access_for(user).is_admin else jobs.filter(created_by=user)


def import_upload(request: HttpRequest) -> HttpResponse:
    if not permissions.can_import(request.user):
        raise Http404
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            job = importers.import_job_create(
                actor=request.user,
                structures=form.cleaned_data["structures"],
                services=form.cleaned_data["services"],
                dry_run=form.cleaned_data["dry_run"],
            )
            tasks.run_import_job.defer(job_id=job.pk)
            if getattr(settings, "DIRECTORY_IMPORT_INLINE", False):
                importers.import_job_run(job_id=job.pk)
            return redirect(job)
        form.flag_errors()
    else:
        form = ImportUploadForm()
    return render(request, "directory/import_upload.html", {"form": form, "jobs": _jobs_for(request.user)[:10]})


# The status page's "state" and "progress" blocks alone, for htmx: ``{% extends layout %}``
# renders only the blocks that the layout names. The state sentence replaces the content of
# the page's live region (out of band) so that screen readers hear each change once.
_FRAGMENT_LAYOUT = (
    '<p id="import-state" hx-swap-oob="innerHTML">{% block state %}{% endblock %}</p>{% block progress %}{% endblock %}'
)


def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_import(request.user):
        raise Http404
    job = _jobs_for(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    fragment = request.headers.get("HX-Request") == "true"
    layout: Any = engines["django"].from_string(_FRAGMENT_LAYOUT) if fragment else "base.html"
    response = render(request, "directory/import_status.html", {"job": job, "layout": layout})
    if fragment and job.is_finished:
        response.status_code = POLL_STOP_STATUS
    return response
