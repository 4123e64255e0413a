"""Writes on the journal of a case and its attachments (scanned documents).

Who may write, and in which sensitivity class, is decided by ``permissions.py``: the services
check it again (``case_access``) so that no caller can write a class its author may not read.
Audit entries never carry the text of an entry nor the name of a file (both may hold names).

Uploads are checked by content, not by what the browser says: the first bytes must be those
of a PDF, JPEG, PNG or WEBP file, the extension must match, the size must not exceed
``settings.PATHWAYS_ATTACHMENT_MAX_BYTES``. Files are stored in the private storage of
``Attachment.file`` (``settings.PATHWAYS_ATTACHMENTS_ROOT``) under a random name.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.organisations.models import Organisation

from ..models import Attachment, Household, JournalEntry, Person
from ..permissions import CaseAccess, case_access
from .common import household_touch

# Accepted types: (content type, magic test, accepted extensions, stored extension).
_PDF = "application/pdf"
_JPEG = "image/jpeg"
_PNG = "image/png"
_WEBP = "image/webp"
EXTENSIONS: dict[str, tuple[str, ...]] = {
    _PDF: (".pdf",),
    _JPEG: (".jpg", ".jpeg"),
    _PNG: (".png",),
    _WEBP: (".webp",),
}
HEADER_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    """The content type told by the first bytes of a file, among the accepted ones (else None)."""
    if head.startswith(b"%PDF-"):
        return _PDF
    if head.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    return None


def scan_upload(file: Any) -> None:
    """Antivirus hook: called on every upload, before anything is stored.

    Does nothing unless ``settings.PATHWAYS_ANTIVIRUS_COMMAND`` is set (default None), e.g.
    ``["clamdscan", "--no-summary", "--fdpass", "-"]`` or the same as one string. The file's
    content is given on the command's standard input; an exit code other than 0 (or a
    command that cannot run or takes more than a minute) rejects the file with a
    ``ValidationError``. Replace this function to call another scanner (an HTTP service…).
    """
    command = getattr(settings, "PATHWAYS_ANTIVIRUS_COMMAND", None)
    if not command:
        return
    args = shlex.split(command) if isinstance(command, str) else list(command)
    file.seek(0)
    content = file.read()
    file.seek(0)
    try:
        result = subprocess.run(args, input=content, capture_output=True, timeout=60, check=False)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        raise ValidationError(_("The file could not be checked for viruses. Try again later."), code="scan") from None
    if result.returncode != 0:
        raise ValidationError(_("The file was rejected by the virus check."), code="virus")


def attachment_validate(file: UploadedFile) -> str:
    """Check an upload (size, type by content, extension, antivirus); return its content type."""
    limit = settings.PATHWAYS_ATTACHMENT_MAX_BYTES
    size = file.size or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    if size > limit:
        message = _("The file is too large (%(size)s); the limit is %(limit)s.") % {
            "size": filesizeformat(size),
            "limit": filesizeformat(limit),
        }
        raise ValidationError({"file": message}, code="too_large")
    file.seek(0)
    head = file.read(HEADER_BYTES)
    file.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError({"file": _("Only PDF, JPEG, PNG and WEBP files are accepted.")}, code="type")
    extension = os.path.splitext(file.name or "")[1].lower()
    if extension not in EXTENSIONS[content_type]:
        message = _("The file's name does not match its content (expected %(ext)s).") % {
            "ext": ", ".join(EXTENSIONS[content_type])
        }
        raise ValidationError({"file": message}, code="extension")
    try:
        scan_upload(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    return content_type


def _writable_case(actor: Any, household: Household, sensitivity: str) -> CaseAccess:
    case = case_access(actor, household)
    if not case.can_write_journal:
        raise PermissionDenied
    if not case.reads(sensitivity):
        raise ValidationError(
            {"sensitivity": _("You may not write in this class: you would not be allowed to read it.")},
            code="sensitivity",
        )
    return case


def _safe_original_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "document"
    return base[-255:]


def _attachment_build(
    *, actor: Any, household: Household, upload: UploadedFile, sensitivity: str, entry: JournalEntry | None
) -> Attachment:
    content_type = attachment_validate(upload)
    attachment = Attachment(
        household=household,
        entry=entry,
        sensitivity=sensitivity,
        original_name=_safe_original_name(upload.name or ""),
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        uploaded_at=timezone.now(),
    )
    # Never the original name on disk: a random one, with the extension of the real type.
    stored = f"{secrets.token_hex(16)}{EXTENSIONS[content_type][0]}"
    upload.seek(0)
    attachment.file.save(stored, upload, save=False)
    try:
        attachment.full_clean()
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def _discard_file(attachment: Attachment | None) -> None:
    """Delete a stored file whose rows were not written (nothing half-written)."""
    if attachment is not None and attachment.file.name:
        attachment.file.storage.delete(attachment.file.name)


def _attachment_audit(actor: Any, attachment: Attachment) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=attachment,
        changes={
            "household": str(attachment.household_id),
            "entry": str(attachment.entry_id) if attachment.entry_id else None,
            "sensitivity": attachment.sensitivity,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )


def journal_entry_create(
    *,
    actor: Any,
    household: Household,
    organisation: Organisation,
    sensitivity: str,
    text: str,
    occurred_on: date | None = None,
    person: Person | None = None,
    shared: bool = False,
    appointment: Any = None,
    upload: UploadedFile | None = None,
) -> JournalEntry:
    """Add an entry to the case's journal (and its attachment, of the same class, if given)."""
    _writable_case(actor, household, sensitivity)
    if organisation.pk != household.organisation_id:
        raise PermissionDenied
    errors: dict[str, str] = {}
    occurred_on = occurred_on or timezone.localdate()
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = _("The date cannot be in the future.")
    if person is not None and person.household_id != household.pk:
        errors["person"] = _("This person is not a member of the household.")
    if not (text or "").strip():
        errors["text"] = _("Write something.")
    if errors:
        raise ValidationError(errors)
    attachment: Attachment | None = None
    try:
        with transaction.atomic():
            entry = JournalEntry(
                household=household,
                organisation=organisation,
                author=actor,
                sensitivity=sensitivity,
                occurred_on=occurred_on,
                text=text.strip(),
                person=person,
                shared=shared,
                appointment=appointment,
            )
            entry.full_clean()
            entry.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=entry,
                changes={
                    "household": str(household.pk),
                    "person": str(person.pk) if person else None,
                    "sensitivity": sensitivity,
                    "shared": shared,
                    "occurred_on": occurred_on.isoformat(),
                },
            )
            if upload is not None:
                attachment = _attachment_build(
                    actor=actor, household=household, upload=upload, sensitivity=sensitivity, entry=entry
                )
                _attachment_audit(actor, attachment)
            household_touch(household)
    except Exception:
        _discard_file(attachment)
        raise
    return entry


def attachment_create(
    *,
    actor: Any,
    household: Household,
    upload: UploadedFile,
    sensitivity: str,
    entry: JournalEntry | None = None,
) -> Attachment:
    """Attach a scanned document to the household, or to one of its journal entries."""
    case = _writable_case(actor, household, sensitivity)
    if entry is not None and (entry.household_id != household.pk or not case.reads(entry.sensitivity)):
        raise PermissionDenied
    attachment: Attachment | None = None
    try:
        with transaction.atomic():
            attachment = _attachment_build(
                actor=actor, household=household, upload=upload, sensitivity=sensitivity, entry=entry
            )
            _attachment_audit(actor, attachment)
            household_touch(household)
    except Exception:
        _discard_file(attachment)
        raise
    return attachment


def attachment_readable(case: CaseAccess, attachment: Attachment) -> bool:
    """May this access read this attachment? (the entry's class too, and sharing for partners)"""
    if not case.reads(attachment.sensitivity):
        return False
    entry = attachment.entry
    if entry is not None and not case.reads(entry.sensitivity):
        return False
    if case.owner:
        return True
    # A receiving organisation: only documents of the journal entries marked as shared.
    return entry is not None and entry.shared
