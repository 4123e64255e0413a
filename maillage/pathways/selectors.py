"""Reads of Pathways shared by several areas: the caseload and the document alerts.

Each function returns a queryset whose rows the user may see (``permissions.py`` decides),
built in a fixed number of queries whatever the number of households.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, Greatest
from django.utils import timezone

from maillage.organisations.enums import Role
from maillage.organisations.permissions import access_for
from maillage.territory.text import normalize_search

from .enums import Relation, SharedItem
from .models import Household, Person, ResidenceDocument
from .permissions import active_referrals, households_visible_to

# Duplicate check: a name this close (pg_trgm, 0..1) with a birth year within one year.
DUPLICATE_NAME_THRESHOLD = 0.55
DUPLICATE_LIMIT = 10


def _owned(user: Any) -> list[int]:
    return list(access_for(user).roles_by_org)


def _receiving(user: Any) -> list[int]:
    return [org for org, role in access_for(user).roles_by_org.items() if role != Role.VOLUNTEER]


def _shared_with_user(user: Any, item: str) -> Exists:
    """The household (``OuterRef("pk")``) is shared with one of the user's organisations, ``item`` included."""
    return Exists(
        active_referrals().filter(
            household_id=OuterRef("pk"), to_organisation_id__in=_receiving(user), shared__contains=[item]
        )
    )


def alert_limit(days: int | None = None) -> date:
    """Documents expiring on or before this date are alerts (expired ones included)."""
    return timezone.localdate() + timedelta(days=settings.PATHWAYS_DOCUMENT_ALERT_DAYS if days is None else days)


def documents_expiring(user: Any, days: int | None = None) -> QuerySet[ResidenceDocument]:
    """Residence documents expired or expiring within ``days`` days, of the households the user
    sees with their documents (their own organisations', or shared with "documents")."""
    owned = _owned(user)
    households = households_visible_to(user).filter(
        Q(organisation_id__in=owned) | Q(_shared_with_user(user, SharedItem.DOCUMENTS))
    )
    return (
        ResidenceDocument.objects.filter(
            expires_on__isnull=False,
            expires_on__lte=alert_limit(days),
            person__merged_into__isnull=True,
            person__household__in=households,
        )
        .select_related("person", "person__household")
        .order_by("expires_on", "pk")
    )


def identity_visible_households(user: Any) -> QuerySet[Household]:
    """Households whose names the user may see (own organisations', or shared with "identity")."""
    return households_visible_to(user).filter(
        Q(organisation_id__in=_owned(user)) | Q(_shared_with_user(user, SharedItem.IDENTITY))
    )


@dataclass(frozen=True)
class CaseloadFilters:
    mine: bool = False
    organisation: int | None = None
    q: str = ""
    status: str = ""


def caseload(user: Any, filters: CaseloadFilters | None = None) -> QuerySet[Household]:
    """The households the user sees, with what the caseload shows, in one query per page.

    Annotations: ``ref_first_name``/``ref_last_name`` (the reference person), ``members_count``,
    ``alerts_count`` (documents expired or expiring soon), ``is_ours`` (1 for the user's own
    organisations, 0 for a case shared by a referral), ``identity_shared``, ``contacts_shared``.
    """
    filters = filters or CaseloadFilters()
    owned = _owned(user)
    reference = Person.objects.filter(household_id=OuterRef("pk"), merged_into__isnull=True).order_by(
        Case(When(relation=Relation.REFERENCE, then=Value(0)), default=Value(1)), "pk"
    )
    members = (
        Person.objects.filter(household_id=OuterRef("pk"), merged_into__isnull=True)
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    alerts = (
        documents_expiring(user)
        .filter(person__household_id=OuterRef("pk"))
        .order_by()
        .values("person__household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        households_visible_to(user)
        .select_related("organisation", "referent")
        .annotate(
            ref_first_name=Subquery(reference.values("first_name")[:1]),
            ref_last_name=Subquery(reference.values("last_name")[:1]),
            members_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            alerts_count=Coalesce(Subquery(alerts, output_field=IntegerField()), 0),
            is_ours=Case(When(organisation_id__in=owned or [0], then=Value(1)), default=Value(0)),
            identity_shared=_shared_with_user(user, SharedItem.IDENTITY),
            contacts_shared=_shared_with_user(user, SharedItem.CONTACTS),
        )
    )
    if filters.mine:
        qs = qs.filter(referent=user)
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.status:
        qs = qs.filter(status=filters.status)
    text = normalize_search(filters.q or "")
    if text:
        named = Exists(
            Person.objects.filter(household_id=OuterRef("pk"), merged_into__isnull=True).filter(
                Q(search_names__contains=text) | Q(search_names__trigram_word_similar=text)
            )
        )
        # Names are searched only where the user may see them.
        qs = qs.filter(Q(name__unaccent__icontains=text) | Q(named)).filter(
            Q(organisation_id__in=owned) | Q(identity_shared=True)
        )
    return qs.order_by(F("last_activity_at").desc(), "-pk")


def duplicate_candidates(
    user: Any,
    *,
    first_name: str,
    last_name: str = "",
    aliases: list[str] | None = None,
    birth_year: int | None = None,
    exclude_household: int | None = None,
) -> QuerySet[Person]:
    """Persons the user may see whose names are close (pg_trgm) and born within a year.

    Tolerates accents, case and typos ("Popescu"/"Popesku"); a person whose year of birth is
    unknown (either side) is a candidate on the name alone.
    """
    names = [f"{first_name} {last_name}", *(aliases or [])]
    queries = [normalize_search(n) for n in names if normalize_search(n)]
    if not queries:
        return Person.objects.none()
    scores = [TrigramSimilarity("search_names", q) for q in queries] + [
        TrigramWordSimilarity(q, "search_names") for q in queries
    ]
    qs = (
        Person.objects.current()
        .filter(household__in=identity_visible_households(user))
        .annotate(name_score=Greatest(*scores) if len(scores) > 1 else scores[0])
        .filter(name_score__gte=DUPLICATE_NAME_THRESHOLD)
        .annotate(year=Coalesce(ExtractYear("birth_date"), F("birth_year"), output_field=IntegerField()))
    )
    if birth_year is not None:
        qs = qs.filter(Q(year__isnull=True) | Q(year__gte=birth_year - 1, year__lte=birth_year + 1))
    if exclude_household is not None:
        qs = qs.exclude(household_id=exclude_household)
    return qs.select_related("household", "household__organisation").order_by("-name_score", "pk")[:DUPLICATE_LIMIT]
