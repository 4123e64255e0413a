"""Helpers shared by the services of every area."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Household


def household_touch(household: Household) -> None:
    """Record activity on the case now (the retention period starts again)."""
    now = timezone.now()
    Household.objects.filter(pk=household.pk).update(last_activity_at=now, updated_at=now)
    household.last_activity_at = household.updated_at = now


def bump_version(model: Any, obj: Any, expected: int | None) -> None:
    """Optimistic locking: save only if nobody saved ``obj`` since ``expected`` was read.

    Raises ``ValidationError`` (shown as a conflict message) when another user saved it in
    between; call it inside the transaction, after ``full_clean`` and before ``save``.
    """
    if expected is None:
        return
    updated = model.objects.filter(pk=obj.pk, version=expected).update(version=F("version") + 1)
    if not updated:
        raise ValidationError(
            _("Someone else changed this in the meantime. Reload the page to see their changes, then try again.")
        )
    obj.version = expected + 1
