"""Transfers of a household to another organisation (it moved to another territory…).

The owning organisation asks; the reference person must consent to sharing with the target
organisation; the target's managers or professionals accept or refuse. On acceptance the
household belongs to the target (the policy follows ``Household.organisation``): the former
organisation loses access, the history stays (the transfer, audit entries, a journal entry).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.organisations.models import Organisation
from maillage.organisations.permissions import access_for

from .. import enums
from ..models import Consent, Household, JournalEntry, Transfer
from ..permissions import EDITING_ROLES
from .common import household_touch
from .notifications import notify, organisation_recipients

OPEN_STATUSES = (enums.HouseholdStatus.OPEN, enums.HouseholdStatus.CLOSED, enums.HouseholdStatus.TRANSFERRED)


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(f"pathways:{name}", args=args)
    except NoReverseMatch:  # the page of another area is not there (yet)
        return ""


def _users(ids: Iterable[int | None]) -> list[User]:
    return list(User.objects.filter(pk__in=[i for i in ids if i is not None], is_active=True).order_by("pk"))


def sharing_consented(household: Household, organisation_id: int) -> bool:
    """Does the household's reference person consent to sharing with this organisation?"""
    return Consent.objects.filter(
        person__household=household,
        person__relation=enums.Relation.REFERENCE,
        purpose=enums.ConsentPurpose.SHARING,
        partner_id=organisation_id,
        withdrawn_on__isnull=True,
    ).exists()


def pending_transfer(household: Household) -> Transfer | None:
    return (
        Transfer.objects.filter(household=household, status=enums.TransferStatus.REQUESTED)
        .select_related("to_organisation")
        .first()
    )


@transaction.atomic
def transfer_request(*, actor: Any, household: Household, to_organisation: Organisation, reason: str = "") -> Transfer:
    """Ask ``to_organisation`` to take over the household. Needs the reference person's consent."""
    locked = Household.objects.select_for_update().get(pk=household.pk)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("This household cannot be transferred."))
    if to_organisation.pk == locked.organisation_id:
        raise ValidationError({"to_organisation": _("The household already belongs to this organisation.")})
    if not to_organisation.is_active:
        raise ValidationError({"to_organisation": _("This organisation is no longer active.")})
    if pending_transfer(locked) is not None:
        raise ValidationError(_("A transfer of this household is already waiting for an answer."))
    if not sharing_consented(locked, to_organisation.pk):
        raise ValidationError(
            {
                "to_organisation": _(
                    "The reference person has not consented to sharing their data with this organisation. "
                    "Record their consent first (purpose: sharing with a named partner organisation)."
                )
            }
        )
    transfer = Transfer(
        household=locked,
        from_organisation_id=locked.organisation_id,
        to_organisation=to_organisation,
        reason=reason.strip(),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        requested_at=timezone.now(),
    )
    transfer.full_clean()
    transfer.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=transfer,
        changes={
            "household": str(locked.pk),
            "from_organisation": str(locked.organisation_id),
            "to_organisation": str(to_organisation.pk),
        },
    )
    household_touch(locked)
    from_name = locked.organisation.name
    notify(
        users=organisation_recipients(to_organisation.pk, exclude=actor),
        text=lambda: (
            _("Transfer #%(number)s requested by %(organisation)s: a household would move to you.")
            % {"number": transfer.pk, "organisation": from_name}
        ),
        url=_url("transfer_inbox"),
    )
    return transfer


@transaction.atomic
def transfer_answer(*, actor: Any, transfer: Transfer, accept: bool) -> Transfer:
    """Accept (the household moves to the target organisation) or refuse a requested transfer."""
    locked = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("from_organisation", "to_organisation")
        .get(pk=transfer.pk)
    )
    if locked.status != enums.TransferStatus.REQUESTED:
        raise ValidationError(_("This transfer has already been answered."))
    if actor is not None and access_for(actor).role_in(locked.to_organisation_id) not in EDITING_ROLES:
        raise ValidationError(_("Only the managers and professionals of the receiving organisation may answer."))
    household = Household.objects.select_for_update().get(pk=locked.household_id)
    if accept:
        if household.status not in OPEN_STATUSES or household.organisation_id != locked.from_organisation_id:
            raise ValidationError(_("This household can no longer be transferred: refuse the transfer."))
        if not sharing_consented(household, locked.to_organisation_id):
            raise ValidationError(
                _("The person withdrew their consent to sharing with your organisation: refuse the transfer.")
            )
    now = timezone.now()
    locked.status = enums.TransferStatus.ACCEPTED if accept else enums.TransferStatus.REFUSED
    locked.answered_at = now
    locked.full_clean()
    locked.save(update_fields=["status", "answered_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        changes={"status": [enums.TransferStatus.REQUESTED, locked.status]},
    )
    former_referent = household.referent_id
    if accept:
        changes = {
            "organisation": [str(household.organisation_id), str(locked.to_organisation_id)],
            "referent": [None if former_referent is None else str(former_referent), None],
        }
        household.organisation_id = locked.to_organisation_id
        household.referent = None
        household.updated_at = now
        household.version += 1
        household.full_clean()
        household.save(update_fields=["organisation", "referent", "updated_at", "version"])
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=household, changes=changes, reason="transfer")
        entry = JournalEntry(
            household=household,
            organisation_id=locked.to_organisation_id,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            sensitivity=enums.Sensitivity.GENERAL,
            occurred_on=timezone.localdate(now),
            text=_("Transferred from organisation %(organisation)s.") % {"organisation": locked.from_organisation.name},
        )
        entry.full_clean()
        entry.save()
        household_touch(household)
    # Both sides are told: the former organisation (the requester, the former referent) and the new one.
    former = _users([locked.requested_by_id, former_referent])
    to_name = locked.to_organisation.name
    number = household.pk
    if accept:
        notify(
            users=former,
            text=lambda: (
                _("Transfer accepted: household #%(number)s now belongs to %(organisation)s.")
                % {"number": number, "organisation": to_name}
            ),
        )
        notify(
            users=organisation_recipients(locked.to_organisation_id, exclude=actor),
            text=lambda: _("Household #%(number)s was transferred to your organisation.") % {"number": number},
            url=_url("household_detail", number),
        )
    else:
        notify(
            users=former,
            text=lambda: (
                _("Transfer refused by %(organisation)s: household #%(number)s stays with your organisation.")
                % {"number": number, "organisation": to_name}
            ),
            url=_url("transfer", number),
        )
    transfer.status, transfer.answered_at = locked.status, locked.answered_at
    return locked
