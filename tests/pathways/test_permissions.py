"""The policy matrix of Pathways: each role × own / shared / unshared case × each class."""

import pytest
from django.http import Http404

from maillage.organisations.enums import Role
from maillage.pathways import permissions
from maillage.pathways.enums import ReferralStatus, SharedItem
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import HouseholdFactory, PersonFactory, ReferralFactory, consent_sharing

pytestmark = pytest.mark.django_db

CLASSES = ["general", "social", "health", "justice"]
EXPECTED_CLASSES = {
    Role.MANAGER: {"general", "social", "health", "justice"},
    Role.PROFESSIONAL: {"general", "social", "health", "justice"},
    Role.VOLUNTEER: {"general", "social"},
    Role.PARTNER: {"general"},
}


@pytest.fixture
def household():
    household = HouseholdFactory()
    PersonFactory(household=household)
    return household


@pytest.mark.parametrize("role", list(EXPECTED_CLASSES))
def test_members_of_the_owning_organisation_read_the_classes_of_their_role(household, role):
    user = member(role, household.organisation)
    found, case = permissions.household_get_for(user, household.pk)
    assert found == household
    assert case.owner
    assert {c for c in CLASSES if case.reads(c)} == EXPECTED_CLASSES[role]
    assert case.can_edit is (role in (Role.MANAGER, Role.PROFESSIONAL))
    assert case.can_write_journal is (role != Role.PARTNER)
    assert all(case.sees(item) for item in SharedItem.values)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, *EXPECTED_CLASSES])
def test_another_organisation_without_referral_gets_404_like_a_missing_case(household, role):
    user = member(role, OrganisationFactory(departments=["59"]))
    with pytest.raises(Http404):
        permissions.household_get_for(user, household.pk)
    with pytest.raises(Http404):
        permissions.household_get_for(user, 999_999_999)
    assert not permissions.households_visible_to(user).filter(pk=household.pk).exists()


def test_a_platform_administrator_does_not_read_case_files(household):
    admin = member(Role.ADMIN, OrganisationFactory())
    with pytest.raises(Http404):
        permissions.household_get_for(admin, household.pk)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROFESSIONAL, Role.PARTNER])
def test_a_receiving_organisation_sees_only_what_was_shared_while_consent_holds(household, role):
    partner = OrganisationFactory()
    user = member(role, partner)
    referral = ReferralFactory(household=household, to_organisation=partner, shared=[SharedItem.IDENTITY])
    with pytest.raises(Http404):  # no consent yet
        permissions.household_get_for(user, household.pk)
    consent = consent_sharing(household, partner)
    _found, case = permissions.household_get_for(user, household.pk)
    assert not case.owner and not case.can_edit and not case.can_write_journal
    assert case.sees(SharedItem.IDENTITY) and not case.sees(SharedItem.DOCUMENTS)
    assert not any(case.reads(c) for c in CLASSES)  # the journal is not shared
    assert permissions.households_visible_to(user).filter(pk=household.pk).exists()

    referral.shared = [SharedItem.IDENTITY, SharedItem.JOURNAL]
    referral.save()
    _found, case = permissions.household_get_for(user, household.pk)
    assert {c for c in CLASSES if case.reads(c)} == {"general", "social"}

    consent.withdrawn_on = consent.given_on
    consent.save()
    with pytest.raises(Http404):
        permissions.household_get_for(user, household.pk)


def test_a_volunteer_of_the_receiving_organisation_sees_nothing(household):
    partner = OrganisationFactory()
    ReferralFactory(household=household, to_organisation=partner, shared=[SharedItem.IDENTITY])
    consent_sharing(household, partner)
    with pytest.raises(Http404):
        permissions.household_get_for(member(Role.VOLUNTEER, partner), household.pk)


@pytest.mark.parametrize("status", [ReferralStatus.REFUSED, ReferralStatus.DONE, ReferralStatus.ABANDONED])
def test_sharing_ends_with_the_referral(household, status):
    partner = OrganisationFactory()
    ReferralFactory(household=household, to_organisation=partner, status=status)
    consent_sharing(household, partner)
    with pytest.raises(Http404):
        permissions.household_get_for(member(Role.PROFESSIONAL, partner), household.pk)


def test_merged_and_anonymised_households_are_seen_by_nobody(household):
    user = member(Role.MANAGER, household.organisation)
    for status in ("merged", "anonymised"):
        household.status = status
        household.save()
        with pytest.raises(Http404):
            permissions.household_get_for(user, household.pk)


def test_editing_needs_an_editing_role(household):
    with pytest.raises(Http404):
        permissions.household_get_for(member(Role.VOLUNTEER, household.organisation), household.pk, edit=True)
    permissions.household_get_for(member(Role.PROFESSIONAL, household.organisation), household.pk, edit=True)


def test_the_visible_households_are_one_query(household, django_assert_num_queries):
    user = member(Role.PROFESSIONAL, household.organisation)
    HouseholdFactory.create_batch(5, organisation=household.organisation)
    permissions.access_for(user)
    with django_assert_num_queries(1):
        assert len(list(permissions.households_visible_to(user))) == 6
