"""GDPR of the cases: who read a file, export of all its data, erasure (anonymisation).

- ``household_reads``: the read journal of a household ("who viewed my file and when");
- ``household_export``: every datum of a household, as JSON-friendly sections, audited;
- ``household_anonymise``: erases what identifies the persons and keeps anonymised
  statistics (``AnonymisedCase``, outcomes and follow-ups without persons);
- ``cases_anonymise_inactive``: the daily job, for cases without activity for
  ``settings.PATHWAYS_RETENTION_DAYS``.

Nothing personal goes into the audit entries: the reason of an erasure is a code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.audit.enums import AuditAction
from maillage.audit.models import AuditEntry
from maillage.audit.services import audit_read, audit_record
from maillage.organisations.models import Membership

from .. import enums
from ..models import (
    Action,
    AnonymisedCase,
    Appointment,
    Attachment,
    Consent,
    FollowUp,
    Goal,
    Household,
    JournalEntry,
    Need,
    Outcome,
    Person,
    Referral,
    ReferralEvent,
    ResidenceDocument,
    Transfer,
    private_storage,
)

logger = logging.getLogger(__name__)

HOUSEHOLD_TYPE = Household._meta.label_lower  # the object_type written by audit_record/audit_read
ADULT_AGE = 18

# Why a case is anonymised: a code, never free text (the audit entry keeps no personal data).
REASON_REQUEST = "request"
REASON_NOT_NEEDED = "no_longer_needed"
REASON_RETENTION = "retention"
ANONYMISE_REASONS = (
    (REASON_REQUEST, gettext_lazy("The person asked for the erasure of their data")),
    (REASON_NOT_NEEDED, gettext_lazy("The data is no longer needed for the follow-up")),
    (REASON_RETENTION, gettext_lazy("No activity during the retention period")),
)
READ_REASON_PRIVACY = "privacy"
READ_REASON_EXPORT = "export"
# The reasons of reads written by this area, as shown to the person.
READ_REASON_LABELS = {
    READ_REASON_PRIVACY: gettext_lazy("Privacy page"),
    "privacy (print)": gettext_lazy("Printing of this list"),
    "privacy (pdf)": gettext_lazy("Printing of this list"),
    f"{READ_REASON_EXPORT} (json)": gettext_lazy("Copy of all the data"),
    f"{READ_REASON_EXPORT} (pdf)": gettext_lazy("Copy of all the data"),
    "transfer": gettext_lazy("Transfer to another organisation"),
    "anonymise (form)": gettext_lazy("Erasure"),
}


# --- Who viewed the file ---------------------------------------------------------------------


def household_reads(household: Household) -> QuerySet[AuditEntry]:
    """The reads of a household, newest first, with the readers and their active memberships."""
    return (
        AuditEntry.objects.filter(action=AuditAction.READ, object_type=HOUSEHOLD_TYPE, object_id=str(household.pk))
        .select_related("actor")
        .prefetch_related(
            Prefetch(
                "actor__memberships",
                queryset=Membership.objects.filter(is_active=True).select_related("organisation"),
                to_attr="active_memberships",
            )
        )
        .order_by("-at", "-id")
    )


def household_organisations(household: Household) -> set[int]:
    """Organisations involved in a case: its owner, and the other sides of its referrals and transfers."""
    ids = {household.organisation_id}
    for from_id, to_id in Referral.objects.filter(household=household).values_list(
        "from_organisation_id", "to_organisation_id"
    ):
        ids.update((from_id, to_id))
    for from_id, to_id in Transfer.objects.filter(household=household).values_list(
        "from_organisation_id", "to_organisation_id"
    ):
        ids.update((from_id, to_id))
    return ids


@dataclass
class ReadRow:
    at: datetime
    name: str
    organisations: list[tuple[str, str]] = field(default_factory=list)  # (organisation, role label)
    reason: str = ""

    @property
    def reason_label(self) -> str:
        return str(READ_REASON_LABELS.get(self.reason, self.reason))


def read_rows(entries: Iterable[AuditEntry], organisation_ids: set[int]) -> list[ReadRow]:
    """The reads as shown to the person: the reader's name and the organisation(s) they read as.

    A reader belonging to several organisations is shown with those involved in the case
    (or all of them when none is).
    """
    rows = []
    for entry in entries:
        actor = entry.actor
        if actor is None:
            rows.append(ReadRow(at=entry.at, name=entry.actor_label or _("Automatic process"), reason=entry.reason))
            continue
        memberships = getattr(actor, "active_memberships", [])
        involved = [m for m in memberships if m.organisation_id in organisation_ids] or memberships
        rows.append(
            ReadRow(
                at=entry.at,
                name=actor.get_full_name() or entry.actor_label,
                organisations=[(m.organisation.name, str(m.get_role_display())) for m in involved],
                reason=entry.reason,
            )
        )
    return rows


# --- Export ------------------------------------------------------------------------------------


def household_export_objects(household: Household) -> dict[str, Any]:
    """Every record of a household, loaded in a fixed number of queries, for the JSON and the PDF."""
    persons = list(
        Person.objects.filter(household=household)
        .prefetch_related(
            Prefetch("documents", queryset=ResidenceDocument.objects.order_by("pk")),
            Prefetch("consents", queryset=Consent.objects.select_related("partner", "collected_by", "withdrawn_by")),
        )
        .order_by("pk")
    )
    appointments = list(
        Appointment.objects.filter(pk__in=Appointment.objects.filter(households=household).values("pk"))
        .annotate(household_count=Count("households"))
        .select_related("organisation", "created_by")
        .prefetch_related("staff")
        .order_by("starts_at", "pk")
    )
    outcomes = list(
        Outcome.objects.filter(household=household)
        .select_related("organisation", "recorded_by")
        .prefetch_related(Prefetch("follow_ups", queryset=FollowUp.objects.order_by("months")))
        .order_by("achieved_on", "pk")
    )
    return {
        "household": household,
        "persons": persons,
        "needs": list(
            Need.objects.filter(household=household).select_related("assessed_by").order_by("assessed_on", "pk")
        ),
        "goals": list(
            Goal.objects.filter(household=household)
            .prefetch_related(Prefetch("actions", queryset=Action.objects.select_related("assignee").order_by("pk")))
            .order_by("pk")
        ),
        "referrals": list(
            Referral.objects.filter(household=household)
            .select_related("from_organisation", "to_organisation", "service", "sent_by")
            .prefetch_related(Prefetch("events", queryset=ReferralEvent.objects.select_related("by")))
            .order_by("sent_at", "pk")
        ),
        "appointments": appointments,
        "journal": list(
            JournalEntry.objects.filter(household=household)
            .select_related("organisation", "author")
            .order_by("occurred_on", "pk")
        ),
        "attachments": list(
            Attachment.objects.filter(household=household).select_related("uploaded_by").order_by("uploaded_at", "pk")
        ),
        "outcomes": outcomes,
        "transfers": list(
            Transfer.objects.filter(household=household)
            .select_related("from_organisation", "to_organisation", "requested_by")
            .order_by("requested_at", "pk")
        ),
    }


def _value(obj: models.Model, f: models.Field) -> Any:
    value = getattr(obj, f.attname)
    if value is None:
        return None
    if f.is_relation:
        label = f.related_model._meta.label_lower  # type: ignore[union-attr]
        if label == "accounts.user":  # selected with the rows: a name, not an id
            related = getattr(obj, f.name)
            return related.get_full_name() or related.email
        if label in ("organisations.organisation", "directory.service"):
            related = getattr(obj, f.name)
            return {"id": related.pk, "name": related.name}
        return value  # another record of the export: its id
    if isinstance(value, datetime | date):
        return value.isoformat()
    if f.choices and not isinstance(value, list):
        return {"code": value, "label": str(dict(f.flatchoices).get(value, value))}  # type: ignore[arg-type]
    return value


def _row(obj: models.Model, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The concrete fields of a record (users by name, organisations and services by id and name)."""
    skipped = {"version", "search_names", *skip}
    return {
        f.name: _value(obj, f)  # type: ignore[arg-type]
        for f in obj._meta.concrete_fields
        if f.name not in skipped and not f.many_to_many
    }


