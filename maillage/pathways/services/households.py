"""Writes on households, persons and residence documents; merges of households and persons.

Every write to a case checks the household's ``version`` (optimistic locking, ``bump_version``)
when the caller gives the version it read, so a concurrent edit is refused with a clear message
and nothing is lost. Names, birth dates and contacts never appear in the audit entries: their
changes are journalled as "(changed, value not journalled)".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.living_sites.models import Site
from maillage.living_sites.permissions import living_site_errors
from maillage.organisations.models import Membership, Organisation
from maillage.territory.models import Commune
from maillage.territory.selectors import commune_from_code
from maillage.territory.text import normalize_search

from ..enums import HouseholdStatus, Relation, Sensitivity
from ..models import (
    Appointment,
    Attachment,
    Consent,
    Goal,
    Household,
    JournalEntry,
    Need,
    Outcome,
    Person,
    Referral,
    ResidenceDocument,
    Transfer,
)
from ..permissions import can_create_household
from .common import bump_version, household_touch

HOUSEHOLD_FIELDS = (
    "name",
    "referent",
    "living_place",
    "address",
    "commune",
    "domiciliation",
    "living_site",
    "living_site_ref",
    "notes",
    "status",
)
PERSON_FIELDS = (
    "relation",
    "first_name",
    "last_name",
    "aliases",
    "birth_date",
    "birth_year",
    "sex",
    "languages",
    "french_level",
    "residence_status",
    "phone",
    "email",
)
DOCUMENT_FIELDS = ("kind", "reference", "issued_on", "expires_on", "note")
# Personal values: their changes are journalled without the values.
SENSITIVE = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "aliases",
        "birth_date",
        "birth_year",
        "phone",
        "email",
        "address",
        "domiciliation",
        "living_site",
        "living_site_ref",
        "notes",
        "reference",
        "note",
        "residence_status",
        "sex",
        "languages",
        "french_level",
    }
)
MIN_BIRTH_YEAR = 1900
_UNSET = object()


# --- Helpers -------------------------------------------------------------------------------


def person_search_names(person: Person) -> str:
    """Lower-case, accent-free "first last aliases", kept in ``search_names`` on every write."""
    parts = [person.first_name, person.last_name, *(person.aliases or [])]
    person.search_names = normalize_search(" ".join(p for p in parts if p))
    return person.search_names


def _clean_aliases(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    seen: list[str] = []
    for alias in value or []:
        alias = str(alias).strip()
        if alias and alias not in seen:
            seen.append(alias)
    return seen


def _check_birth(person: Person) -> None:
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if person.birth_date is not None and person.birth_date > today:
        errors["birth_date"] = _("The birth date cannot be in the future.")
    if person.birth_date is not None and person.birth_date.year < MIN_BIRTH_YEAR:
        errors["birth_date"] = _("The birth date is too far in the past.")
    if person.birth_year is not None and not MIN_BIRTH_YEAR <= person.birth_year <= today.year:
        errors["birth_year"] = _("The birth year must be between %(min)s and %(max)s.") % {
            "min": MIN_BIRTH_YEAR,
            "max": today.year,
        }
    if person.birth_date is not None and person.birth_year is not None and person.birth_date.year != person.birth_year:
        errors["birth_year"] = _("The birth year does not match the birth date.")
    if errors:
        raise ValidationError(errors)


def _check_document(document: ResidenceDocument) -> None:
    if document.issued_on and document.expires_on and document.expires_on < document.issued_on:
        raise ValidationError({"expires_on": _("The expiry date cannot be before the issue date.")})
    if document.issued_on and document.issued_on > timezone.localdate():
        raise ValidationError({"issued_on": _("The issue date cannot be in the future.")})


def _check_referent(organisation_id: int, referent: Any) -> None:
    if referent is None:
        return
    if not Membership.objects.active().filter(user=referent, organisation_id=organisation_id).exists():
        raise ValidationError({"referent": _("The referent must be a member of the household's organisation.")})


def _check_living_site(actor: Any, household: Household, before_id: int | None) -> None:
    """A newly chosen living site must be an open site the actor sees (a site kept unchanged
    stays, even if it closed since)."""
    errors = living_site_errors(actor, household.living_site_id, kept_id=before_id)
    if errors:
        raise ValidationError(errors)


def _check_version(household: Household, expected_version: int | None) -> None:
    bump_version(Household, household, expected_version)


def _audit(actor: Any, action: str, obj: Any, before: Mapping[str, Any], after: Mapping[str, Any], **kw: Any) -> None:
    audit_record(actor=actor, action=action, obj=obj, changes=diff(before, after, sensitive=SENSITIVE), **kw)


def _set_person_fields(person: Person, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if key not in PERSON_FIELDS:
            raise ValidationError({key: _("This field cannot be changed.")})
        if key == "aliases":
            value = _clean_aliases(value)
        elif key == "languages":
            value = [str(v).strip().lower() for v in (value or []) if str(v).strip()]
        elif value is None and key in ("last_name", "sex", "french_level", "residence_status", "phone", "email"):
            value = ""
        setattr(person, key, value)
    _check_birth(person)
    person_search_names(person)


def _site_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, Site):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"living_site": _("Choose an open living site among those you see.")}) from None


def _set_household_fields(household: Household, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if key == "commune_code":
            key, value = "commune", value
        if key not in HOUSEHOLD_FIELDS:
            raise ValidationError({key: _("This field cannot be changed.")})
        if key == "commune" and value is not None and not isinstance(value, Commune):
            value = commune_from_code(value, field="commune_code") if value else None
        if key == "living_site":
            key, value = "living_site_id", _site_id(value)
        if value is None and key in ("address", "domiciliation", "living_site_ref", "notes"):
            value = ""
        setattr(household, key, value)


# --- Households ----------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *, actor: Any, organisation: Organisation, reference_person: Mapping[str, Any], **fields: Any
) -> Household:
    """A new household of ``organisation`` with its reference person."""
    if not can_create_household(actor, organisation.pk):
        raise PermissionDenied
    household = Household(organisation=organisation)
    _set_household_fields(household, fields)
    _check_referent(organisation.pk, household.referent)
    _check_living_site(actor, household, None)
    household.full_clean()
    household.save()
    person = Person(household=household)
    _set_person_fields(person, {"relation": Relation.REFERENCE, **reference_person})
    person.full_clean()
    person.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=household,
        changes=diff({}, model_snapshot(household, ["organisation", *HOUSEHOLD_FIELDS]), sensitive=SENSITIVE),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=person,
        changes=diff({}, model_snapshot(person, ["household", *PERSON_FIELDS]), sensitive=SENSITIVE),
    )
    return household


@transaction.atomic
def household_update(*, actor: Any, household: Household, expected_version: int | None, **fields: Any) -> Household:
    locked = Household.objects.select_for_update().get(pk=household.pk)
    before = model_snapshot(locked, list(HOUSEHOLD_FIELDS))
    _set_household_fields(locked, fields)
    if locked.status in (HouseholdStatus.MERGED, HouseholdStatus.ANONYMISED) and before["status"] != locked.status:
        raise ValidationError({"status": _("This status is set by a merge or an anonymisation only.")})
    if locked.status == HouseholdStatus.CLOSED and before["status"] != HouseholdStatus.CLOSED:
        locked.closed_at = timezone.now()
    elif locked.status != HouseholdStatus.CLOSED:
        locked.closed_at = None
    _check_referent(locked.organisation_id, locked.referent)
    _check_living_site(actor, locked, int(before["living_site"]) if before["living_site"] else None)
    locked.full_clean()
    _check_version(locked, expected_version)
    locked.save()
    household_touch(locked)
    _audit(actor, AuditAction.UPDATE, locked, before, model_snapshot(locked, list(HOUSEHOLD_FIELDS)))
    return locked


# --- Persons -------------------------------------------------------------------------------


@transaction.atomic
def person_create(*, actor: Any, household: Household, expected_version: int | None, **fields: Any) -> Person:
    """Add a member to the household (``relation`` says who they are to the reference person)."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    person = Person(household=locked)
    fields.setdefault("relation", Relation.OTHER)
    _set_person_fields(person, fields)
    person.full_clean()
    _check_version(locked, expected_version)
    person.save()
    household_touch(locked)
    household.version = locked.version
    _audit(actor, AuditAction.CREATE, person, {}, model_snapshot(person, ["household", *PERSON_FIELDS]))
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, expected_version: int | None, **fields: Any) -> Person:
    household = Household.objects.select_for_update().get(pk=person.household_id)
    locked = Person.objects.get(pk=person.pk)
    before = model_snapshot(locked, list(PERSON_FIELDS))
    _set_person_fields(locked, fields)
    locked.full_clean()
    _check_version(household, expected_version)
    locked.save()
    household_touch(household)
    _audit(actor, AuditAction.UPDATE, locked, before, model_snapshot(locked, list(PERSON_FIELDS)))
    return locked


