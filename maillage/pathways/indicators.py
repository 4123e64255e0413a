"""Selectors exposed to the Indicators module (it calls these; Pathways has no other contract).

They count outcomes (positive exits) and how they last, grouped by kind, organisation,
department and month. They read only ``Outcome``, ``FollowUp``, the organisation and the
household's commune: never a person, so the outcomes of anonymised households still count
(an outcome keeps its organisation after anonymisation; the department falls back on the
organisation's when the household has no commune any more).

The department of an outcome is the one of the household's commune if known, else the
first (by code) of the organisation's departments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from maillage.organisations.models import Organisation

from . import enums
from .models import FollowUp, Outcome

RETENTION_MONTHS = (6, 12)
RETAINED = (enums.FollowUpSituation.SAME, enums.FollowUpSituation.IMPROVED)


def _department(prefix: str = "") -> Coalesce:
    first_org_department = Subquery(
        Organisation.departments.through.objects.filter(organisation_id=OuterRef(f"{prefix}organisation_id"))
        .order_by("department_id")
        .values("department_id")[:1]
    )
    return Coalesce(F(f"{prefix}household__commune__department_id"), first_org_department, output_field=CharField())


def _outcomes(
    *,
    start: date,
    end: date,
    organisation_ids: Iterable[int] | None,
    departments: Iterable[str] | None,
) -> QuerySet[Outcome]:
    qs = Outcome.objects.filter(achieved_on__gte=start, achieved_on__lte=end).annotate(department=_department())
    if organisation_ids is not None:
        qs = qs.filter(organisation_id__in=list(organisation_ids))
    if departments is not None:
        qs = qs.filter(department__in=list(departments))
    return qs


def outcomes_counts(
    *,
    start: date,
    end: date,
    organisation_ids: Iterable[int] | None = None,
    departments: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Outcomes achieved between ``start`` and ``end`` (inclusive), counted by group.

    Returns rows ``{"kind", "organisation_id", "department", "month" (first day), "count"}``,
    ordered by month, department, organisation and kind. One query.
    """
    rows = (
        _outcomes(start=start, end=end, organisation_ids=organisation_ids, departments=departments)
        .annotate(month=TruncMonth("achieved_on"))
        .values("kind", "organisation_id", "department", "month")
        .annotate(count=Count("pk"))
        .order_by("month", "department", "organisation_id", "kind")
    )
    return [dict(row) for row in rows]


def follow_up_retention(
    *,
    start: date,
    end: date,
    organisation_ids: Iterable[int] | None = None,
    departments: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """How outcomes achieved between ``start`` and ``end`` last, at 6 and 12 months, by kind.

    Rows ``{"months", "kind", "followed", "retained", "share"}``: ``followed`` counts the
    follow-ups with a result (done, or lost contact), ``retained`` those that found the person
    in the same or a better situation, ``share`` = retained / followed (None when nothing was
    followed). Scheduled follow-ups not yet done are not counted. One query.
    """
    outcomes = _outcomes(start=start, end=end, organisation_ids=organisation_ids, departments=departments)
    rows = (
        FollowUp.objects.filter(months__in=RETENTION_MONTHS, outcome__in=outcomes.values("pk"))
        .values("months", kind=F("outcome__kind"))
        .annotate(
            followed=Count("pk", filter=Q(status__in=[enums.FollowUpStatus.DONE, enums.FollowUpStatus.LOST])),
            retained=Count("pk", filter=Q(status=enums.FollowUpStatus.DONE, situation__in=RETAINED)),
        )
        .order_by("months", "kind")
    )
    return [{**row, "share": (row["retained"] / row["followed"]) if row["followed"] else None} for row in rows]
