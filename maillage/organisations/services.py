"""Writes on organisations, memberships and invitations.

Each service is keyword-only, runs in one transaction, validates with full_clean before
writing and appends an audit entry. Permission checks stay in views and API endpoints
(through permissions.py); services check the invariants that hold whoever calls them.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.accounts.models import User
from maillage.accounts.services import user_create
from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.territory.selectors import commune_from_code, departments_from_codes

from .enums import Role
from .models import Invitation, Membership, Organisation, hash_invitation
from .permissions import forget_access

logger = logging.getLogger(__name__)

ORGANISATION_FIELDS = ["name", "acronym", "kind", "siret", "address", "commune", "email", "phone", "website"]


@transaction.atomic
def organisation_create(
    *, actor: Any, name: str, kind: str, departments: Iterable[str] = (), commune: str | None = None, **fields: Any
) -> Organisation:
    organisation = Organisation(name=name, kind=kind, commune=commune_from_code(commune), **fields)
    department_objs = departments_from_codes(departments)
    organisation.full_clean()
    organisation.save()
    organisation.departments.set(department_objs)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=organisation,
        changes=diff({}, model_snapshot(organisation, [*ORGANISATION_FIELDS, "departments"])),
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: Any, organisation: Organisation, departments: Iterable[str] | None = None, **fields: Any
) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = model_snapshot(organisation, [*ORGANISATION_FIELDS, "departments", "is_active"])
    if "commune" in fields:
        fields["commune"] = commune_from_code(fields["commune"])
    for key, value in fields.items():
        if key not in [*ORGANISATION_FIELDS, "is_active"]:
            raise ValidationError({key: _("This field cannot be changed.")})
        setattr(organisation, key, value)
    department_objs = departments_from_codes(departments) if departments is not None else None
    organisation.full_clean()
    organisation.save()
    if department_objs is not None:
        organisation.departments.set(department_objs)
    after = model_snapshot(organisation, [*ORGANISATION_FIELDS, "departments", "is_active"])
    changes = diff(before, after)
    if changes:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=organisation, changes=changes)
    return organisation


@transaction.atomic
def membership_create(*, actor: Any, organisation: Organisation, user: User, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if not created:
        return membership_update(actor=actor, membership=membership, role=role, is_active=True)
    membership.full_clean()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=membership,
        changes={"user": [None, user.email], "organisation": [None, organisation.pk], "role": [None, role]},
    )
    forget_access(user)
    return membership


@transaction.atomic
def membership_update(*, actor: Any, membership: Membership, role: str, is_active: bool) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    before = {"role": membership.role, "is_active": membership.is_active}
    membership.role, membership.is_active = role, is_active
    membership.full_clean()
    if before["role"] == Role.ADMIN and (role != Role.ADMIN or not is_active):
        remaining = Membership.objects.active().filter(role=Role.ADMIN).exclude(pk=membership.pk).exists()
        if not remaining:
            raise ValidationError({"role": _("The platform must keep at least one active administrator.")})
    membership.save(update_fields=["role", "is_active"])
    changes = diff(before, {"role": role, "is_active": is_active})
    if changes:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=membership, changes=changes)
    forget_access(membership.user)
    return membership


@transaction.atomic
def invitation_send(*, actor: Any, organisation: Organisation, email: str, role: str) -> Invitation:
    """Record an invitation and e-mail its link (sent after the transaction commits)."""
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation=organisation,
        email=email.strip().lower(),
        role=role,
        token_hash=hash_invitation(raw),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.full_clean()
    Invitation.objects.pending().filter(organisation=organisation, email=invitation.email).update(
        revoked_at=timezone.now()
    )
    invitation.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=invitation,
        changes={"email": [None, invitation.email], "role": [None, role]},
    )
    link = settings.SITE_URL + reverse("organisations:invitation_accept", args=[raw])
    context = {"invitation": invitation, "link": link, "inviter": actor, "days": settings.INVITATION_VALID_DAYS}
    subject = _("Invitation to join %(organisation)s on Maillage") % {"organisation": organisation.name}
    body = render_to_string("organisations/email/invitation.txt", context)
    transaction.on_commit(lambda: _send_invitation_mail(subject, body, invitation.email))
    return invitation


def _send_invitation_mail(subject: str, body: str, email: str) -> None:
    """The invitation is saved whatever happens to the e-mail: a failure is logged, and the
    pending invitation stays visible on the organisation's page to be sent again."""
    try:
        send_mail(subject, body, None, [email])
    except (OSError, smtplib.SMTPException):
        logger.exception("invitation e-mail to %s could not be sent", email.split("@")[-1])


def invitation_get_pending(raw: str) -> Invitation | None:
    return Invitation.objects.pending().select_related("organisation").filter(token_hash=hash_invitation(raw)).first()


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Accept as a logged-in ``user`` or create the account from the invitation's address."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation is no longer valid."))
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(_("An account already exists for this address: log in to accept."))
        user = user_create(
            actor=None, email=invitation.email, password=password, first_name=first_name, last_name=last_name
        )
    elif user.email.lower() != invitation.email:
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, action=AuditAction.UPDATE, obj=invitation, changes={"accepted": [False, True]})
    return membership_create(actor=user, organisation=invitation.organisation, user=user, role=invitation.role)


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=invitation, changes={"revoked": [False, True]})
