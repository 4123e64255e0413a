"""Writes on outcomes (positive exits) and their follow-ups at 3, 6 and 12 months.

Recording an outcome schedules one ``FollowUp`` per ``enums.FOLLOW_UP_MONTHS``; the daily job
``tasks.remind_follow_ups`` tells the household's referent, in the app, of those due today.
Audit entries carry kinds, dates and ids, never the free-text detail.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record

from .. import enums
from ..models import FollowUp, Household, Notification, Outcome, Person
from ..permissions import case_access
from .common import household_touch
from .notifications import notify


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's length.

    >>> add_months(date(2026, 1, 31), 3)
    datetime.date(2026, 4, 30)
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _editable(actor: Any, household: Household) -> None:
    if not case_access(actor, household).can_edit:
        raise PermissionDenied


@transaction.atomic
def outcome_create(
    *,
    actor: Any,
    household: Household,
    kind: str,
    achieved_on: date,
    person: Person | None = None,
    detail: str = "",
) -> Outcome:
    """Record a positive exit and schedule its follow-ups."""
    _editable(actor, household)
    errors: dict[str, str] = {}
    if achieved_on is None:
        errors["achieved_on"] = _("Give the date.")
    elif achieved_on > timezone.localdate():
        errors["achieved_on"] = _("The date cannot be in the future.")
    if person is not None and person.household_id != household.pk:
        errors["person"] = _("This person is not a member of the household.")
    if errors:
        raise ValidationError(errors)
    outcome = Outcome(
        household=household,
        person=person,
        kind=kind,
        achieved_on=achieved_on,
        detail=(detail or "").strip(),
        recorded_by=actor,
        organisation_id=household.organisation_id,
    )
    outcome.full_clean()
    outcome.save()
    FollowUp.objects.bulk_create(
        [FollowUp(outcome=outcome, months=m, due_on=add_months(achieved_on, m)) for m in enums.FOLLOW_UP_MONTHS]
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=outcome,
        changes={
            "household": str(household.pk),
            "person": str(person.pk) if person else None,
            "kind": kind,
            "achieved_on": achieved_on.isoformat(),
            "follow_ups": list(enums.FOLLOW_UP_MONTHS),
        },
    )
    household_touch(household)
    return outcome


@transaction.atomic
def follow_up_record(
    *,
    actor: Any,
    follow_up: FollowUp,
    status: str,
    situation: str = "",
    done_on: date | None = None,
) -> FollowUp:
    """Record the result of a follow-up: the situation found, or "lost contact"."""
    follow_up = FollowUp.objects.select_for_update().select_related("outcome__household").get(pk=follow_up.pk)
    household = follow_up.outcome.household
    _editable(actor, household)
    if follow_up.status != enums.FollowUpStatus.SCHEDULED:
        raise ValidationError(_("This follow-up has already been recorded."))
    before = {"status": follow_up.status, "situation": follow_up.situation, "done_on": follow_up.done_on}
    errors: dict[str, str] = {}
    done_on = done_on or timezone.localdate()
    if status not in (enums.FollowUpStatus.DONE, enums.FollowUpStatus.LOST):
        errors["status"] = _("Choose the result of the follow-up.")
    elif status == enums.FollowUpStatus.DONE and not situation:
        errors["situation"] = _("Tell the person's situation.")
    if done_on > timezone.localdate():
        errors["done_on"] = _("The date cannot be in the future.")
    elif done_on < follow_up.outcome.achieved_on:
        errors["done_on"] = _("The follow-up cannot be before the outcome.")
    if errors:
        raise ValidationError(errors)
    follow_up.status = status
    follow_up.situation = situation if status == enums.FollowUpStatus.DONE else enums.FollowUpSituation.UNKNOWN
    follow_up.done_on = done_on
    follow_up.full_clean()
    follow_up.save()
    after = {"status": follow_up.status, "situation": follow_up.situation, "done_on": follow_up.done_on}
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=follow_up,
        changes={k: [_plain(before[k]), _plain(after[k])] for k in after if before[k] != after[k]},
    )
    household_touch(household)
    return follow_up


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _reminder_text(months: int, household_id: int) -> Callable[[], str]:
    def text() -> str:
        return _("Follow-up at %(months)s months of an outcome due today (household #%(id)s).") % {
            "months": months,
            "id": household_id,
        }

    return text


def follow_ups_remind(*, today: date | None = None) -> int:
    """Notify, in the app, each referent of the follow-ups due ``today`` (default: today).

    Idempotent: a follow-up is notified once (the notification links to it, and an existing
    notification with the same link is not written again). Households without referent,
    closed to follow-up or anonymised are skipped. Returns the number of notifications written.
    """
    today = today or timezone.localdate()
    due = list(
        FollowUp.objects.filter(due_on=today, status=enums.FollowUpStatus.SCHEDULED)
        .filter(outcome__household__referent__isnull=False, outcome__household__referent__is_active=True)
        .exclude(outcome__household__status__in=[enums.HouseholdStatus.MERGED, enums.HouseholdStatus.ANONYMISED])
        .select_related("outcome__household__referent")
        .order_by("pk")
    )
    urls = {f.pk: f"{reverse('pathways:outcomes', args=[f.outcome.household_id])}#follow-up-{f.pk}" for f in due}
    existing = set(Notification.objects.filter(url__in=list(urls.values())).values_list("user_id", "url"))
    written = 0
    with transaction.atomic():
        for follow_up in due:
            household = follow_up.outcome.household
            url = urls[follow_up.pk]
            if (household.referent_id, url) in existing:
                continue
            # No name: the household's number only (the link opens the case, with its checks).
            notify(users=[household.referent], url=url, text=_reminder_text(follow_up.months, household.pk))  # type: ignore[list-item]
            written += 1
    return written
