"""Each role × its own organisation / another organisation, for every action of the policy."""

from __future__ import annotations

import pytest
from django.http import Http404

from maillage.audit.permissions import can_view_audit
from maillage.organisations import permissions as p
from maillage.organisations.enums import Role
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

ACTIONS = {
    "view": p.can_view_organisation,
    "change": p.can_change_organisation,
    "view_members": p.can_view_members,
    "manage_members": p.can_manage_members,
}

# role -> (own organisation, other organisation in department 59, other organisation in 93)
EXPECTED = {
    Role.ADMIN: ({a: True for a in ACTIONS}, {a: True for a in ACTIONS}, {a: True for a in ACTIONS}),
    Role.COORDINATOR: (
        {a: True for a in ACTIONS},
        {a: True for a in ACTIONS},
        {"view": True, "change": False, "view_members": False, "manage_members": False},
    ),
    Role.MANAGER: (
        {a: True for a in ACTIONS},
        {"view": True, "change": False, "view_members": False, "manage_members": False},
        {"view": True, "change": False, "view_members": False, "manage_members": False},
    ),
    **{
        role: (
            {"view": True, "change": False, "view_members": True, "manage_members": False},
            {"view": True, "change": False, "view_members": False, "manage_members": False},
            {"view": True, "change": False, "view_members": False, "manage_members": False},
        )
        for role in (Role.PROFESSIONAL, Role.VOLUNTEER, Role.PARTNER)
    },
}


@pytest.mark.parametrize("role", list(Role))
def test_policy_matrix(role: Role) -> None:
    own = OrganisationFactory(departments=["59", "62"])
    user = member(role, own)
    other_59 = OrganisationFactory(departments=["59"])
    other_93 = OrganisationFactory(departments=["93"])
    for target, expected in zip((own, other_59, other_93), EXPECTED[role], strict=True):
        for action, check in ACTIONS.items():
            assert check(user, target) is expected[action], (role, target.name, action)
            if expected[action]:
                assert p.organisation_get_for(user, target.pk, action=action) == target
            else:
                with pytest.raises(Http404):
                    p.organisation_get_for(user, target.pk, action=action)


@pytest.mark.parametrize(
    ("role", "can_create", "can_audit", "two_factor"),
    [
        (Role.ADMIN, True, True, True),
        (Role.COORDINATOR, True, False, True),
        (Role.MANAGER, False, False, False),
        (Role.PROFESSIONAL, False, False, False),
        (Role.VOLUNTEER, False, False, False),
        (Role.PARTNER, False, False, False),
    ],
)
def test_global_actions(role: Role, can_create: bool, can_audit: bool, two_factor: bool) -> None:
    user = member(role)
    assert p.can_create_organisation(user) is can_create
    assert can_view_audit(user) is can_audit
    assert p.requires_two_factor(user) is two_factor


def test_inactive_organisation_is_hidden_like_a_missing_one() -> None:
    user = member(Role.MANAGER)
    inactive = OrganisationFactory(is_active=False, departments=["93"])
    assert p.can_view_organisation(user, inactive) is False
    with pytest.raises(Http404):
        p.organisation_get_for(user, inactive.pk)
    with pytest.raises(Http404):
        p.organisation_get_for(user, 999_999)
    with pytest.raises(Http404):
        p.organisation_get_for(user, "not-a-number")


def test_inactive_membership_gives_no_right() -> None:
    own = OrganisationFactory()
    user = member(Role.MANAGER, own, is_active=False)
    assert p.can_change_organisation(user, own) is False
    assert p.can_view_members(user, own) is False


def test_grantable_roles_never_exceed_the_granter() -> None:
    own = OrganisationFactory()
    manager = member(Role.MANAGER, own)
    assert set(p.grantable_roles(manager, own)) == {Role.MANAGER, Role.PROFESSIONAL, Role.VOLUNTEER, Role.PARTNER}
    coordinator = member(Role.COORDINATOR, OrganisationFactory(departments=["59"]))
    assert Role.ADMIN not in p.grantable_roles(coordinator, own)
    assert Role.COORDINATOR in p.grantable_roles(coordinator, own)
    professional = member(Role.PROFESSIONAL, own)
    assert p.grantable_roles(professional, own) == []
    admin = member(Role.ADMIN)
    assert set(p.grantable_roles(admin, own)) == set(Role.values)


def test_anonymous_user_may_do_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    org = OrganisationFactory()
    anonymous = AnonymousUser()
    assert not any(check(anonymous, org) for check in ACTIONS.values())
    assert not p.can_create_organisation(anonymous)
