"""Referrals of a household to a directory service of another organisation.

States and moves are in ``enums.REFERRAL_TRANSITIONS``; the receiving organisation answers
(accept, refuse with a reason, in progress, done, abandon), the sending one may abandon.
Each move is an event (history and delays), an audit entry and a notification of the other
side. What is shared is chosen at sending and needs the reference person's consent to share
with the receiving organisation; the policy checks that consent at each request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.directory.models import Service
from maillage.organisations.permissions import access_for

from ..enums import REFERRAL_TRANSITIONS, ConsentPurpose, HouseholdStatus, ReferralStatus, Relation, SharedItem
from ..models import Consent, Household, Referral, ReferralEvent
from ..permissions import EDITING_ROLES, can_answer_referral
from .common import bump_version, household_touch
from .notifications import notify, organisation_recipients

ANSWERS = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.REFUSED})
CLOSING = frozenset({ReferralStatus.REFUSED, ReferralStatus.DONE, ReferralStatus.ABANDONED})


def referrable_services() -> QuerySet[Service]:
    """Open directory services whose structure belongs to an active organisation of the network."""
    return Service.objects.filter(
        is_active=True,
        structure__is_active=True,
        structure__organisation__isnull=False,
        structure__organisation__is_active=True,
    )


def sharing_consent_exists(household: Household, organisation_id: int) -> bool:
    return Consent.objects.filter(
        person__household=household,
        person__relation=Relation.REFERENCE,
        purpose=ConsentPurpose.SHARING,
        partner_id=organisation_id,
        withdrawn_on__isnull=True,
    ).exists()


def with_delays(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``time_to_answer`` and ``time_to_close`` (durations, or None)."""
    return qs.annotate(
        time_to_answer=ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField()),
        time_to_close=ExpressionWrapper(F("closed_at") - F("sent_at"), output_field=DurationField()),
    )


@transaction.atomic
def referral_send(
    *, actor: Any, household: Household, service: Service, shared: Iterable[str], message: str = ""
) -> Referral:
    chosen = set(shared)
    if household.status != HouseholdStatus.OPEN:
        raise ValidationError(_("This household is not followed any more: no referral can be sent."))
    if chosen - set(SharedItem.values):
        raise ValidationError({"shared": _("Choose what is shared among the items offered.")})
    shared = [item for item in SharedItem.values if item in chosen]  # in the order of the list
    # Read the service again: it may have closed since the form was shown.
    service = Service.objects.select_related("structure__organisation").get(pk=service.pk)
    structure = service.structure
    organisation = structure.organisation
    if not service.is_active or not structure.is_active:
        raise ValidationError({"service": _("This service is closed: choose another one.")})
    if organisation is None or not organisation.is_active:
        raise ValidationError(
            {"service": _("This service is not run by an organisation of the network: contact it directly.")}
        )
    if organisation.pk == household.organisation_id:
        raise ValidationError({"service": _("Choose a service of another organisation.")})
    if shared and not sharing_consent_exists(household, organisation.pk):
        raise ValidationError(
            _(
                "The reference person has not consented to share information with %(organisation)s. "
                "Collect this consent first (Consents page), or send the referral without sharing anything."
            )
            % {"organisation": organisation.name},
            code="consent_required",
        )
    now = timezone.now()
    referral = Referral(
        household=household,
        from_organisation_id=household.organisation_id,
        to_organisation=organisation,
        service=service,
        status=ReferralStatus.SENT,
        shared=shared,
        message=message.strip(),
        sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        sent_at=now,
    )
    referral.full_clean()
    referral.save()
    ReferralEvent.objects.create(referral=referral, status=ReferralStatus.SENT, at=now, by=referral.sent_by)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=referral,
        changes={
            "household": [None, str(household.pk)],
            "to_organisation": [None, str(organisation.pk)],
            "service": [None, str(service.pk)],
            "shared": [None, shared],
        },
    )
    household_touch(household)
    url = reverse("pathways:referral_detail", args=[referral.pk])
    link = settings.SITE_URL + url
    sender = household.organisation.name
    notify(
        users=organisation_recipients(organisation.pk, exclude=actor),
        text=lambda: (
            _("Referral #%(id)s received from %(organisation)s.") % {"id": referral.pk, "organisation": sender}
        ),
        url=url,
        email_subject=lambda: _("Maillage: a referral was sent to your organisation"),
        email_body=lambda: (
            _("A referral was sent to your organisation; open Maillage to see it:\n%(link)s") % {"link": link}
        ),
    )
    return referral


