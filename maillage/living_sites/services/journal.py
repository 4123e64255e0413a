"""Writes on the journal of a site (``SiteJournalEntry``).

Who may write, in which organisation's name and in which sensitivity class, is decided by
``permissions.journal_organisations`` and ``permissions.journal_classes``: the service checks it
again, so that no caller writes a class its author may not read. The audit entry never carries
the text (it may hold names despite the advice of the form).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.pathways.enums import Sensitivity

from ..models import Site, SiteJournalEntry
from ..permissions import journal_classes, journal_organisations

MAX_TEXT = 20000


def site_journal_entry_create(
    *,
    actor: Any,
    site: Site,
    organisation_id: int | None,
    sensitivity: str,
    occurred_on: date | None,
    text: str,
) -> SiteJournalEntry:
    """Add an entry to the site's journal, written by ``actor`` in the name of ``organisation_id``."""
    errors: dict[str, str] = {}
    if organisation_id is None or organisation_id not in journal_organisations(actor, site):
        errors["organisation"] = _("You may not write on this site's journal in the name of this organisation.")
    elif sensitivity not in Sensitivity.values or sensitivity not in journal_classes(actor, site, organisation_id):
        errors["sensitivity"] = _("You may not write entries of this class.")
    today = timezone.localdate()
    if occurred_on is None:
        errors["occurred_on"] = _("Give the date.")
    elif occurred_on > today:
        errors["occurred_on"] = _("The date cannot be in the future.")
    elif site.opened_on and occurred_on < site.opened_on:
        errors["occurred_on"] = _("The date cannot be before the site was settled (%(date)s).") % {
            "date": date_format(site.opened_on, "SHORT_DATE_FORMAT")
        }
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Write the text of the entry.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("The text is too long (%(max)s characters at most).") % {"max": MAX_TEXT}
    if errors or organisation_id is None or occurred_on is None:
        raise ValidationError(errors)
    entry = SiteJournalEntry(
        site=site,
        organisation_id=organisation_id,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        sensitivity=sensitivity,
        occurred_on=occurred_on,
        text=text,
    )
    entry.full_clean(exclude=["site", "organisation", "author"])
    with transaction.atomic():
        entry.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=entry,
            changes={
                "site": str(site.pk),
                "organisation": str(organisation_id),
                "sensitivity": sensitivity,
                "occurred_on": entry.occurred_on.isoformat(),
            },
        )
    return entry
