"""Writes of the rights portal: saved results (created only on request) and their purge."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record

from .engine import Evaluation
from .enums import Status
from .models import SavedEvaluation
from .schema import Answers

SAVED_DAYS = 30


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def saved_evaluation_create(*, answers: Answers, lang: str, actor: Any = None) -> tuple[SavedEvaluation, str]:
    """Keep the answers for ``SAVED_DAYS`` days; returns the row and the clear token (for the link only)."""
    token = secrets.token_urlsafe(24)
    saved = SavedEvaluation.objects.create(
        token_hash=token_hash(token),
        answers=answers.model_dump(mode="json"),
        language=lang[:10],
        expires_at=timezone.now() + timedelta(days=SAVED_DAYS),
    )
    # The journal says that a result was saved, never what it holds.
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=saved,
        changes={"language": saved.language, "expires_at": saved.expires_at.isoformat()},
        reason="rights.saved_evaluation.create",
    )
    return saved, token


def saved_evaluation_get(token: str) -> SavedEvaluation | None:
    """The saved result behind a link, None when unknown, deleted or expired."""
    if not token or len(token) > 100:
        return None
    return SavedEvaluation.objects.filter(token_hash=token_hash(token), expires_at__gt=timezone.now()).first()


@transaction.atomic
def saved_evaluation_delete(*, saved: SavedEvaluation, actor: Any = None) -> None:
    audit_record(actor=actor, action=AuditAction.DELETE, obj=saved, reason="rights.saved_evaluation.delete")
    saved.delete()


@transaction.atomic
def saved_evaluations_purge() -> int:
    """Delete the saved results whose 30 days are over (daily task)."""
    count, _detail = SavedEvaluation.objects.filter(expires_at__lte=timezone.now()).delete()
    if count:
        audit_record(
            actor=None,
            action=AuditAction.DELETE,
            object_type="rights.savedevaluation",
            object_repr=f"{count} expired saved evaluations",
            changes={"count": count},
            reason="rights.saved_evaluation.purge",
        )
    return count


def evaluation_email_send(*, to: str, link: str, evaluation: Evaluation, lang: str) -> None:
    """Send the link and a plain summary in the person's language; the address is not kept."""
    with translation.override(lang):
        lines = [
            _("Hello,"),
            "",
            _("Here is the link to your result on Maillage. It works for %(days)s days:") % {"days": SAVED_DAYS},
            link,
            "",
        ]
        for status in (Status.ELIGIBLE, Status.MAYBE, Status.NOT_ELIGIBLE):
            results = evaluation.by_status(status)
            if results:
                lines.append(f"{status.label}:")
                lines.extend(f"- {r.title}" for r in results)
                lines.append("")
        lines.append(_("This is an estimate, not a decision. The offices decide."))
        lines.append(_("You can delete your result at any time from the link."))
        send_mail(
            subject=_("Your rights: your result on Maillage"),
            message="\n".join(lines),
            from_email=None,
            recipient_list=[to],
        )


def pathways_attach_url(*, token: str = "", saved_token: str = "") -> str | None:
    """Where a mediator attaches this result to a household they follow (Pathways).

    The link carries the questionnaire's encrypted state (``s``) or the saved result's token
    (``r``); the Pathways page evaluates the answers again and writes the summary in the
    household's journal (``pathways.views.rights``).
    """
    from urllib.parse import urlencode

    from django.urls import reverse

    if not (token or saved_token):
        return None
    query = {"r": saved_token} if saved_token else {"s": token}
    return f"{reverse('pathways:rights_attach')}?{urlencode(query)}"
