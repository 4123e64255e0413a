"""Writes of appointments and visits.

An appointment belongs to one organisation; its households and its staff are of that
organisation. Home visits at a living site and group workshops may gather several
households; office appointments and phone calls concern one. When it took place, each
household's journal gets a general entry and its last activity moves on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.living_sites.models import Site
from maillage.living_sites.permissions import living_site_errors
from maillage.organisations.models import Membership, Organisation

from ..enums import AppointmentKind, AppointmentStatus, HouseholdStatus, Sensitivity
from ..models import Appointment, Household, JournalEntry
from .common import household_touch

GROUP_KINDS = frozenset({AppointmentKind.HOME_VISIT, AppointmentKind.WORKSHOP})
CLOSING_STATUSES = frozenset({AppointmentStatus.DONE, AppointmentStatus.MISSED, AppointmentStatus.CANCELLED})
_INACTIVE = (HouseholdStatus.MERGED, HouseholdStatus.ANONYMISED)


def _check_living_site(actor: Any, kind: str, living_site: Site | None) -> dict[str, str]:
    """A visit's living site: an open site the actor sees, for a home visit or a workshop."""
    if living_site is None:
        return {}
    if kind not in GROUP_KINDS:
        return {"living_site": _("Only home visits and workshops take place at a living site.")}
    return living_site_errors(actor, living_site.pk)


def _check(
    *,
    organisation: Organisation,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    households: list,
    staff: list,
    errors: dict[str, str] | None = None,
) -> None:
    errors = dict(errors or {})
    if kind not in AppointmentKind.values:
        errors["kind"] = _("Unknown kind of appointment.")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    if not households:
        errors["households"] = _("Choose at least one household.")
    elif len(households) > 1 and kind not in GROUP_KINDS:
        errors["households"] = _("Only home visits and workshops may gather several households.")
    elif any(h.organisation_id != organisation.pk or h.status in _INACTIVE for h in households):
        errors["households"] = _("Every household must be followed by the organisation of the appointment.")
    if not staff:
        errors["staff"] = _("Choose at least one member of staff.")
    else:
        members = set(
            Membership.objects.active()
            .filter(organisation=organisation, user__in=staff)
            .values_list("user_id", flat=True)
        )
        if any(user.pk not in members for user in staff):
            errors["staff"] = _("Every member of staff must belong to the organisation.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def appointment_create(
    *,
    actor: Any,
    organisation: Organisation,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    households: Iterable[Household],
    staff: Iterable[Any],
    title: str = "",
    location: str = "",
    living_site: Site | None = None,
    living_site_ref: str = "",
    notes: str = "",
) -> Appointment:
    """A new appointment; ``living_site`` (a home visit at a site) puts it on the site's journal."""
    households = list({h.pk: h for h in households}.values())
    staff = list({u.pk: u for u in staff}.values())
    _check(
        organisation=organisation,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        households=households,
        staff=staff,
        errors=_check_living_site(actor, kind, living_site),
    )
    appointment = Appointment(
        organisation=organisation,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title.strip(),
        location=location.strip(),
        living_site=living_site,
        living_site_ref=living_site_ref.strip(),
        notes=notes.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    appointment.full_clean()
    appointment.save()
    appointment.households.set(households)
    appointment.staff.set(staff)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=appointment,
        changes={
            "kind": kind,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "households": sorted(str(h.pk) for h in households),
            "staff": sorted(str(u.pk) for u in staff),
            "living_site": str(living_site.pk) if living_site else None,
        },
    )
    for household in households:
        household_touch(household)
    return appointment


def _journal_text(appointment: Appointment, note: str) -> str:
    if appointment.kind == AppointmentKind.HOME_VISIT:
        text = _("Home visit took place.")
    elif appointment.kind == AppointmentKind.WORKSHOP:
        text = _("Workshop took place.")
    elif appointment.kind == AppointmentKind.PHONE:
        text = _("Phone call took place.")
    else:
        text = _("Appointment took place.")
    return f"{text}\n{note}" if note else text


@transaction.atomic
def appointment_update_status(*, actor: Any, appointment: Appointment, status: str, note: str = "") -> Appointment:
    """Close a planned appointment: done (journal entries on each household), missed or cancelled."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if status not in CLOSING_STATUSES:
        raise ValidationError({"status": _("Choose: took place, missed or cancelled.")})
    if appointment.status != AppointmentStatus.PLANNED:
        raise ValidationError({"status": _("This appointment is already closed.")})
    if status == AppointmentStatus.DONE and appointment.starts_at > timezone.now():
        raise ValidationError({"status": _("An appointment that has not started yet cannot have taken place.")})
    previous = appointment.status
    appointment.status = status
    appointment.full_clean()
    appointment.save(update_fields=["status"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=appointment, changes={"status": [previous, status]})
    households = list(appointment.households.all())
    if status == AppointmentStatus.DONE:
        author = actor if getattr(actor, "is_authenticated", False) else None
        text = _journal_text(appointment, note.strip())
        occurred_on = timezone.localdate(appointment.starts_at)
        entries = [
            JournalEntry(
                household=household,
                organisation_id=appointment.organisation_id,
                author=author,
                sensitivity=Sensitivity.GENERAL,
                occurred_on=occurred_on,
                text=text,
                appointment=appointment,
            )
            for household in households
        ]
        for entry in entries:
            entry.full_clean()
        JournalEntry.objects.bulk_create(entries)
    for household in households:
        household_touch(household)
    return appointment