def export_json(objects: dict[str, Any]) -> dict[str, Any]:
    """The export as JSON-friendly sections (see ``household_export_objects``)."""
    persons = objects["persons"]
    outcomes = objects["outcomes"]
    return {
        "format": "maillage-pathways-export/1",
        "exported_at": timezone.now().isoformat(),
        "household": _row(objects["household"], skip=("merged_into",)),
        "persons": [_row(p) for p in persons],
        "documents": [_row(d) for p in persons for d in p.documents.all()],
        "consents": [_row(c) for p in persons for c in p.consents.all()],
        "needs": [_row(n) for n in objects["needs"]],
        "goals": [{**_row(g), "actions": [_row(a) for a in g.actions.all()]} for g in objects["goals"]],
        "referrals": [{**_row(r), "events": [_row(e) for e in r.events.all()]} for r in objects["referrals"]],
        "appointments": [
            {
                # The notes of a visit to several households may speak of the others.
                **_row(a, skip=() if a.household_count == 1 else ("notes",)),
                "staff": [u.get_full_name() or u.email for u in a.staff.all()],
            }
            for a in objects["appointments"]
        ],
        "journal": [_row(j) for j in objects["journal"]],
        "attachments": [_row(a, skip=("file",)) for a in objects["attachments"]],
        "outcomes": [_row(o) for o in outcomes],
        "follow_ups": [_row(f) for o in outcomes for f in o.follow_ups.all()],
        "transfers": [_row(t) for t in objects["transfers"]],
    }


