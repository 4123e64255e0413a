"""Writes of the closure of a site: its preparation (planned date, notes), the households
concerned with their solutions, and the record of the closure itself.

Every function takes keyword arguments, runs in one transaction, validates everything before
writing (a ``ValidationError`` keyed by field, nothing written) and appends an audit entry.
The views ask ``permissions.can_manage_closure`` first. One rule of the data depends on the
actor: a household of Pathways may be linked only if the actor sees it in Pathways
(``households_visible_to``) and it lives on the site; a link already there may be kept
by someone who does not see it.

A household's ``label`` is a reference ("family 7, caravan 3"), never a name; notes, labels
and details are free texts, so the audit journal records that they changed, not their value.

The writes that may create the closure lock the site's row first (``_lock_site``), as
``site_close`` does: two first posts at once wait for each other instead of both creating it.

There is no ``site_reopen``: a closure recorded by mistake is corrected in the admin.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.pathways.models import Household
from maillage.pathways.permissions import households_visible_to

from ..enums import ClosureReason, SiteStatus, Solution
from ..models import Closure, ClosureHousehold, Site

CLOSURE_FIELDS = ("site", "planned_on", "notes")
HOUSEHOLD_FIELDS = ("closure", "label", "people", "household", "solution", "solution_detail")
FREE_TEXT = frozenset({"notes", "label", "solution_detail"})
SITE_CLOSE_FIELDS = ("status", "closed_on", "closure_reason")


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def _lock_site(site: Site) -> Site:
    """The site's row, locked until the end of the transaction: the writes that may create its
    closure take it first, so that two of them cannot both create it."""
    return Site.objects.select_for_update().get(pk=site.pk)


def _closure_for(site: Site, actor: Any) -> tuple[Closure, bool]:
    """The site's closure, created (and journalled) if it does not exist yet. The caller has
    locked the site (``_lock_site``)."""
    closure = Closure.objects.select_for_update().filter(site=site).first()
    if closure is not None:
        return closure, False
    closure = Closure.objects.create(site=site, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=closure, changes={"site": [None, str(site.pk)]})
    return closure, True


def closure_prepare(*, actor: Any, site: Site, planned_on: date | None, notes: str = "") -> Closure:
    """Create or update the site's closure: the date it is planned for, and notes."""
    notes = (notes or "").strip()
    with transaction.atomic():
        locked = _lock_site(site)
        if planned_on is not None and locked.opened_on and planned_on < locked.opened_on:
            raise ValidationError({"planned_on": _("The closure cannot be planned before the site was settled.")})
        closure, _created = _closure_for(locked, actor)
        before = model_snapshot(closure, CLOSURE_FIELDS)
        closure.planned_on, closure.notes = planned_on, notes
        closure.full_clean()
        changes = diff(before, model_snapshot(closure, CLOSURE_FIELDS), sensitive=FREE_TEXT)
        if changes:
            closure.updated_at = timezone.now()
            closure.save()
            audit_record(actor=actor, action=AuditAction.UPDATE, obj=closure, changes=changes)
    return closure


def linkable_households(actor: Any, site: Site) -> Any:
    """The Pathways households the actor may link to this site's closure."""
    return households_visible_to(actor).filter(living_site=site)


def _check_household(
    *,
    actor: Any,
    site: Site,
    closure: Closure,
    current: ClosureHousehold | None,
    label: str,
    people: Any,
    household: Household | None,
    solution: str,
) -> None:
    errors: dict[str, str] = {}
    if not label:
        errors["label"] = _("Give a reference for the household (not a name), e.g. “family 7, caravan 3”.")
    if people is not None and (not isinstance(people, int) or isinstance(people, bool) or not 1 <= people <= 100):
        errors["people"] = _("Give the number of people, from 1 to 100, or leave it empty.")
    if solution not in Solution.values:
        errors["solution"] = _("Choose a solution, or “No known solution”.")
    same_link = household is not None and current is not None and household.pk == current.household_id
    if (
        household is not None
        and not same_link
        and not linkable_households(actor, site).filter(pk=household.pk).exists()
    ):
        errors["household"] = _("Choose a household you follow in Pathways that lives on this site.")
    others = closure.households.all()
    if current is not None:
        others = others.exclude(pk=current.pk)
    if label and others.filter(label__iexact=label).exists():
        errors["label"] = _("Another household of this closure has the reference “%(label)s”.") % {"label": label}
    if household is not None and "household" not in errors and others.filter(household=household).exists():
        errors["household"] = _("This Pathways household is already linked to another row of this closure.")
    if errors:
        raise ValidationError(errors)


