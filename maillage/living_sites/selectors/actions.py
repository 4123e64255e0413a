"""Reads of the actions: the list, an action's page and the site page's section.

Every read starts from ``permissions.actions_visible_to`` and uses a fixed number of queries:
the totals are correlated subqueries (never a join of fundings and indicators, which would
multiply the sums).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from maillage.organisations.models import Organisation

from ..enums import FunderKind
from ..models import ActionFunding, ActionIndicator, Site, SiteAction
from ..permissions import actions_visible_to, departments_editable_by


def running_in(year: int) -> Q:
    """Actions running at some point of ``year``."""
    return Q(started_on__lte=date(year, 12, 31)) & (Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))


def _sum(model: Any, field: str, year: int | None, output: Any) -> Coalesce:
    rows = model.objects.filter(action_id=OuterRef("pk"))
    if year is not None:
        rows = rows.filter(year=year)
    total = rows.order_by().values("action_id").annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(total, output_field=output), Value(0), output_field=output)


def _funding_total(year: int | None) -> Coalesce:
    return _sum(ActionFunding, "amount", year, DecimalField(max_digits=14, decimal_places=2))


def actions_for_list(
    user: Any,
    *,
    department: str | None = None,
    domain: str | None = None,
    year: int | None = None,
    site: int | None = None,
) -> QuerySet[SiteAction]:
    """The actions the user sees, filtered, with ``sites_count``, ``funding_total`` (of
    ``year``, or of all years), ``planned_total`` and ``achieved_total`` (idem), the lead
    organisation and the partners (one more query, prefetched)."""
    queryset = actions_visible_to(user)
    if department:
        queryset = queryset.filter(department_id=department)
    if domain:
        queryset = queryset.filter(domain=domain)
    if year:
        queryset = queryset.filter(running_in(year))
    if site:
        queryset = queryset.filter(sites=site)
    sites_count = (
        Site.actions.through.objects.filter(siteaction_id=OuterRef("pk"))
        .order_by()
        .values("siteaction_id")
        .annotate(sites_n=Count("pk"))
        .values("sites_n")  # type: ignore[misc]
    )
    return (
        queryset.select_related("lead_organisation", "department")
        .prefetch_related(Prefetch("partners", queryset=Organisation.objects.order_by("name", "pk")))
        .annotate(
            sites_count=Coalesce(Subquery(sites_count, output_field=IntegerField()), Value(0)),
            funding_total=_funding_total(year),
            planned_total=_sum(ActionIndicator, "planned", year, IntegerField()),
            achieved_total=_sum(ActionIndicator, "achieved", year, IntegerField()),
        )
        .order_by("-started_on", "title", "pk")
    )


def action_get_for(user: Any, pk: Any) -> SiteAction:
    """The action, or ``SiteAction.DoesNotExist`` (the views answer 404) if missing or hidden."""
    return actions_visible_to(user).select_related("lead_organisation", "department").get(pk=int(pk))


def action_detail_data(action: SiteAction) -> dict[str, Any]:
    """What the action's page shows, in four queries: the sites, the partners, the fundings and
    the indicators, with totals per year and per funder kind, and the rate per indicator."""
    sites = list(action.sites.select_related("commune").order_by("name", "pk"))
    partners = list(action.partners.order_by("name", "pk"))
    fundings = list(action.fundings.order_by("year", "funder", "pk"))
    indicators = list(action.indicators.order_by("year", "label", "pk"))
    by_year: OrderedDict[int, dict[str, Any]] = OrderedDict()
    kinds: dict[str, Decimal] = {}
    for funding in fundings:
        group = by_year.setdefault(funding.year, {"year": funding.year, "fundings": [], "total": Decimal(0)})
        group["fundings"].append(funding)
        group["total"] += funding.amount
        kinds[funding.funder_kind] = kinds.get(funding.funder_kind, Decimal(0)) + funding.amount
    by_kind = [
        {"kind": value, "label": label, "total": kinds[value]} for value, label in FunderKind.choices if value in kinds
    ]
    indicator_years: OrderedDict[int, list[ActionIndicator]] = OrderedDict()
    for indicator in indicators:
        indicator.rate = (  # type: ignore[attr-defined]
            round(100 * indicator.achieved / indicator.planned)
            if indicator.planned and indicator.achieved is not None
            else None
        )
        indicator_years.setdefault(indicator.year, []).append(indicator)
    return {
        "sites": sites,
        "partners": partners,
        "fundings": fundings,
        "funding_years": list(by_year.values()),
        "funding_by_kind": by_kind,
        "funding_total": sum((f.amount for f in fundings), Decimal(0)),
        "indicators": indicators,
        "indicator_years": [{"year": y, "indicators": rows} for y, rows in indicator_years.items()],
    }


def actions_context(user: Any, site: Site) -> dict[str, Any]:
    """The site page's section: the actions on this site the user sees (title, domain, lead
    organisation, period, this year's funding total), and whether the user may create one
    on this site. One query."""
    year = timezone.localdate().year
    actions = list(
        actions_visible_to(user)
        .filter(sites=site)
        .select_related("lead_organisation")
        .annotate(year_funding=_funding_total(year))
        .order_by("-started_on", "title", "pk")
    )
    return {
        "actions_section": {
            "actions": actions,
            "year": year,
            "can_create": site.department_id in departments_editable_by(user),
        }
    }
