"""Reads of a site's journal: its entries merged with the Pathways home visits to the site.

The journal of a site is one chronological list (newest first) of

- the entries the user may read (``permissions.journal_visible_to``), and
- the home visits of Pathways to the site (``Appointment`` with ``living_site=site``, kind
  home visit, not cancelled), shown as "Home visit by <organisation> (N households)": never the
  households' names, the title nor the notes of the appointment.

Both are merged in the database (one ``UNION ALL`` of ``(kind, pk, date)`` rows), paged there,
then the rows of the page are read in one query per kind: a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import CharField, Count, F, QuerySet, Value
from django.db.models.functions import TruncDate

from maillage.pathways.enums import AppointmentKind, AppointmentStatus
from maillage.pathways.models import Appointment

from ..models import Site, SiteJournalEntry
from ..permissions import journal_organisations, journal_visible_to

ENTRY = "entry"
VISIT = "visit"
LATEST = 5


@dataclass(frozen=True)
class JournalItem:
    """One line of the journal: an entry, or a home visit (with its number of households)."""

    kind: str
    day: date
    entry: SiteJournalEntry | None = None
    visit: Appointment | None = None

    @property
    def is_visit(self) -> bool:
        return self.kind == VISIT


def site_visits(site: Site) -> QuerySet[Appointment]:
    """The Pathways home visits to the site that were not cancelled."""
    return Appointment.objects.filter(living_site=site, kind=AppointmentKind.HOME_VISIT).exclude(
        status=AppointmentStatus.CANCELLED
    )


def journal_rows(user: Any, site: Site) -> QuerySet[Any]:
    """``(item_kind, pk, item_date)`` rows of the entries and visits, newest first (a UNION)."""
    kind: CharField[str, str] = CharField()
    entries = (
        journal_visible_to(user, site)
        .order_by()
        .annotate(item_kind=Value(ENTRY, output_field=kind), item_date=F("occurred_on"))
        .values_list("item_kind", "pk", "item_date")
    )
    visits = (
        site_visits(site)
        .order_by()
        .annotate(item_kind=Value(VISIT, output_field=kind), item_date=TruncDate("starts_at"))
        .values_list("item_kind", "pk", "item_date")
    )
    return entries.union(visits, all=True).order_by("-item_date", "item_kind", "-id")


def journal_items(rows: list[tuple[str, int, date]]) -> list[JournalItem]:
    """The entries and visits of ``rows`` (one query per kind present), in the rows' order."""
    entry_ids = [pk for kind, pk, _day in rows if kind == ENTRY]
    visit_ids = [pk for kind, pk, _day in rows if kind == VISIT]
    entries: dict[Any, SiteJournalEntry] = {}
    visits: dict[Any, Any] = {}
    if entry_ids:
        entries = SiteJournalEntry.objects.select_related("organisation", "author").in_bulk(entry_ids)
    if visit_ids:
        visits = (
            Appointment.objects.select_related("organisation")
            .annotate(households_count=Count("households"))
            .in_bulk(visit_ids)
        )
    items = []
    for kind, pk, day in rows:
        if kind == ENTRY and pk in entries:
            items.append(JournalItem(kind=ENTRY, day=day, entry=entries[pk]))
        elif kind == VISIT and pk in visits:
            items.append(JournalItem(kind=VISIT, day=day, visit=visits[pk]))
    return items


def journal_context(user: Any, site: Any) -> dict[str, Any]:
    """The section of the site page: the latest items and whether the user may write."""
    rows = list(journal_rows(user, site)[: LATEST + 1])
    return {
        "journal_items": journal_items(rows[:LATEST]),
        "journal_more": len(rows) > LATEST,
        "journal_can_write": bool(journal_organisations(user, site)),
    }
