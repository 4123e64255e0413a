"""Consent: recording and withdrawing per purpose, the page's policy, the printable sheet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.organisations.enums import Role
from maillage.pathways.enums import ConsentPurpose, Relation
from maillage.pathways.models import Consent
from maillage.pathways.services.consent import consent_give, consent_withdraw
from tests.organisations.factories import OrganisationFactory, member
from tests.pathways.factories import ConsentFactory, HouseholdFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    household = HouseholdFactory()
    PersonFactory(household=household, first_name="Florica", last_name="Dumitru")
    return household


@pytest.fixture
def person(household):
    return household.members.get(relation=Relation.REFERENCE)


@pytest.fixture
def pro(household):
    return member(Role.PROFESSIONAL, household.organisation)


def _give(actor, person, purpose=ConsentPurpose.FOLLOW_UP, **kwargs):
    kwargs.setdefault("language", "ro")
    kwargs.setdefault("given_on", timezone.localdate())
    return consent_give(actor=actor, person=person, purpose=purpose, **kwargs)


# --- Services ------------------------------------------------------------------------------


def test_consent_give_records_who_when_and_language_with_an_audit_entry(person, pro):
    before = person.household.last_activity_at
    partner = OrganisationFactory()
    consent = _give(pro, person, ConsentPurpose.SHARING, partner=partner, language="ar")
    assert consent.collected_by == pro and consent.language == "ar" and consent.partner == partner
    assert consent.is_active
    entry = AuditEntry.objects.get(object_type="pathways.consent", object_id=str(consent.pk))
    assert entry.action == "create" and entry.actor == pro
    assert entry.changes["purpose"] == [None, "sharing"]
    assert "Florica" not in str(entry.changes) and "Dumitru" not in entry.object_repr
    person.household.refresh_from_db()
    assert person.household.last_activity_at > before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"purpose": ConsentPurpose.SHARING}, "partner"),
        ({"purpose": ConsentPurpose.SMS, "partner": "other"}, "partner"),
        ({"language": "xx"}, "language"),
        ({"given_on": timezone.localdate() + timedelta(days=2)}, "given_on"),
        ({"purpose": "ethnicity"}, "purpose"),
    ],
)
def test_consent_give_refuses_bad_input(person, pro, kwargs, field):
    if kwargs.get("partner") == "other":
        kwargs["partner"] = OrganisationFactory()
    with pytest.raises(ValidationError) as exc:
        _give(pro, person, **kwargs)
    assert field in exc.value.message_dict
    assert not Consent.objects.exists()


def test_sharing_with_the_own_organisation_and_duplicates_are_refused(person, pro):
    with pytest.raises(ValidationError):
        _give(pro, person, ConsentPurpose.SHARING, partner=person.household.organisation)
    _give(pro, person)
    with pytest.raises(ValidationError):
        _give(pro, person)
    assert Consent.objects.count() == 1


def test_consent_withdraw_records_date_and_who_then_refuses_twice(person, pro):
    consent = _give(pro, person, ConsentPurpose.SMS)
    other = member(Role.MANAGER, person.household.organisation)
    consent_withdraw(actor=other, consent=consent)
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate() and consent.withdrawn_by == other
    assert AuditEntry.objects.filter(object_id=str(consent.pk), action="update", actor=other).exists()
    with pytest.raises(ValidationError):
        consent_withdraw(actor=other, consent=consent)
    # A new consent may be given after a withdrawal.
    assert _give(pro, person, ConsentPurpose.SMS).is_active


# --- Page ----------------------------------------------------------------------------------


def test_a_professional_records_and_withdraws_a_consent_on_the_page(client, household, person, pro):
    partner = OrganisationFactory(name="Secours Solidaire")
    client.force_login(pro)
    url = reverse("pathways:consents", args=[household.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Florica" in response.content.decode()
    assert AuditEntry.objects.filter(action="read", object_id=str(household.pk)).exists()
    data = {
        "person": person.pk,
        "purpose": "sharing",
        "partner": partner.pk,
        "language": "bg",
        "given_on": timezone.localdate().isoformat(),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.partner == partner and consent.language == "bg" and consent.collected_by == pro
    page = client.get(url).content.decode()
    assert "Secours Solidaire" in page
    response = client.post(reverse("pathways:consent_withdraw", args=[household.pk, consent.pk]))
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None


def test_sharing_without_partner_shows_an_error_on_the_form(client, household, person, pro):
    client.force_login(pro)
    response = client.post(
        reverse("pathways:consents", args=[household.pk]),
        {"person": person.pk, "purpose": "sharing", "language": "fr", "given_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["partner"]
    assert not Consent.objects.exists()


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_other_members_of_the_organisation_read_but_do_not_write(client, household, person, role):
    consent = ConsentFactory(person=person)
    user = member(role, household.organisation)
    client.force_login(user)
    url = reverse("pathways:consents", args=[household.pk])
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"] is None
    post = {"person": person.pk, "purpose": "sms", "language": "fr", "given_on": timezone.localdate().isoformat()}
    assert client.post(url, post).status_code == 404
    assert client.post(reverse("pathways:consent_withdraw", args=[household.pk, consent.pk])).status_code == 404
    consent.refresh_from_db()
    assert consent.is_active and Consent.objects.count() == 1


def test_other_organisations_and_receivers_of_a_referral_get_404(client, household, person):
    stranger = member(Role.MANAGER, OrganisationFactory())
    client.force_login(stranger)
    assert client.get(reverse("pathways:consents", args=[household.pk])).status_code == 404
    partner = OrganisationFactory()
    ReferralFactory(household=household, to_organisation=partner)
    ConsentFactory(person=person, purpose=ConsentPurpose.SHARING, partner=partner)
    receiver = member(Role.PROFESSIONAL, partner)
    client.force_login(receiver)
    assert client.get(reverse("pathways:consents", args=[household.pk])).status_code == 404
    assert client.get(reverse("pathways:consent_sheet", args=[household.pk])).status_code == 404


def test_consents_page_has_a_fixed_number_of_queries(client, household, person, pro, django_assert_num_queries):
    ConsentFactory(person=person)
    client.force_login(pro)
    url = reverse("pathways:consents", args=[household.pk])
    # session, user, memberships, household, persons, their consents (with partner and users),
    # audit read, the form's persons (rendered twice) and partner organisations, session saved (3).
    with django_assert_num_queries(QUERIES):
        client.get(url)
    for _index in range(4):
        other = PersonFactory(household=household, relation=Relation.CHILD)
        ConsentFactory.create_batch(2, person=other, purpose=ConsentPurpose.SHARING, partner=OrganisationFactory())
    with django_assert_num_queries(QUERIES):
        client.get(url)


QUERIES = 13


# --- Printable sheet -----------------------------------------------------------------------


def test_the_sheet_in_arabic_is_right_to_left_and_lists_the_current_consents(client, household, person, pro):
    partner = OrganisationFactory(name="Maison des Familles")
    ConsentFactory(person=person, purpose=ConsentPurpose.SHARING, partner=partner)
    ConsentFactory(person=person, purpose=ConsentPurpose.SMS, withdrawn_on=timezone.localdate())
    client.force_login(pro)
    response = client.get(reverse("pathways:consent_sheet", args=[household.pk]), {"lang": "ar"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "Maison des Familles" in page and "Florica" in page
    assert household.organisation.name in page
    assert response["Content-Language"] == "ar"
    assert len(response.context["current"]) == 1  # not the withdrawn one
    assert AuditEntry.objects.filter(action="read", object_id=str(household.pk), reason="consent sheet").exists()


@pytest.mark.parametrize("lang", ["prs", "ps"])
def test_dari_and_pashto_are_right_to_left_too(client, household, person, pro, lang):
    client.force_login(pro)
    page = client.get(reverse("pathways:consent_sheet", args=[household.pk]), {"lang": lang}).content.decode()
    assert f'<html lang="{lang}" dir="rtl">' in page


def test_the_sheet_in_romanian_is_left_to_right_and_defaults_to_the_persons_language(client, household, pro):
    client.force_login(pro)
    url = reverse("pathways:consent_sheet", args=[household.pk])
    page = client.get(url, {"lang": "ro"}).content.decode()
    assert '<html lang="ro" dir="ltr">' in page
    assert "Signature" in page or "Semnătura" in page or "______" in page
    # Without ?lang=, the person's first portal language (the factory's person speaks "ro").
    assert '<html lang="ro" dir="ltr">' in client.get(url).content.decode()
    # An unknown language falls back.
    assert client.get(url, {"lang": "xx"}).status_code == 200
