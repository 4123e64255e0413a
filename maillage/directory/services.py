"""Writes on the directory: keyword-only, one transaction, full_clean, an audit entry.

Saving an entry through a form confirms it (its owner has just looked at it); ``entry_confirm``
confirms without changes, from the "still up to date" button or the reminder e-mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.organisations.enums import Role
from maillage.organisations.models import Membership
from maillage.territory.models import Commune
from maillage.territory.selectors import commune_from_code, departments_from_codes

from .indexing import refresh_search_vectors, search_text_for
from .models import Project, Referent, Service, Structure, stale_before

Entry = Structure | Service | Referent | Project

# Fields journalled for each model (all editable concrete fields but the bookkeeping ones).
_SKIP = {"id", "created_at", "updated_at", "confirmed_at", "reminded_at", "search_vector", "search_text"}


def _journalled_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.get_fields() if f.concrete and f.name not in _SKIP]  # type: ignore[union-attr]


def _prepare(entry: Entry) -> None:
    """Derived values computed before validation (search text, default coordinates)."""
    if isinstance(entry, Structure | Service) and entry.commune is not None:
        if entry.latitude is None and entry.longitude is None and entry.commune.latitude is not None:
            # Without a precise point, the commune's centroid places the entry on the map.
            entry.latitude, entry.longitude = entry.commune.latitude, entry.commune.longitude
        if not entry.postal_code and entry.commune.postal_codes:
            entry.postal_code = entry.commune.postal_codes[0]
    if isinstance(entry, Service):
        commune = entry.commune or entry.structure.commune
        entry.search_text = search_text_for(
            name=entry.name,
            thematiques=entry.thematiques,
            structure_name=entry.structure.name,
            extra=commune.name if commune else "",
        )


def _save(
    *,
    actor: Any,
    entry: Entry,
    fields: Mapping[str, Any],
    departments: Iterable[str] | None,
    created: bool,
) -> Entry:
    journalled = _journalled_fields(type(entry))
    before = (
        {} if created else model_snapshot(entry, [*journalled, *(["departments"] if departments is not None else [])])
    )
    for key, value in fields.items():
        if key not in journalled or key in ("source", "source_id") and not created:
            raise ValidationError({key: _("This field cannot be changed.")})
        if key == "commune" and not isinstance(value, Commune):
            value = commune_from_code(value)
        setattr(entry, key, value)
    department_objs = departments_from_codes(departments) if departments is not None else None
    now = timezone.now()
    entry.updated_at = entry.confirmed_at = now
    _prepare(entry)
    entry.full_clean()
    entry.save()
    if department_objs is not None:
        entry.departments.set(department_objs)  # type: ignore[union-attr]
    if isinstance(entry, Service):
        refresh_search_vectors([entry.pk])
    after = model_snapshot(entry, [*journalled, *(["departments"] if departments is not None else [])])
    changes = diff(before, after)
    if created or changes:
        audit_record(
            actor=actor, action=AuditAction.CREATE if created else AuditAction.UPDATE, obj=entry, changes=changes
        )
    return entry


@transaction.atomic
def structure_create(*, actor: Any, name: str, **fields: Any) -> Structure:
    fields.setdefault("source_id", f"mlg-{uuid.uuid4()}")
    return _save(actor=actor, entry=Structure(), fields={"name": name, **fields}, departments=None, created=True)  # type: ignore[return-value]


@transaction.atomic
def structure_update(*, actor: Any, structure: Structure, **fields: Any) -> Structure:
    entry = Structure.objects.select_for_update().get(pk=structure.pk)
    before = (entry.name, entry.commune_id)
    saved = cast(Structure, _save(actor=actor, entry=entry, fields=fields, departments=None, created=False))
    if (saved.name, saved.commune_id) != before:
        _reindex_services_of(saved)
    return saved


def _reindex_services_of(structure: Structure) -> None:
    """A service's search text holds its structure's name and commune: keep them in step."""
    services = list(structure.services.select_related("commune"))
    for service in services:
        service.structure = structure
        _prepare(service)
    Service.objects.bulk_update(services, ["search_text"], batch_size=500)
    refresh_search_vectors([s.pk for s in services])


@transaction.atomic
def service_create(*, actor: Any, structure: Structure, name: str, description: str, **fields: Any) -> Service:
    fields.setdefault("source_id", f"mlg-{uuid.uuid4()}")
    entry = Service(structure=structure)
    return _save(  # type: ignore[return-value]
        actor=actor,
        entry=entry,
        fields={"name": name, "description": description, **fields},
        departments=None,
        created=True,
    )


@transaction.atomic
def service_update(*, actor: Any, service: Service, **fields: Any) -> Service:
    entry = Service.objects.select_for_update().select_related("structure").get(pk=service.pk)
    return _save(actor=actor, entry=entry, fields=fields, departments=None, created=False)  # type: ignore[return-value]


@transaction.atomic
def referent_create(*, actor: Any, departments: Iterable[str] = (), **fields: Any) -> Referent:
    return _save(actor=actor, entry=Referent(), fields=fields, departments=departments, created=True)  # type: ignore[return-value]


@transaction.atomic
def referent_update(
    *, actor: Any, referent: Referent, departments: Iterable[str] | None = None, **fields: Any
) -> Referent:
    entry = Referent.objects.select_for_update().get(pk=referent.pk)
    return _save(actor=actor, entry=entry, fields=fields, departments=departments, created=False)  # type: ignore[return-value]


@transaction.atomic
def project_create(*, actor: Any, departments: Iterable[str] = (), **fields: Any) -> Project:
    return _save(actor=actor, entry=Project(), fields=fields, departments=departments, created=True)  # type: ignore[return-value]


@transaction.atomic
def project_update(*, actor: Any, project: Project, departments: Iterable[str] | None = None, **fields: Any) -> Project:
    entry = Project.objects.select_for_update().get(pk=project.pk)
    return _save(actor=actor, entry=entry, fields=fields, departments=departments, created=False)  # type: ignore[return-value]


@transaction.atomic
def entry_confirm(*, actor: Any, entry: Entry) -> Entry:
    """The owner says the entry is still up to date."""
    now = timezone.now()
    type(entry).objects.filter(pk=entry.pk).update(confirmed_at=now)
    entry.confirmed_at = now
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=entry, changes={"confirmed": "(still up to date)"})
    return entry


@transaction.atomic
def entry_deactivate(*, actor: Any, entry: Entry) -> Entry:
    type(entry).objects.filter(pk=entry.pk).update(is_active=False, updated_at=timezone.now())
    entry.is_active = False
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=entry, changes={"is_active": [True, False]})
    return entry


REMINDER_INTERVAL_DAYS = 30


def stale_entries_remind(*, now: Any = None) -> int:
    """E-mail each organisation's managers the list of its entries not confirmed for too long.

    An organisation is reminded at most every REMINDER_INTERVAL_DAYS. Returns the number of
    e-mails sent. Run weekly by the ``remind_stale_entries`` job.
    """
    now = now or timezone.now()
    limit = stale_before()
    not_recently = models.Q(reminded_at__isnull=True) | models.Q(
        reminded_at__lt=now - timedelta(days=REMINDER_INTERVAL_DAYS)
    )
    querysets = {
        Structure: Structure.objects.active().filter(confirmed_at__lt=limit).filter(not_recently),
        Service: Service.objects.active().filter(confirmed_at__lt=limit).filter(not_recently),
        Referent: Referent.objects.active().filter(confirmed_at__lt=limit).filter(not_recently),
        Project: Project.objects.active().filter(confirmed_at__lt=limit).filter(not_recently),
    }
    by_org: dict[int, list[Any]] = {}
    for model, qs in querysets.items():
        for entry in qs.select_related(*(["structure"] if model is Service else [])):
            org_id = entry.structure.organisation_id if model is Service else entry.organisation_id
            if org_id is not None:
                by_org.setdefault(org_id, []).append(entry)
    sent = 0
    for org_id, entries in by_org.items():
        # The managers, or the professionals when the organisation has no manager.
        members = Membership.objects.active().filter(organisation_id=org_id, role__in=[Role.MANAGER, Role.PROFESSIONAL])
        emails_by_role: dict[str, list[str]] = {}
        for role, email in members.values_list("role", "user__email"):
            emails_by_role.setdefault(role, []).append(email)
        recipients = emails_by_role.get(Role.MANAGER) or emails_by_role.get(Role.PROFESSIONAL, [])
        if not recipients:
            continue
        body = render_to_string(
            "directory/email/stale_reminder.txt",
            {
                "entries": entries,
                "site_url": settings.SITE_URL,
                "dashboard": settings.SITE_URL + reverse("directory:my_entries"),
                "days": settings.DIRECTORY_STALE_DAYS,
            },
        )
        pks_by_model: dict[type[models.Model], list[int]] = {}
        for entry in entries:
            pks_by_model.setdefault(type(entry), []).append(entry.pk)
        with transaction.atomic():
            for entry_model, pks in pks_by_model.items():
                entry_model._default_manager.filter(pk__in=pks).update(reminded_at=now)
            audit_record(
                actor=None,
                action=AuditAction.OTHER,
                object_type="organisations.organisation",
                object_id=str(org_id),
                changes={"directory_reminder": len(entries)},
            )
        send_mail(_("Maillage: are these directory entries still up to date?"), body, None, recipients)
        sent += 1
    return sent