def referral_moves_for(user: Any, referral: Referral) -> list[str]:
    """The statuses this user may move the referral to now (the receiver answers, the sender abandons)."""
    allowed = REFERRAL_TRANSITIONS.get(referral.status, frozenset())
    moves: set[str] = set()
    if can_answer_referral(user, referral):
        moves |= set(allowed)
    if access_for(user).role_in(referral.from_organisation_id) in EDITING_ROLES and (
        ReferralStatus.ABANDONED in allowed
    ):
        moves.add(ReferralStatus.ABANDONED)
    return [status for status in ReferralStatus.values if status in moves]


@transaction.atomic
def referral_transition(
    *, actor: Any, referral: Referral, status: str, note: str = "", expected_version: int | None
) -> Referral:
    referral = Referral.objects.select_for_update().select_related("household").get(pk=referral.pk)
    old = referral.status
    note = (note or "").strip()
    if status not in REFERRAL_TRANSITIONS.get(old, frozenset()):
        raise ValidationError(
            {
                "status": _("A referral cannot go from “%(old)s” to “%(new)s”.")
                % {"old": ReferralStatus(old).label, "new": _label(status)}
            }
        )
    if status not in referral_moves_for(actor, referral):
        raise ValidationError({"status": _("You may not make this change on this referral.")})
    if status == ReferralStatus.REFUSED and not note:
        raise ValidationError({"note": _("Give the reason of the refusal.")})
    bump_version(Referral, referral, expected_version)
    now = timezone.now()
    referral.status = status
    if status in ANSWERS and referral.answered_at is None:
        referral.answered_at = now
    if status in CLOSING:
        referral.closed_at = now
    if status == ReferralStatus.REFUSED:
        referral.refusal_reason = note
    referral.full_clean(exclude=["sent_by"])  # the sender's account may have been deleted since
    referral.save(update_fields=["status", "answered_at", "closed_at", "refusal_reason"])
    by = actor if getattr(actor, "is_authenticated", False) else None
    ReferralEvent.objects.create(referral=referral, status=status, at=now, by=by, note=note)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=referral, changes={"status": [old, status]})
    household_touch(referral.household)
    _notify_other_side(actor=actor, referral=referral)
    return referral


def _label(status: str) -> str:
    try:
        return str(ReferralStatus(status).label)
    except ValueError:
        return status


def _notify_other_side(*, actor: Any, referral: Referral) -> None:
    """The receiver moved: tell the sender (the person who sent it, or their organisation's staff);
    the sender abandoned: tell the receiving organisation."""
    url = reverse("pathways:referral_detail", args=[referral.pk])
    link = settings.SITE_URL + url
    status = referral.status
    if can_answer_referral(actor, referral):
        sender = referral.sent_by
        if sender is not None and sender.is_active and sender.pk != actor.pk:
            users = [sender]
        else:
            users = organisation_recipients(referral.from_organisation_id, exclude=actor)
    else:
        users = organisation_recipients(referral.to_organisation_id, exclude=actor)
    notify(
        users=users,
        text=lambda: _("Referral #%(id)s is now: %(status)s.") % {"id": referral.pk, "status": _label(status)},
        url=url,
        email_subject=lambda: _("Maillage: a referral changed"),
        email_body=lambda: (
            _("A referral of your organisation changed; open Maillage to see it:\n%(link)s") % {"link": link}
        ),
    )


def format_delay(delay: timedelta | None) -> str:
    """A delay in days and hours, for the pages ("2 days 3 h")."""
    if delay is None:
        return ""
    hours = int(delay.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    minutes = int(delay.total_seconds() // 60) % 60
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