# --- Residence documents -------------------------------------------------------------------


def _document_save(actor: Any, document: ResidenceDocument, fields: Mapping[str, Any], expected: int | None) -> None:
    household = Household.objects.select_for_update().get(pk=document.person.household_id)
    created = document.pk is None
    before = {} if created else model_snapshot(document, list(DOCUMENT_FIELDS))
    for key, value in fields.items():
        if key not in DOCUMENT_FIELDS:
            raise ValidationError({key: _("This field cannot be changed.")})
        if value is None and key in ("reference", "note"):
            value = ""
        setattr(document, key, value)
    _check_document(document)
    document.full_clean()
    _check_version(household, expected)
    document.save()
    household_touch(household)
    after = model_snapshot(document, ["person", *DOCUMENT_FIELDS] if created else list(DOCUMENT_FIELDS))
    _audit(actor, AuditAction.CREATE if created else AuditAction.UPDATE, document, before, after)


@transaction.atomic
def document_create(*, actor: Any, person: Person, expected_version: int | None, **fields: Any) -> ResidenceDocument:
    document = ResidenceDocument(person=person)
    _document_save(actor, document, fields, expected_version)
    return document


@transaction.atomic
def document_update(
    *, actor: Any, document: ResidenceDocument, expected_version: int | None, **fields: Any
) -> ResidenceDocument:
    locked = ResidenceDocument.objects.select_related("person").get(pk=document.pk)
    _document_save(actor, locked, fields, expected_version)
    return locked