def closure_household_add(
    *,
    actor: Any,
    site: Site,
    label: str,
    people: int | None = None,
    household: Household | None = None,
    solution: str = Solution.UNKNOWN,
    solution_detail: str = "",
) -> ClosureHousehold:
    """Add a household concerned by the site's closure (the closure is created if needed)."""
    label = " ".join((label or "").split())
    solution_detail = (solution_detail or "").strip()
    with transaction.atomic():
        locked = _lock_site(site)
        closure, _created = _closure_for(locked, actor)
        _check_household(
            actor=actor,
            site=locked,
            closure=closure,
            current=None,
            label=label,
            people=people,
            household=household,
            solution=solution,
        )
        row = ClosureHousehold(
            closure=closure,
            label=label,
            people=people,
            household=household,
            solution=solution,
            solution_detail=solution_detail,
        )
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=row,
            changes=diff({}, model_snapshot(row, HOUSEHOLD_FIELDS), sensitive=FREE_TEXT),
        )
    return row


def closure_household_edit(
    *,
    actor: Any,
    row: ClosureHousehold,
    label: str,
    people: int | None = None,
    household: Household | None | Any = UNCHANGED,
    solution: str = Solution.UNKNOWN,
    solution_detail: str = "",
) -> ClosureHousehold:
    """Change a household of a closure. ``household`` left ``UNCHANGED`` keeps the link as it is
    (the actor may not see the linked household); ``None`` removes it."""
    label = " ".join((label or "").split())
    solution_detail = (solution_detail or "").strip()
    with transaction.atomic():
        locked = ClosureHousehold.objects.select_for_update().select_related("closure__site").get(pk=row.pk)
        closure = locked.closure
        if household is UNCHANGED:
            household = locked.household
        _check_household(
            actor=actor,
            site=closure.site,
            closure=closure,
            current=locked,
            label=label,
            people=people,
            household=household,
            solution=solution,
        )
        before = model_snapshot(locked, HOUSEHOLD_FIELDS)
        locked.label, locked.people, locked.household = label, people, household
        locked.solution, locked.solution_detail = solution, solution_detail
        locked.full_clean()
        changes = diff(before, model_snapshot(locked, HOUSEHOLD_FIELDS), sensitive=FREE_TEXT)
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(actor=actor, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def closure_household_remove(*, actor: Any, row: ClosureHousehold) -> None:
    with transaction.atomic():
        before = model_snapshot(row, HOUSEHOLD_FIELDS)
        audit_record(actor=actor, action=AuditAction.DELETE, obj=row, changes=diff(before, {}, sensitive=FREE_TEXT))
        row.delete()


def site_close_errors(site: Site, closed_on: date | None, reason: str) -> dict[str, str]:
    """Why the site cannot be closed on ``closed_on`` for ``reason`` (empty: it can)."""
    errors: dict[str, str] = {}
    if site.status != SiteStatus.OPEN:
        return {"closed_on": _("This site is already closed.")}
    if reason not in ClosureReason.values:
        errors["reason"] = _("Choose the reason of the closure.")
    if closed_on is None:
        errors["closed_on"] = _("Give the date of the closure.")
        return errors
    latest = site.updates.aggregate(latest=Max("observed_on"))["latest"]
    if closed_on > timezone.localdate():
        errors["closed_on"] = _("The closure cannot be recorded in advance: this date is in the future.")
    elif site.opened_on and closed_on < site.opened_on:
        errors["closed_on"] = _("The site cannot be closed before it was settled (%(date)s).") % {
            "date": site.opened_on.isoformat()
        }
    elif latest and closed_on < latest:
        errors["closed_on"] = _("The site cannot be closed before its latest observation (%(date)s).") % {
            "date": latest.isoformat()
        }
    return errors


def site_close(*, actor: Any, site: Site, closed_on: date | None, reason: str) -> Site:
    """Record the closure of an open site: its status becomes closed, with the date and the
    reason; the ``Closure`` is created if it was not prepared."""
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        errors = site_close_errors(locked, closed_on, reason)
        if errors:
            raise ValidationError(errors)
        before = model_snapshot(locked, SITE_CLOSE_FIELDS)
        locked.status, locked.closed_on, locked.closure_reason = SiteStatus.CLOSED, closed_on, reason
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "closed_on", "closure_reason", "version", "updated_at"])
        _closure_for(locked, actor)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, model_snapshot(locked, SITE_CLOSE_FIELDS)),
            reason="site closed",
        )
    site.status, site.closed_on, site.closure_reason = locked.status, locked.closed_on, locked.closure_reason
    site.version, site.updated_at = locked.version, locked.updated_at
    return locked
