"""Writes of sites and of their dated observations (``SiteUpdate``).

Every function takes keyword arguments, runs in one transaction, validates everything before
writing (a ``ValidationError`` keyed by field, nothing written) and appends an audit entry.
They do not check permissions (the views and the API ask ``permissions`` first), with one
exception that is a rule of the data: the legal procedure fields are refused unless the caller
says the actor may set them (``may_set_procedure``).

The audit journal is read by platform administrators, who may not see the legal procedure, and
the owner's name may be a private person's: those fields (``SENSITIVE_FIELDS``) and the free
notes of an update are journalled as changed, never with their value.

A closed site keeps its history: no new observation is recorded on it (``site_status_check``),
but its facts may still be edited, to correct them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from maillage.audit.enums import AuditAction
from maillage.audit.services import audit_record, diff, model_snapshot
from maillage.territory.models import Commune

from ..conditions import summarise
from ..enums import AGE_BANDS, LegalProcedure, SiteStatus
from ..models import Site, SiteUpdate

PROCEDURE_FIELDS = ("procedure", "procedure_decision", "procedure_decided_on", "procedure_deadline")
SITE_FIELDS = (
    "name",
    "kind",
    "address",
    "commune",
    "latitude",
    "longitude",
    "outline",
    "owner_kind",
    "owner_name",
    "opened_on",
    "known_since",
    "organisation",
    *PROCEDURE_FIELDS,
)
# Journalled as changed, without their value (see the module's docstring).
SENSITIVE_FIELDS = frozenset({*PROCEDURE_FIELDS, "owner_name"})
UPDATE_SENSITIVE_FIELDS = frozenset({"notes"})
BAND_FIELDS = tuple(name for name, _label in AGE_BANDS)
FIGURE_FIELDS = ("people", "households", "minors", *BAND_FIELDS, "children_in_school")
CONDITION_FIELDS = (
    "water_access",
    "water_distance_m",
    "water_continuity",
    "toilets",
    "showers",
    "electricity",
    "waste_collection",
    "pests",
    "fire_extinguishers",
    "fire_distances_ok",
)
UPDATE_FIELDS = ("observed_on", "source", *FIGURE_FIELDS, "nationalities", "languages", *CONDITION_FIELDS, "notes")
# Margin around the department's communes (in degrees, about 5 km) before a location warns.
LOCATION_MARGIN = 0.05
MAX_OUTLINE_POINTS = 500


def location_warnings(*, commune: Commune | None, latitude: float | None, longitude: float | None) -> list[str]:
    """Warnings (not errors) about a location: outside the area of the commune's department.

    The area is the box around the department's communes' centres, widened by
    ``LOCATION_MARGIN``: a rough test, enough to catch a swapped latitude/longitude or a
    point put in the wrong department.
    """
    if commune is None or latitude is None or longitude is None:
        return []
    box = Commune.objects.filter(department_id=commune.department_id, latitude__isnull=False).aggregate(
        south=Min("latitude"), north=Max("latitude"), west=Min("longitude"), east=Max("longitude")
    )
    if box["south"] is None:
        return []
    inside = (
        box["south"] - LOCATION_MARGIN <= latitude <= box["north"] + LOCATION_MARGIN
        and box["west"] - LOCATION_MARGIN <= longitude <= box["east"] + LOCATION_MARGIN
    )
    if inside:
        return []
    return [
        _("The location is outside the department of %(commune)s (%(department)s). Check it, or confirm it.")
        % {"commune": commune.name, "department": commune.department_id}
    ]


def _validate_outline(outline: Any) -> str | None:
    if outline in (None, "", {}):
        return None
    message = _("The outline must be a GeoJSON polygon: one closed ring of at least 4 [longitude, latitude] points.")
    if not isinstance(outline, dict) or outline.get("type") != "Polygon":
        return message
    rings = outline.get("coordinates")
    if not isinstance(rings, list) or not rings or not all(isinstance(r, list) for r in rings):
        return message
    for ring in rings:
        if len(ring) < 4 or len(ring) > MAX_OUTLINE_POINTS or ring[0] != ring[-1]:
            return message
        for point in ring:
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)
                or not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90)
            ):
                return message
    return None


def _short(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _check_site(site: Site) -> None:
    """The rules of a site's facts; for a site already saved, its dates are also checked
    against its closure and its first observation (one query)."""
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if site.opened_on and site.opened_on > today:
        errors["opened_on"] = _("This date is in the future.")
    elif site.opened_on and site.closed_on and site.opened_on > site.closed_on:
        errors["opened_on"] = _("The site cannot have been settled after its closure (%(date)s).") % {
            "date": _short(site.closed_on)
        }
    elif site.opened_on and site.pk is not None:
        first = SiteUpdate.objects.filter(site_id=site.pk).aggregate(first=Min("observed_on"))["first"]
        if first is not None and site.opened_on > first:
            errors["opened_on"] = _("The site cannot have been settled after its first observation (%(date)s).") % {
                "date": _short(first)
            }
    if site.known_since and site.known_since > today:
        errors["known_since"] = _("This date is in the future.")
    if site.opened_on and site.known_since and site.known_since < site.opened_on:
        errors["known_since"] = _("A site cannot be known before it was settled.")
    if site.procedure_decided_on and site.procedure_deadline and site.procedure_deadline < site.procedure_decided_on:
        errors["procedure_deadline"] = _("The deadline cannot be before the decision.")
    if (site.latitude is None) != (site.longitude is None):
        errors["latitude"] = _("Give both the latitude and the longitude, or neither.")
    outline_error = _validate_outline(site.outline)
    if outline_error:
        errors["outline"] = outline_error
    if errors:
        raise ValidationError(errors)


def _clean_site(site: Site) -> None:
    """The fields first, then the rules of ``_check_site`` (errors on the right field), then
    the database constraints (a last guard, with their generic message)."""
    exclude = ["department", "latest_update", "created_by"]
    site.full_clean(exclude=exclude, validate_constraints=False)
    _check_site(site)
    site.validate_constraints(exclude=exclude)


def _refuse_procedure(data: dict[str, Any]) -> None:
    """A caller who may not set the legal procedure may not send it either (even unchanged)."""
    sent = [name for name in PROCEDURE_FIELDS if name in data]
    if sent:
        raise ValidationError({name: _("You may not see or set the legal procedure.") for name in sent})


def site_create(*, actor: Any, data: dict[str, Any], may_set_procedure: bool = False) -> Site:
    """Create a site from ``data`` (fields of ``SITE_FIELDS``; ``commune`` a Commune)."""
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if not may_set_procedure:
        _refuse_procedure(data)
    site = Site(**data, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    if site.commune_id:
        site.department_id = site.commune.department_id
    if site.procedure == "":
        site.procedure = LegalProcedure.NONE
    _clean_site(site)
    with transaction.atomic():
        site.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=site,
            changes=diff({}, model_snapshot(site, SITE_FIELDS), sensitive=SENSITIVE_FIELDS),
        )
    return site


def site_edit(
    *, actor: Any, site: Site, data: dict[str, Any], version: int | None = None, may_set_procedure: bool = False
) -> Site:
    """Change the fields given in ``data``. ``version`` (optional) refuses a stale form.

    A closed site may be edited too, to correct its facts (its status, closure date and reason
    are set by ``services.closures.site_close`` only); no new observation is recorded on it.
    """
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if not may_set_procedure:
        _refuse_procedure(data)
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        if version is not None and locked.version != version:
            raise ValidationError(_("Someone else changed this site in the meantime. Reload the page and try again."))
        before = model_snapshot(locked, SITE_FIELDS)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.department_id = locked.commune.department_id
        _clean_site(locked)
        changes = diff(before, model_snapshot(locked, SITE_FIELDS), sensitive=SENSITIVE_FIELDS)
        if changes:
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(actor=actor, action=AuditAction.UPDATE, obj=locked, changes=changes)
    return locked


def figures_errors(data: dict[str, Any]) -> dict[str, str]:
    """Population figures that do not add up, keyed by field (the forms call it too)."""
    errors: dict[str, str] = {}

    def value(name: str) -> int | None:
        v = data.get(name)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    people, households, minors = value("people"), value("households"), value("minors")
    bands = [value(name) for name in BAND_FIELDS]
    in_school = value("children_in_school")
    if minors is None and all(b is not None for b in bands):
        minors = sum(b for b in bands if b is not None)
    known_bands = sum(b for b in bands if b is not None)
    if minors is not None and known_bands > minors:
        errors["minors"] = _("The age bands add up to %(bands)s, more than the %(minors)s minors.") % {
            "bands": known_bands,
            "minors": minors,
        }
    elif minors is not None and all(b is not None for b in bands) and known_bands != minors:
        errors["minors"] = _("The age bands add up to %(bands)s, not to the %(minors)s minors.") % {
            "bands": known_bands,
            "minors": minors,
        }
    if people is not None and minors is not None and minors > people:
        errors["minors"] = _("There cannot be more minors (%(minors)s) than people (%(people)s).") % {
            "minors": minors,
            "people": people,
        }
    elif people is not None and minors is None and known_bands > people:
        errors["minors"] = _("The age bands add up to %(bands)s, more than the %(people)s people.") % {
            "bands": known_bands,
            "people": people,
        }
    if people is not None and households is not None and households > people:
        errors["households"] = _("There cannot be more households (%(households)s) than people (%(people)s).") % {
            "households": households,
            "people": people,
        }
    if in_school is not None and minors is not None and in_school > minors:
        errors["children_in_school"] = _(
            "There cannot be more children in school (%(in_school)s) than minors (%(minors)s)."
        ) % {"in_school": in_school, "minors": minors}
    elif in_school is not None and minors is None and people is not None and in_school > people:
        errors["children_in_school"] = _(
            "There cannot be more children in school (%(in_school)s) than people (%(people)s)."
        ) % {"in_school": in_school, "people": people}
    for name in ("nationalities", "languages"):
        counts = data.get(name) or {}
        # Countries: ISO 3166 alpha-2 ("RO"); languages: ISO 639-1 or 639-3 ("ro", "rom").
        lengths = (2,) if name == "nationalities" else (2, 3)
        if not isinstance(counts, dict) or not all(
            isinstance(k, str)
            and len(k) in lengths
            and k.isascii()
            and k.isalpha()
            and isinstance(v, int)
            and not isinstance(v, bool)
            and v >= 0
            for k, v in counts.items()
        ):
            errors[name] = _("Give counts by code, e.g. RO: 40, BG: 12.")
        elif people is not None and any(v > people for v in counts.values()):
            errors[name] = _("A count here is larger than the number of people (%(people)s).") % {"people": people}
        elif name == "nationalities" and people is not None and sum(counts.values()) > people:
            errors[name] = _("The nationalities add up to more than the number of people (%(people)s).") % {
                "people": people
            }
    if people is None and households is None and minors is None:
        errors["people"] = _("Give at least the number of people, of households or of minors.")
    return errors


def site_update_record(
    *, actor: Any, site: Site, data: dict[str, Any], organisation_id: int | None = None
) -> SiteUpdate:
    """Record a dated observation of population and conditions of an open site; it becomes the
    site's latest figures unless an observation with a later date exists. The site's status
    and dates are read on its locked row."""
    unknown = set(data) - set(UPDATE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    data = dict(data)
    for name in ("nationalities", "languages"):
        if isinstance(data.get(name), dict):
            data[name] = {
                str(k).upper() if name == "nationalities" else str(k).lower(): v for k, v in data[name].items()
            }
    if data.get("minors") is None and all(isinstance(data.get(b), int) for b in BAND_FIELDS):
        data["minors"] = sum(data[b] for b in BAND_FIELDS)
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        site_status_check(locked)
        errors = figures_errors(data)
        observed_on: date | None = data.get("observed_on")
        if observed_on is not None:
            if observed_on > timezone.localdate():
                errors["observed_on"] = _("This date is in the future.")
            elif locked.opened_on and observed_on < locked.opened_on:
                errors["observed_on"] = _("This date is before the site was settled.")
            elif locked.closed_on and observed_on > locked.closed_on:
                errors["observed_on"] = _("This date is after the site was closed.")
        if errors:
            raise ValidationError(errors)
        update = SiteUpdate(
            site=locked,
            organisation_id=organisation_id,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            **data,
        )
        update.conditions_light = summarise(update)
        update.full_clean(exclude=["site", "organisation", "recorded_by"])
        update.save()
        latest = (
            SiteUpdate.objects.filter(pk=locked.latest_update_id).only("pk", "observed_on").first()
            if locked.latest_update_id is not None
            else None
        )
        if latest is None or (latest.observed_on, latest.pk) <= (update.observed_on, update.pk):
            Site.objects.filter(pk=site.pk).update(latest_update=update, updated_at=timezone.now())
            site.latest_update = update
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=update,
            changes=diff(
                {},
                model_snapshot(update, ("site", *UPDATE_FIELDS, "conditions_light")),
                sensitive=UPDATE_SENSITIVE_FIELDS,
            ),
        )
    return update


def site_status_check(site: Site) -> None:
    """New observations are recorded on open sites only: a closed site keeps its history (its
    facts may still be corrected, ``site_edit``). The pages, the API and ``site_update_record``
    ask it."""
    if site.status != SiteStatus.OPEN:
        raise ValidationError(_("This site is closed: no new update can be recorded."))