@transaction.atomic
def document_delete(*, actor: Any, document: ResidenceDocument, expected_version: int | None) -> None:
    household = Household.objects.select_for_update().get(pk=document.person.household_id)
    _check_version(household, expected_version)
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=document,
        changes={"kind": [document.kind, None], "person": [str(document.person_id), None]},
    )
    document.delete()
    household_touch(household)


# --- Merges --------------------------------------------------------------------------------


def _move(queryset: Any, **values: Any) -> int:
    return int(queryset.update(**values))


@transaction.atomic
def household_merge(*, actor: Any, kept: Household, other: Household, expected_version: int | None = None) -> Household:
    """Move everything of ``other`` to ``kept``; ``other`` stays, marked merged, for history.

    The other household's reference person becomes an "other" member of the kept household
    (the kept household keeps its reference person).
    """
    if kept.pk == other.pk:
        raise ValidationError(_("A household cannot be merged with itself."))
    first, second = sorted([kept.pk, other.pk])
    locked = {h.pk: h for h in Household.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
    kept_l, other_l = locked[kept.pk], locked[other.pk]
    if kept_l.organisation_id != other_l.organisation_id:
        raise ValidationError(_("Only households of the same organisation can be merged."))
    inactive = (HouseholdStatus.MERGED, HouseholdStatus.ANONYMISED)
    if kept_l.status in inactive or other_l.status in inactive:
        raise ValidationError(_("This household was already merged or anonymised."))
    _check_version(kept_l, expected_version)
    moved: dict[str, int] = {}
    moved["members"] = _move(
        Person.objects.filter(household=other_l, relation=Relation.REFERENCE), household=kept_l, relation=Relation.OTHER
    )
    moved["members"] += _move(Person.objects.filter(household=other_l), household=kept_l)
    for label, model in (
        ("needs", Need),
        ("goals", Goal),
        ("referrals", Referral),
        ("journal", JournalEntry),
        ("attachments", Attachment),
        ("outcomes", Outcome),
        ("transfers", Transfer),
    ):
        moved[label] = _move(model.objects.filter(household=other_l), household=kept_l)
    through = Appointment.households.through
    already = through.objects.filter(household_id=kept_l.pk).values("appointment_id")
    through.objects.filter(household_id=other_l.pk, appointment_id__in=already).delete()
    moved["appointments"] = _move(through.objects.filter(household_id=other_l.pk), household_id=kept_l.pk)
    previous_status = other_l.status
    other_l.status = HouseholdStatus.MERGED
    other_l.merged_into = kept_l
    other_l.closed_at = timezone.now()
    other_l.full_clean()
    other_l.save(update_fields=["status", "merged_into", "closed_at"])
    Household.objects.filter(pk=other_l.pk).update(version=other_l.version + 1)
    entry = JournalEntry(
        household=kept_l,
        organisation_id=kept_l.organisation_id,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        sensitivity=Sensitivity.GENERAL,
        text=_("Merged from household #%(pk)s.") % {"pk": other_l.pk},
    )
    entry.full_clean()
    entry.save()
    household_touch(kept_l)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=kept_l,
        changes={"merged_from": str(other_l.pk), "moved": moved},
        reason="household merge",
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=other_l,
        changes={"status": [previous_status, HouseholdStatus.MERGED], "merged_into": [None, str(kept_l.pk)]},
        reason="household merge",
    )
    kept.version = kept_l.version
    return kept_l


