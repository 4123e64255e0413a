from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory

from maillage.organisations.enums import OrganisationKind, Role
from maillage.organisations.models import Membership, Organisation
from maillage.territory.models import Department
from tests.accounts.factories import UserFactory


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Association {n}")
    kind = OrganisationKind.ASSOCIATION

    @factory.post_generation
    def departments(obj: Organisation, create: bool, extracted: Iterable[str] | None, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.departments.set(Department.objects.filter(code__in=list(extracted or ["59"])))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.PROFESSIONAL


def member(role: str, organisation: Organisation | None = None, **kwargs: Any) -> Any:
    """A user holding ``role`` in ``organisation`` (a new one by default)."""
    membership = MembershipFactory(role=role, organisation=organisation or OrganisationFactory(), **kwargs)
    return membership.user
