"""In-app notifications and their e-mails.

A notification's text and an e-mail never carry personal data: they name the referral
("Referral #12") and the organisations, never the household nor a person. The reader opens
Maillage, where the policy decides what they see. Texts are written in each recipient's
preferred language.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from maillage.accounts.models import User
from maillage.organisations.enums import Role
from maillage.organisations.models import Membership

from ..models import Notification

logger = logging.getLogger(__name__)

# Who is told of what happens to their organisation's referrals.
NOTIFIED_ROLES = (Role.MANAGER, Role.PROFESSIONAL)


def organisation_recipients(organisation_id: int, *, exclude: Any = None) -> list[User]:
    """The active managers and professionals of an organisation (but ``exclude``)."""
    users = User.objects.filter(
        is_active=True,
        memberships__in=Membership.objects.active().filter(organisation_id=organisation_id, role__in=NOTIFIED_ROLES),
    ).distinct()
    if exclude is not None and getattr(exclude, "pk", None):
        users = users.exclude(pk=exclude.pk)
    return list(users.order_by("pk"))


def notify(
    *,
    users: Iterable[User],
    text: Callable[[], str],
    url: str = "",
    email_subject: Callable[[], str] | None = None,
    email_body: Callable[[], str] | None = None,
) -> list[Notification]:
    """Create an in-app notification for each user and, when a subject is given, e-mail them.

    ``text``, ``email_subject`` and ``email_body`` are called in each recipient's language.
    Call it inside the service's transaction: the e-mails leave after the commit.
    """
    rows: list[Notification] = []
    mails: dict[str, tuple[str, str, list[str]]] = {}
    for user in users:
        language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            rows.append(Notification(user=user, text=str(text())[:255], url=url))
            if email_subject is not None and user.email:
                if language not in mails:
                    body = email_body() if email_body else ""
                    mails[language] = (str(email_subject()), body, [])
                mails[language][2].append(user.email)
    created = Notification.objects.bulk_create(rows)
    for subject, body, recipients in mails.values():
        transaction.on_commit(partial(_send, subject, body, recipients))
    return created


def _send(subject: str, body: str, recipients: list[str]) -> None:
    """One e-mail per recipient (nobody sees the other addresses); a failure is only logged:
    the in-app notification is there anyway."""
    for recipient in recipients:
        try:
            send_mail(subject, body, None, [recipient])
        except (OSError, smtplib.SMTPException):
            logger.exception("notification e-mail to %s could not be sent", recipient.split("@")[-1])


def notification_mark_read(*, actor: Any, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's notifications as read (all of them when no id is given)."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


def unread_count(user: Any) -> int:
    """Selector: how many notifications the user has not read yet."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