def _names_of(person: Person) -> Iterable[str]:
    full = f"{person.first_name} {person.last_name}".strip()
    return [full, *(person.aliases or [])]


@transaction.atomic
def person_merge(*, actor: Any, kept: Person, other: Person, expected_version: int | None = None) -> Person:
    """Keep ``kept``; move the other's documents, consents, needs, goals, outcomes and journal
    entries to it, add the other's names to its aliases, and mark the other merged."""
    if kept.pk == other.pk:
        raise ValidationError(_("A person cannot be merged with themselves."))
    household = Household.objects.select_for_update().get(pk=kept.household_id)
    kept_l = Person.objects.get(pk=kept.pk)
    other_l = Person.objects.get(pk=other.pk)
    if kept_l.household_id != other_l.household_id:
        raise ValidationError(_("Merge the households first: both persons must be in the same household."))
    if kept_l.merged_into_id or other_l.merged_into_id:
        raise ValidationError(_("This person was already merged."))
    _check_version(household, expected_version)
    moved = {
        "documents": _move(ResidenceDocument.objects.filter(person=other_l), person=kept_l),
        "consents": _move(Consent.objects.filter(person=other_l), person=kept_l),
        "needs": _move(Need.objects.filter(person=other_l), person=kept_l),
        "goals": _move(Goal.objects.filter(person=other_l), person=kept_l),
        "outcomes": _move(Outcome.objects.filter(person=other_l), person=kept_l),
        "journal": _move(JournalEntry.objects.filter(person=other_l), person=kept_l),
    }
    own = {normalize_search(n) for n in _names_of(kept_l)}
    aliases = list(kept_l.aliases or [])
    for name in _names_of(other_l):
        if name and normalize_search(name) not in own:
            aliases.append(name)
            own.add(normalize_search(name))
    kept_l.aliases = aliases
    if kept_l.birth_date is None and kept_l.birth_year is None:
        kept_l.birth_date, kept_l.birth_year = other_l.birth_date, other_l.birth_year
    if other_l.relation == Relation.REFERENCE:
        kept_l.relation = Relation.REFERENCE
    person_search_names(kept_l)
    kept_l.full_clean()
    kept_l.save()
    other_l.merged_into = kept_l
    if other_l.relation == Relation.REFERENCE:
        other_l.relation = Relation.OTHER
    other_l.save(update_fields=["merged_into", "relation"])
    household_touch(household)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=kept_l,
        changes={"merged_from": str(other_l.pk), "moved": moved, "aliases": "(changed, value not journalled)"},
        reason="person merge",
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=other_l,
        changes={"merged_into": [None, str(kept_l.pk)]},
        reason="person merge",
    )
    return kept_l


def person_age(person: Person, today: date | None = None) -> int | None:
    """Age in years (from the birth date, or approximately from the birth year)."""
    today = today or timezone.localdate()
    if person.birth_date:
        born = person.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if person.birth_year:
        return today.year - person.birth_year
    return None
