"""Consent of the persons followed, per purpose.

Sharing follows consent live: ``permissions.active_referrals`` checks, at each request, that
the reference person consents to sharing with the receiving organisation. Withdrawing that
consent therefore stops the sharing at once; ``consent_withdraw`` also tells the receiving
organisations and notes it in the history of the referrals concerned.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record
from maillage.organisations.models import Organisation

from ..enums import ConsentPurpose, HouseholdStatus
from ..models import Consent, Person, Referral, ReferralEvent
from ..permissions import active_referrals
from .common import household_touch
from .notifications import notify, organisation_recipients

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


@transaction.atomic
def consent_give(
    *,
    actor: Any,
    person: Person,
    purpose: str,
    partner: Organisation | None = None,
    language: str,
    given_on: date,
) -> Consent:
    household = person.household
    errors: dict[str, str] = {}
    if household.status != HouseholdStatus.OPEN:
        raise ValidationError(_("This household is not followed any more: no consent can be recorded."))
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose a purpose.")
    if purpose == ConsentPurpose.SHARING:
        if partner is None:
            errors["partner"] = _("Choose the partner organisation the person agrees to share with.")
        elif partner.pk == household.organisation_id:
            errors["partner"] = _("Choose another organisation than the one following the household.")
        elif not partner.is_active:
            errors["partner"] = _("This organisation is not active any more.")
    elif partner is not None:
        errors["partner"] = _("A partner organisation is only chosen for the purpose of sharing.")
    if language not in LANGUAGE_CODES:
        errors["language"] = _("Choose the language in which the consent was explained.")
    if given_on and given_on > timezone.localdate():
        errors["given_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    duplicate = Consent.objects.filter(person=person, purpose=purpose, partner=partner, withdrawn_on__isnull=True)
    if duplicate.exists():
        raise ValidationError(_("This person has already given this consent; it is still valid."))
    consent = Consent(
        person=person,
        purpose=purpose,
        partner=partner,
        language=language,
        given_on=given_on,
        collected_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=consent,
        changes={
            "household": [None, str(household.pk)],
            "person": [None, str(person.pk)],
            "purpose": [None, purpose],
            "partner": [None, str(partner.pk) if partner else None],
            "language": [None, language],
            "given_on": [None, str(given_on)],
        },
    )
    household_touch(household)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Any, consent: Consent) -> Consent:
    consent = Consent.objects.select_for_update().select_related("person__household").get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise ValidationError(_("This consent has already been withdrawn."))
    household = consent.person.household
    # The referrals through which the partner sees the case now, to tell them it stops.
    sharing_before = set()
    if consent.purpose == ConsentPurpose.SHARING:
        sharing_before = set(
            active_referrals()
            .filter(household=household, to_organisation_id=consent.partner_id)
            .values_list("pk", flat=True)
        )
    consent.withdrawn_on = timezone.localdate()
    consent.withdrawn_by = actor if getattr(actor, "is_authenticated", False) else None
    consent.full_clean()
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=consent,
        changes={"withdrawn_on": [None, str(consent.withdrawn_on)], "household": str(household.pk)},
    )
    if sharing_before:
        still = set(active_referrals().filter(pk__in=sharing_before).values_list("pk", flat=True))
        stopped = Referral.objects.filter(pk__in=sharing_before - still).order_by("pk")
        for referral in stopped:
            _sharing_stopped(actor=actor, referral=referral)
    household_touch(household)
    return consent


def _sharing_stopped(*, actor: Any, referral: Referral) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        status=referral.status,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        note=_("Sharing stopped: the person withdrew their consent to share with this organisation."),
    )
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=referral, changes={"sharing": "stopped (consent withdrawn)"}
    )
    url = reverse("pathways:referral_detail", args=[referral.pk])
    link = settings.SITE_URL + url
    notify(
        users=organisation_recipients(referral.to_organisation_id),
        text=lambda: _("Referral #%(id)s: sharing stopped, the person withdrew their consent.") % {"id": referral.pk},
        url=url,
        email_subject=lambda: _("Maillage: sharing stopped for a referral"),
        email_body=lambda: (
            _(
                "The sharing of a referral sent to your organisation stopped: the person withdrew their consent. "
                "Open Maillage to see the referral:\n%(link)s"
            )
            % {"link": link}
        ),
    )
