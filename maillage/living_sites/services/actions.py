"""Writes of the actions on and around sites: the action itself, its fundings per year and
source, and its indicators planned/achieved per year (read by ``indicators.py``).

Every function takes keyword arguments, runs in one transaction, validates everything before
writing (a ``ValidationError`` keyed by field, nothing written) and appends an audit entry.
They do not check permissions: the views ask ``permissions.can_edit_action`` (or
``departments_editable_by``) first.

Rules of the data:

- the sites of an action are in the action's department; its lead organisation works there;
- the end is not before the start;
- a funding's or an indicator's year is within the action's years: from the start year to
  the end year, or to next year when the action has no end; shortening an action is refused
  while fundings or indicators lie outside the new period;
- an amount is zero or more; one funding per (year, funder), one indicator per (year, label),
  names compared without case; an indicator code is used once per year.

The writes of fundings and indicators lock the action's row first and check these rules on
it, in the same transaction as the write: an edit of the action's period, or another addition,
waits for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.organisations.models import Organisation

from ..enums import FunderKind
from ..models import ActionFunding, ActionIndicator, Site, SiteAction

ACTION_FIELDS = (
    "title",
    "domain",
    "description",
    "department",
    "sites",
    "lead_organisation",
    "partners",
    "started_on",
    "ended_on",
)
# The department of an action is chosen at creation; an edit keeps it.
ACTION_EDIT_FIELDS = tuple(name for name in ACTION_FIELDS if name != "department")
FUNDING_FIELDS = ("action", "year", "funder_kind", "funder", "amount")
INDICATOR_FIELDS = ("action", "year", "label", "code", "unit", "planned", "achieved")


def action_years(started_on: date, ended_on: date | None) -> tuple[int, int]:
    """The first and last years a funding or an indicator of the action may be given for."""
    last = ended_on.year if ended_on else max(started_on.year, timezone.localdate().year + 1)
    return started_on.year, last


def _year_error(action: SiteAction, year: Any) -> str | None:
    first, last = action_years(action.started_on, action.ended_on)
    if not isinstance(year, int) or isinstance(year, bool) or not first <= year <= last:
        return _("Choose a year of the action, from %(first)s to %(last)s.") % {"first": first, "last": last}
    return None


def _ids(values: Iterable[Any] | None) -> list[int]:
    return sorted({int(getattr(v, "pk", v)) for v in (values or [])})


def _check_action(
    action: SiteAction, site_ids: list[int], partner_ids: list[int], *, existing: bool = False
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if action.started_on and action.ended_on and action.ended_on < action.started_on:
        errors["ended_on"] = _("The end cannot be before the start.")
    if action.department_id:
        if site_ids:
            outside = Site.objects.filter(pk__in=site_ids).exclude(department_id=action.department_id)
            found = Site.objects.filter(pk__in=site_ids).count()
            if found != len(site_ids):
                errors["sites"] = _("One of the sites does not exist.")
            elif outside.exists():
                names = ", ".join(sorted(outside.values_list("name", flat=True)))
                errors["sites"] = _("These sites are not in the department %(department)s: %(names)s.") % {
                    "department": action.department_id,
                    "names": names,
                }
        if (
            action.lead_organisation_id
            and not Organisation.objects.filter(
                pk=action.lead_organisation_id, departments=action.department_id
            ).exists()
        ):
            errors["lead_organisation"] = _("The lead organisation does not work in the department %(department)s.") % {
                "department": action.department_id
            }
    if action.lead_organisation_id and action.lead_organisation_id in partner_ids:
        errors["partners"] = _("The lead organisation is not also a partner.")
    if partner_ids and Organisation.objects.filter(pk__in=partner_ids).count() != len(partner_ids):
        errors["partners"] = _("One of the partner organisations does not exist.")
    if existing and action.pk and action.started_on and "ended_on" not in errors:
        first, last = action_years(action.started_on, action.ended_on)
        outside_years = Q(year__lt=first) | Q(year__gt=last)
        years = sorted(
            set(ActionFunding.objects.filter(outside_years, action=action).values_list("year", flat=True))
            | set(ActionIndicator.objects.filter(outside_years, action=action).values_list("year", flat=True))
        )
        if years:
            errors["ended_on" if action.ended_on else "started_on"] = _(
                "Fundings or indicators exist for %(years)s, outside this period. Remove them first."
            ) % {"years": ", ".join(str(y) for y in years)}
    return errors


def _clean(action: SiteAction, site_ids: list[int], partner_ids: list[int], *, existing: bool = False) -> None:
    action.title = (action.title or "").strip()
    action.description = (action.description or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        action.full_clean(exclude=["created_by"])
    except ValidationError as error:
        errors = dict(error.message_dict)
    for name, message in _check_action(action, site_ids, partner_ids, existing=existing).items():
        errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)


def _snapshot(action: SiteAction, site_ids: list[int], partner_ids: list[int]) -> dict[str, Any]:
    snapshot = model_snapshot(action, [n for n in ACTION_FIELDS if n not in ("sites", "partners")])
    snapshot["sites"] = [str(pk) for pk in site_ids]
    snapshot["partners"] = [str(pk) for pk in partner_ids]
    return snapshot


def action_create(*, actor: Any, data: dict[str, Any]) -> SiteAction:
    """Create an action from ``data`` (``ACTION_FIELDS``; ``department`` a Department or its
    code, ``lead_organisation`` an Organisation, ``sites``/``partners`` objects or ids)."""
    unknown = set(data) - set(ACTION_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    values = dict(data)
    site_ids = _ids(values.pop("sites", None))
    partner_ids = _ids(values.pop("partners", None))
    department = values.pop("department", None)
    action = SiteAction(**values, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    action.department_id = getattr(department, "pk", department)
    _clean(action, site_ids, partner_ids)
    with transaction.atomic():
        action.save()
        action.sites.set(site_ids)
        action.partners.set(partner_ids)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=action,
            changes=diff({}, _snapshot(action, site_ids, partner_ids), sensitive={"description"}),
        )
    return action


def action_edit(*, actor: Any, action: SiteAction, data: dict[str, Any], version: int | None = None) -> SiteAction:
    """Change the fields given in ``data`` (``ACTION_EDIT_FIELDS``). ``version`` is the one the
    form was made from: someone else's save in between is refused, nothing is written."""
    unknown = set(data) - set(ACTION_EDIT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    with transaction.atomic():
        locked = SiteAction.objects.select_for_update().get(pk=action.pk)
        if version is not None and locked.version != version:
            raise ValidationError(_("Someone else changed this action in the meantime. Reload the page and try again."))
        old_sites = sorted(locked.sites.values_list("pk", flat=True))
        old_partners = sorted(locked.partners.values_list("pk", flat=True))
        before = _snapshot(locked, old_sites, old_partners)
        values = dict(data)
        site_ids = _ids(values.pop("sites")) if "sites" in values else old_sites
        partner_ids = _ids(values.pop("partners")) if "partners" in values else old_partners
        for name, value in values.items():
            setattr(locked, name, value)
        _clean(locked, site_ids, partner_ids, existing=True)
        changes = diff(before, _snapshot(locked, site_ids, partner_ids), sensitive={"description"})
        if changes:
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.save()
            locked.sites.set(site_ids)
            locked.partners.set(partner_ids)
            audit_record(actor=actor, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def _touch(action: SiteAction) -> None:
    now = timezone.now()
    SiteAction.objects.filter(pk=action.pk).update(updated_at=now)
    action.updated_at = now


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None


def _lock_action(action: SiteAction) -> SiteAction:
    """The action's row, locked until the end of the transaction: its period and its fundings
    and indicators are read on it, so that a parallel edit or addition waits."""
    return SiteAction.objects.select_for_update().get(pk=action.pk)


def funding_add(
    *, actor: Any, action: SiteAction, year: int, funder_kind: str, funder: str, amount: Any
) -> ActionFunding:
    """Add a funding of ``amount`` euros from ``funder`` for ``year``."""
    funder = (funder or "").strip()
    value = _amount(amount)
    with transaction.atomic():
        locked = _lock_action(action)
        errors: dict[str, str] = {}
        year_error = _year_error(locked, year)
        if year_error:
            errors["year"] = year_error
        if funder_kind not in FunderKind.values:
            errors["funder_kind"] = _("Choose a type of funder.")
        if not funder:
            errors["funder"] = _("Name the funder.")
        if value is None:
            errors["amount"] = _("Give the amount in euros.")
        elif value < 0:
            errors["amount"] = _("The amount cannot be negative.")
        if not errors and ActionFunding.objects.filter(action=locked, year=year, funder__iexact=funder).exists():
            errors["funder"] = _(
                "%(funder)s already has a funding for %(year)s on this action. Remove it first to change it."
            ) % {"funder": funder, "year": year}
        if errors or value is None:
            raise ValidationError(errors)
        funding = ActionFunding(action=locked, year=year, funder_kind=funder_kind, funder=funder, amount=value)
        funding.full_clean()
        funding.save()
        _touch(locked)
        action.updated_at = locked.updated_at
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=funding,
            changes=diff({}, model_snapshot(funding, FUNDING_FIELDS)),
        )
    return funding


def funding_remove(*, actor: Any, funding: ActionFunding) -> None:
    with transaction.atomic():
        snapshot = model_snapshot(funding, FUNDING_FIELDS)
        audit_record(actor=actor, action=AuditAction.DELETE, obj=funding, changes=diff(snapshot, {}))
        funding.delete()
        _touch(funding.action)


def _count(value: Any, field: str, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors[field] = _("Give a whole number, zero or more.")
        return None
    return value


def indicator_set(
    *,
    actor: Any,
    action: SiteAction,
    year: int,
    label: str,
    planned: int | None = None,
    achieved: int | None = None,
    code: str = "",
    unit: str = "",
) -> ActionIndicator:
    """Create the indicator (``year``, ``label``) of the action, or update it if it exists
    (labels compared without case)."""
    label = " ".join((label or "").split())
    code = (code or "").strip().lower()
    unit = (unit or "").strip() or "people"
    with transaction.atomic():
        locked = _lock_action(action)
        errors: dict[str, str] = {}
        year_error = _year_error(locked, year)
        if year_error:
            errors["year"] = year_error
        if not label:
            errors["label"] = _("Name the indicator.")
        planned = _count(planned, "planned", errors)
        achieved = _count(achieved, "achieved", errors)
        if planned is None and achieved is None and not errors:
            errors["planned"] = _("Give the planned figure, the achieved one, or both.")
        current = None
        if not errors:
            indicators = ActionIndicator.objects.filter(action=locked, year=year)
            current = indicators.filter(label__iexact=label).first()
            if code:
                same_code = indicators.filter(code=code)
                if current is not None:
                    same_code = same_code.exclude(pk=current.pk)
                other = same_code.first()
                if other is not None:
                    errors["code"] = _(
                        "The code %(code)s is already used in %(year)s by the indicator “%(label)s”."
                    ) % {"code": code, "year": year, "label": other.label}
        if errors:
            raise ValidationError(errors)
        indicator = current or ActionIndicator(action=locked, year=year)
        before = model_snapshot(indicator, INDICATOR_FIELDS) if current else {}
        indicator.label, indicator.code, indicator.unit = label, code, unit
        indicator.planned, indicator.achieved = planned, achieved
        indicator.full_clean()
        indicator.save()
        _touch(locked)
        action.updated_at = locked.updated_at
        changes = diff(before, model_snapshot(indicator, INDICATOR_FIELDS))
        if changes:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE if current else AuditAction.CREATE,
                obj=indicator,
                changes=changes,
            )
    return indicator


def indicator_remove(*, actor: Any, indicator: ActionIndicator) -> None:
    with transaction.atomic():
        snapshot = model_snapshot(indicator, INDICATOR_FIELDS)
        audit_record(actor=actor, action=AuditAction.DELETE, obj=indicator, changes=diff(snapshot, {}))
        indicator.delete()
        _touch(indicator.action)
