"""Reads of the organisations app."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Invitation, Membership, Organisation
from .permissions import access_for


def organisation_list(*, user: Any, search: str = "", kind: str = "", department: str = "") -> QuerySet[Organisation]:
    """Organisations this user may see, filtered; one query plus one for departments."""
    access = access_for(user)
    qs = Organisation.objects.all()
    if not access.is_admin:
        visible = Q(is_active=True) | Q(pk__in=list(access.roles_by_org))
        if access.coordinated_departments:
            visible |= Q(departments__code__in=access.coordinated_departments)
        qs = qs.filter(visible)
    if search:
        qs = qs.filter(Q(name__unaccent__icontains=search) | Q(acronym__unaccent__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if department:
        qs = qs.filter(departments__code=department)
    return (
        qs.distinct()
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True), distinct=True))
        .select_related("commune")
        .prefetch_related("departments")
        .order_by("name", "pk")
    )


def membership_list_for_user(*, user: Any) -> QuerySet[Membership]:
    return Membership.objects.active().filter(user=user).select_related("organisation")


def member_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("-is_active", "user__last_name", "user__email")


def invitation_list(*, organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.pending().select_related("invited_by")