@transaction.atomic
def household_export(*, actor: Any, household: Household, fmt: str) -> dict[str, Any]:
    """Load every record of the household for an export and journal it (a read, reason "export")."""
    objects = household_export_objects(household)
    audit_read(actor=actor, obj=household, reason=f"{READ_REASON_EXPORT} ({fmt})")
    return objects


# --- Anonymisation -------------------------------------------------------------------------------


def _age(person: Person, today: date) -> int | None:
    if person.birth_date:
        born = person.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if person.birth_year:
        return today.year - person.birth_year
    return None


def _is_child(person: Person, today: date) -> bool:
    age = _age(person, today)
    return age < ADULT_AGE if age is not None else person.relation == enums.Relation.CHILD


def _department(household: Household) -> str:
    if household.commune_id is not None and household.commune is not None:
        return str(household.commune.department_id)
    first = household.organisation.departments.order_by("code").values_list("code", flat=True).first()
    return first or ""


def _erase(household: Household, *, now: datetime, actor: Any) -> list[str]:
    """Remove what identifies the persons of one household; return the files to delete."""
    persons = Person.objects.filter(household=household)
    ResidenceDocument.objects.filter(person__in=persons).delete()
    Consent.objects.filter(person__in=persons).delete()
    # Outcomes and their follow-ups stay for the indicators, detached from the persons.
    Outcome.objects.filter(Q(household=household) | Q(person__in=persons)).update(person=None, detail="")
    persons.update(
        first_name="",
        last_name="",
        aliases=[],
        birth_date=None,
        birth_year=None,
        sex="",
        languages=[],
        french_level="",
        residence_status="",
        phone="",
        email="",
        search_names="",
    )
    files = [name for name in Attachment.objects.filter(household=household).values_list("file", flat=True) if name]
    Attachment.objects.filter(household=household).delete()
    JournalEntry.objects.filter(Q(household=household) | Q(person__in=persons)).delete()
    Need.objects.filter(household=household).update(note="")
    Goal.objects.filter(household=household).update(title="")
    Action.objects.filter(goal__household=household).update(title="", actor_label="", blocker="")
    referrals = Referral.objects.filter(household=household)
    ReferralEvent.objects.filter(referral__in=referrals).update(note="")
    active = list(referrals.filter(status__in=enums.REFERRAL_SHARING_STATUSES).values_list("pk", flat=True))
    referrals.update(message="", refusal_reason="")
    if active:
        # The receiving organisations stop seeing the case, as when it is abandoned.
        Referral.objects.filter(pk__in=active).update(status=enums.ReferralStatus.ABANDONED, closed_at=now)
        ReferralEvent.objects.bulk_create(
            [
                ReferralEvent(
                    referral_id=pk,
                    status=enums.ReferralStatus.ABANDONED,
                    at=now,
                    by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                for pk in active
            ]
        )
    # Appointments of this household alone lose their free texts (group visits keep theirs).
    alone = (
        Appointment.objects.filter(pk__in=Appointment.objects.filter(households=household).values("pk"))
        .annotate(n=Count("households"))
        .filter(n=1)
        .values_list("pk", flat=True)
    )
    Appointment.objects.filter(pk__in=list(alone)).update(title="", notes="", location="")
    Transfer.objects.filter(household=household).update(reason="")
    # A transfer waiting for an answer can no longer happen.
    Transfer.objects.filter(household=household, status=enums.TransferStatus.REQUESTED).update(
        status=enums.TransferStatus.REFUSED, answered_at=now
    )
    Household.objects.filter(pk=household.pk).update(
        name="",
        address="",
        commune=None,
        domiciliation="",
        living_site=None,
        living_site_ref="",
        notes="",
        referent=None,
        status=enums.HouseholdStatus.ANONYMISED,
        anonymised_at=now,
        updated_at=now,
        version=models.F("version") + 1,
    )
    return files


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            cast(Storage, private_storage).delete(name)
        except OSError:  # already gone, or the disk refuses: the record is gone anyway
            logger.warning("Could not delete the attachment file of an anonymised case")


@transaction.atomic
def household_anonymise(
    *, actor: Any, household: Household, reason: str, now: datetime | None = None
) -> AnonymisedCase:
    """Erase the persons of a household and keep an anonymised statistical record of it.

    The households merged into it (duplicates of the same persons) are erased too. Files of
    the attachments are deleted from the disk once the transaction is committed.
    """
    if reason not in dict(ANONYMISE_REASONS):
        raise ValidationError({"reason": _("Choose the reason of the anonymisation.")})
    now = now or timezone.now()
    locked = (
        Household.objects.select_for_update(of=("self",)).select_related("organisation", "commune").get(pk=household.pk)
    )
    if locked.status == enums.HouseholdStatus.ANONYMISED:
        raise ValidationError(_("This household is already anonymised."))
    today = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    members = list(Person.objects.current().filter(household=locked))
    closed = locked.closed_at or now
    anonymised = AnonymisedCase(
        organisation_id=locked.organisation_id,
        department=_department(locked),
        opened_year=locked.created_at.year,
        closed_year=closed.year,
        members=len(members),
        children=sum(1 for p in members if _is_child(p, today)),
        anonymised_at=now,
    )
    anonymised.full_clean()
    anonymised.save()
    files: list[str] = []
    seen = {locked.pk}
    pending = [locked]
    while pending:  # the household, then those merged into it, recursively
        current = pending.pop()
        files += _erase(current, now=now, actor=actor)
        for merged in Household.objects.filter(merged_into=current).exclude(pk__in=seen):
            seen.add(merged.pk)
            pending.append(merged)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=locked,
        changes={"status": [locked.status, enums.HouseholdStatus.ANONYMISED], "merged_households": len(seen) - 1},
        reason=f"anonymised: {reason}",
    )
    transaction.on_commit(lambda: _delete_files(files))
    household.status = enums.HouseholdStatus.ANONYMISED
    household.anonymised_at = now
    household.name = ""
    return anonymised


def cases_anonymise_inactive(*, now: datetime | None = None) -> int:
    """Anonymise the cases without activity for ``PATHWAYS_RETENTION_DAYS`` (the daily job).

    Each case in its own transaction; running it twice anonymises nothing more.
    """
    now = now or timezone.now()
    days = int(getattr(settings, "PATHWAYS_RETENTION_DAYS", 2 * 365))
    cutoff = now - timedelta(days=days)
    ids = list(
        Household.objects.active().filter(last_activity_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)
    )
    count = 0
    for pk in ids:
        with transaction.atomic():
            household = (
                Household.objects.select_for_update().filter(pk=pk, last_activity_at__lt=cutoff).active().first()
            )
            if household is None:  # touched or anonymised in the meantime
                continue
            household_anonymise(actor=None, household=household, reason=REASON_RETENTION, now=now)
        count += 1
    if count:
        logger.info("Anonymised %d inactive cases", count)
    return count
