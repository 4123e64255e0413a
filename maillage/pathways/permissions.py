"""Policy of Pathways: who may see and do what on a case.

A household belongs to one organisation (``Household.organisation``). Its members see it
according to their role; another organisation sees it only through a referral it received,
while the referral is active, only the items the sender chose to share, and only while the
household's reference person consents to sharing with that organisation. Nobody else does,
platform administrators and territory coordinators included: they get statistics, not files.

Sensitivity classes of the journal and attachments, by role in the owning organisation:

| role         | general | social | health | justice | edits |
| ------------ | ------- | ------ | ------ | ------- | ----- |
| manager      | yes     | yes    | yes    | yes     | yes   |
| professional | yes     | yes    | yes    | yes     | yes   |
| volunteer    | yes     | yes    | no     | no      | journal (general, social) |
| partner      | yes     | no     | no     | no      | no    |

A receiving organisation (any role but volunteer) reads the shared items, and the journal
entries marked "shared" of the classes general and social; it writes nothing on the case but
the referral's answer and its own shared journal entries.

Views never decide themselves: they call ``household_get_for`` (404 for a forbidden case,
exactly as for a missing one) and the ``can_*`` functions below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from maillage.organisations.enums import Role
from maillage.organisations.permissions import access_for

from .enums import REFERRAL_SHARING_STATUSES, ConsentPurpose, Relation, Sensitivity, SharedItem
from .models import Consent, Household, Referral

ALL_CLASSES = frozenset(Sensitivity.values)
CLASSES_BY_ROLE: dict[str, frozenset[str]] = {
    Role.MANAGER: ALL_CLASSES,
    Role.PROFESSIONAL: ALL_CLASSES,
    Role.VOLUNTEER: frozenset({Sensitivity.GENERAL, Sensitivity.SOCIAL}),
    Role.PARTNER: frozenset({Sensitivity.GENERAL}),
}
EDITING_ROLES = frozenset({Role.MANAGER, Role.PROFESSIONAL})
SHARED_CLASSES = frozenset({Sensitivity.GENERAL, Sensitivity.SOCIAL})


@dataclass(frozen=True)
class CaseAccess:
    """What one user may do on one household."""

    owner: bool = False  # member of the owning organisation
    role: str | None = None
    classes: frozenset[str] = frozenset()  # journal classes readable
    shared: frozenset[str] = frozenset()  # for a receiving organisation: the shared items
    referral_ids: tuple[int, ...] = field(default_factory=tuple)

    @property
    def visible(self) -> bool:
        return self.owner or bool(self.referral_ids)

    @property
    def can_edit(self) -> bool:
        return self.owner and self.role in EDITING_ROLES

    @property
    def can_write_journal(self) -> bool:
        return self.owner and self.role in EDITING_ROLES | {Role.VOLUNTEER}

    def sees(self, item: str) -> bool:
        """May this user see this kind of item (``SharedItem``)? Owners see everything."""
        return self.owner or item in self.shared

    def reads(self, sensitivity: str) -> bool:
        return sensitivity in self.classes


NO_ACCESS = CaseAccess()


def _sharing_consented() -> Exists:
    """The household's reference person consents to sharing with the referral's receiver."""
    return Exists(
        Consent.objects.filter(
            person__household_id=OuterRef("household_id"),
            person__relation=Relation.REFERENCE,
            purpose=ConsentPurpose.SHARING,
            partner_id=OuterRef("to_organisation_id"),
            withdrawn_on__isnull=True,
        )
    )


def active_referrals() -> QuerySet[Referral]:
    """Referrals through which the receiver currently sees the case."""
    return Referral.objects.filter(status__in=REFERRAL_SHARING_STATUSES).filter(_sharing_consented())


def case_access(user: Any, household: Household) -> CaseAccess:
    access = access_for(user)
    role = access.role_in(household.organisation_id)
    if household.status in ("merged", "anonymised"):
        return NO_ACCESS
    if role is not None:
        return CaseAccess(owner=True, role=role, classes=CLASSES_BY_ROLE.get(role, frozenset()))
    receiving = {org for org, r in access.roles_by_org.items() if r != Role.VOLUNTEER}
    if not receiving:
        return NO_ACCESS
    rows = list(
        active_referrals()
        .filter(household=household, to_organisation_id__in=receiving)
        .values_list("pk", "shared", "to_organisation_id")
    )
    if not rows:
        return NO_ACCESS
    shared: set[str] = set()
    for _pk, items, _org in rows:
        shared.update(items)
    classes = SHARED_CLASSES if SharedItem.JOURNAL in shared else frozenset()
    role = access.roles_by_org[rows[0][2]]
    return CaseAccess(role=role, classes=classes, shared=frozenset(shared), referral_ids=tuple(r[0] for r in rows))


def households_visible_to(user: Any) -> QuerySet[Household]:
    """Households of the user's organisations, and those shared with them by an active referral."""
    access = access_for(user)
    owned = list(access.roles_by_org)
    receiving = [org for org, r in access.roles_by_org.items() if r != Role.VOLUNTEER]
    shared = active_referrals().filter(household_id=OuterRef("pk"), to_organisation_id__in=receiving)
    return Household.objects.active().filter(Q(organisation_id__in=owned) | Q(Exists(shared)))


def household_get_for(user: Any, pk: Any, *, edit: bool = False) -> tuple[Household, CaseAccess]:
    """The household and the user's access to it, or 404 (forbidden looks like missing)."""
    try:
        household = Household.objects.select_related("organisation", "referent", "commune").get(pk=int(pk))
    except (Household.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    case = case_access(user, household)
    if not case.visible or (edit and not case.can_edit):
        raise Http404
    return household, case


def can_create_household(user: Any, organisation_id: int) -> bool:
    return access_for(user).role_in(organisation_id) in EDITING_ROLES


def organisations_for_new_households(user: Any) -> list[int]:
    access = access_for(user)
    return [org for org, role in access.roles_by_org.items() if role in EDITING_ROLES]


def can_answer_referral(user: Any, referral: Referral) -> bool:
    return access_for(user).role_in(referral.to_organisation_id) in EDITING_ROLES


def can_view_privacy(user: Any, case: CaseAccess) -> bool:
    """The read journal, the export and the erasure are for the owning organisation's staff."""
    return case.owner and case.role in EDITING_ROLES
