"""Organisation pages: fixed query counts, 404 for forbidden objects, forms with errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from maillage.audit.models import AuditEntry
from maillage.organisations import services
from maillage.organisations.enums import Role
from maillage.organisations.models import Invitation, Membership, Organisation
from tests.accounts.factories import UserFactory
from tests.conftest import verified_login
from tests.organisations.factories import MembershipFactory, OrganisationFactory, member

pytestmark = pytest.mark.django_db


def test_login_is_required(client: Any) -> None:
    response = client.get(reverse("organisations:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_list_page_has_a_fixed_number_of_queries(client: Any, django_assert_num_queries: Any) -> None:
    user = member(Role.PROFESSIONAL)
    for _ in range(12):
        organisation = OrganisationFactory(departments=["59", "62"])
        MembershipFactory.create_batch(2, organisation=organisation)
    client.force_login(user)
    client.get(reverse("organisations:list"))
    # session, user, access, count, page, departments prefetch, session save (3)
    with django_assert_num_queries(9):
        response = client.get(reverse("organisations:list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 13
    OrganisationFactory.create_batch(10, departments=["93"])
    with django_assert_num_queries(9):
        client.get(reverse("organisations:list"))


def test_list_filters(client: Any) -> None:
    client.force_login(member(Role.PROFESSIONAL))
    OrganisationFactory(name="Secours Populaire Français", departments=["93"])
    OrganisationFactory(name="Médecins du Monde", departments=["59"])
    response = client.get(reverse("organisations:list"), {"q": "medecins"})
    assert [o.name for o in response.context["page"]] == ["Médecins du Monde"]
    response = client.get(reverse("organisations:list"), {"department": "93"})
    assert [o.name for o in response.context["page"]] == ["Secours Populaire Français"]


def test_detail_forbidden_is_like_missing(client: Any) -> None:
    client.force_login(member(Role.MANAGER))
    hidden = OrganisationFactory(is_active=False)
    forbidden = client.get(reverse("organisations:detail", args=[hidden.pk]))
    missing = client.get(reverse("organisations:detail", args=[999_999]))
    assert forbidden.status_code == missing.status_code == 404

    # Same page, but for the URL itself (echoed in the language switcher) and the CSRF token.
    def normalise(content: bytes, pk: int) -> bytes:
        return re.sub(rb'name="csrfmiddlewaretoken" value="\w+"', b"", content.replace(str(pk).encode(), b"ID"))

    assert normalise(forbidden.content, hidden.pk) == normalise(missing.content, 999_999)


def test_members_hidden_from_other_organisations(client: Any) -> None:
    other = OrganisationFactory()
    secret_member = MembershipFactory(organisation=other)
    client.force_login(member(Role.PROFESSIONAL))
    response = client.get(reverse("organisations:detail", args=[other.pk]))
    assert response.status_code == 200
    assert secret_member.user.email not in response.content.decode()
    assert client.get(reverse("organisations:edit", args=[other.pk])).status_code == 404


def test_manager_edits_own_organisation(client: Any) -> None:
    own = OrganisationFactory(name="Ancien nom")
    client.force_login(member(Role.MANAGER, own))
    response = client.post(
        reverse("organisations:edit", args=[own.pk]),
        {"name": "Nouveau nom", "kind": "association", "siret": "", "departments": ["59"], "commune_code": "59512"},
    )
    assert response.status_code == 302, response.context["form"].errors
    own.refresh_from_db()
    assert own.name == "Nouveau nom"
    assert own.commune_id == "59512"
    assert AuditEntry.objects.filter(object_id=str(own.pk), action="update").exists()


def test_form_shows_field_errors_and_writes_nothing(client: Any) -> None:
    own = OrganisationFactory(name="Stable")
    client.force_login(member(Role.MANAGER, own))
    response = client.post(
        reverse("organisations:edit", args=[own.pk]),
        {"name": "Changed", "kind": "association", "siret": "12345678901234", "commune_code": "00000"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "siret" in form.errors
    own.refresh_from_db()
    assert own.name == "Stable"
    response = client.post(
        reverse("organisations:edit", args=[own.pk]),
        {"name": "Changed", "kind": "association", "siret": "", "commune_code": "00000"},
    )
    assert "commune_code" in response.context["form"].errors
    own.refresh_from_db()
    assert own.name == "Stable"


def test_coordinator_creates_organisation(client: Any) -> None:
    verified_login(client, member(Role.COORDINATOR, OrganisationFactory(departments=["59"])))
    response = client.post(
        reverse("organisations:create"), {"name": "Nouvelle asso", "kind": "association", "departments": ["59"]}
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(name="Nouvelle asso").exists()


def test_invitation_flow_creates_account_and_membership(
    client: Any, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    own = OrganisationFactory(name="AREAS")
    manager = member(Role.MANAGER, own)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisations:member_invite", args=[own.pk]),
            {"email": "New.Person@Example.org", "role": "professional"},
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    link = next(word for word in body.split() if "/organisations/invitations/" in word)
    path = link.split("testserver")[-1].replace("http://127.0.0.1:8000", "")
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(
        path,
        {
            "first_name": "Ana",
            "last_name": "Radu",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=own, user__email="new.person@example.org")
    assert membership.role == Role.PROFESSIONAL
    assert Invitation.objects.get(email="new.person@example.org").accepted_at is not None
    # The link works once only.
    client.logout()
    assert client.get(path).status_code == 404


def test_manager_cannot_invite_a_coordinator(client: Any) -> None:
    own = OrganisationFactory()
    client.force_login(member(Role.MANAGER, own))
    response = client.post(
        reverse("organisations:member_invite", args=[own.pk]), {"email": "x@example.org", "role": "coordinator"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists()
    assert len(mail.outbox) == 0


def test_last_administrator_cannot_be_removed() -> None:
    admin_membership = MembershipFactory(role=Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        services.membership_update(
            actor=admin_membership.user, membership=admin_membership, role=Role.MANAGER, is_active=True
        )
    assert "role" in error.value.message_dict
    admin_membership.refresh_from_db()
    assert admin_membership.role == Role.ADMIN


def test_existing_user_accepts_invitation_when_logged_in(client: Any) -> None:
    own = OrganisationFactory()
    user = UserFactory(email="known@example.org")
    invitation = services.invitation_send(actor=None, organisation=own, email="known@example.org", role=Role.VOLUNTEER)
    raw = "not-the-token"
    assert client.get(reverse("organisations:invitation_accept", args=[raw])).status_code == 404
    services.invitation_accept(invitation=invitation, user=user)
    assert Membership.objects.get(user=user, organisation=own).role == Role.VOLUNTEER
    other = UserFactory()
    second = services.invitation_send(actor=None, organisation=own, email="someone@example.org", role=Role.VOLUNTEER)
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=second, user=other)
