"""Directory writes: validation, audit, search columns, permissions of editing, stale reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from maillage.audit.models import AuditEntry
from maillage.directory import permissions, services
from maillage.directory.models import Service, Structure
from maillage.organisations.enums import Role
from tests.directory.factories import ProjectFactory, ReferentFactory, ServiceFactory, StructureFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db


def test_structure_create_places_it_at_its_commune_and_journals() -> None:
    org = OrganisationFactory()
    actor = member(Role.MANAGER, org)
    structure = services.structure_create(actor=actor, name="Accueil de jour", organisation=org, commune="59512")
    assert structure.latitude is not None and structure.postal_code == "59100"
    assert AuditEntry.objects.filter(object_type="directory.structure", action="create").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("siret", "12345678901234"),
        ("opening_hours", "tous les jours"),
        ("latitude", 123.0),
        ("commune", "99999"),
        ("email", "pas une adresse"),
    ],
)
def test_bad_structure_fields_are_refused(field: str, value: Any) -> None:
    actor = member(Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        services.structure_create(actor=actor, name="X", **{field: value})
    assert field in error.value.message_dict
    assert not Structure.objects.exists()
    assert not AuditEntry.objects.filter(object_type="directory.structure").exists()


def test_service_search_columns_are_filled() -> None:
    structure = StructureFactory(name="AREAS")
    service = services.service_create(
        actor=member(Role.ADMIN),
        structure=structure,
        name="Cours de français",
        description="Apprendre le français à l'oral et à l'écrit.",
        thematiques=["lecture-ecriture-calcul--maitriser-le-francais"],
        languages=["ro", "bg"],
        eligibility_zone=["59", "62"],
    )
    service.refresh_from_db()
    assert "cours de francais" in service.search_text
    assert "areas" in service.search_text
    assert service.search_vector is not None
    assert Service.objects.filter(search_vector=SearchQuery("francais", config="maillage_fr")).exists()


def test_service_refuses_unknown_theme_language_and_zone() -> None:
    structure = StructureFactory()
    actor = member(Role.ADMIN)
    for field, value in [("thematiques", ["sorcellerie"]), ("languages", ["xx"]), ("eligibility_zone", ["5"])]:
        with pytest.raises(ValidationError) as error:
            services.service_create(actor=actor, structure=structure, name="S", description="D", **{field: value})
        assert field in error.value.message_dict


def test_update_confirms_and_diffs() -> None:
    service = ServiceFactory(name="Ancien")
    old = timezone.now() - timedelta(days=400)
    Service.objects.filter(pk=service.pk).update(confirmed_at=old)
    services.service_update(actor=member(Role.ADMIN), service=service, name="Nouveau")
    service.refresh_from_db()
    assert service.confirmed_at > old
    entry = AuditEntry.objects.get(object_type="directory.service", action="update")
    assert entry.changes["name"] == ["Ancien", "Nouveau"]


@pytest.mark.parametrize(
    ("role", "own", "other_59", "other_93"),
    [
        (Role.ADMIN, True, True, True),
        (Role.COORDINATOR, True, True, False),
        (Role.MANAGER, True, False, False),
        (Role.PROFESSIONAL, True, False, False),
        (Role.VOLUNTEER, False, False, False),
        (Role.PARTNER, False, False, False),
    ],
)
def test_edit_policy(role: Role, own: bool, other_59: bool, other_93: bool) -> None:
    org = OrganisationFactory(departments=["59"])
    user = member(role, org)
    own_service = ServiceFactory(structure=StructureFactory(organisation=org))
    service_59 = ServiceFactory(structure=StructureFactory(commune_id="59512"))
    service_93 = ServiceFactory(structure=StructureFactory(commune_id="93066"))
    for service, expected in ((own_service, own), (service_59, other_59), (service_93, other_93)):
        assert permissions.can_edit_entry(user, service) is expected
        if expected:
            assert permissions.entry_get_for(user, Service, service.pk, action="edit") == service
        else:
            with pytest.raises(Http404):
                permissions.entry_get_for(user, Service, service.pk, action="edit")
        assert permissions.entry_get_for(user, Service, service.pk) == service  # public


def test_inactive_entries_are_hidden_from_the_public() -> None:
    from django.contrib.auth.models import AnonymousUser

    service = ServiceFactory(is_active=False)
    with pytest.raises(Http404):
        permissions.entry_get_for(AnonymousUser(), Service, service.pk)
    hidden_structure = ServiceFactory(structure=StructureFactory(is_active=False))
    with pytest.raises(Http404):
        permissions.entry_get_for(AnonymousUser(), Service, hidden_structure.pk)


def test_referent_contacts_only_for_network_members() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert permissions.can_see_referent_contacts(AnonymousUser()) is False
    assert permissions.can_see_referent_contacts(member(Role.VOLUNTEER)) is True


def test_stale_entries_are_flagged_and_owners_reminded_once(mailoutbox: list[Any]) -> None:
    org = OrganisationFactory()
    manager = member(Role.MANAGER, org)
    old = timezone.now() - timedelta(days=200)
    structure = StructureFactory(organisation=org, confirmed_at=old)
    ServiceFactory(structure=structure, confirmed_at=old)
    ReferentFactory(organisation=org, confirmed_at=old)
    ProjectFactory(organisation=org)  # recent: not in the reminder
    fresh_org_structure = StructureFactory()  # other organisation, fresh
    assert structure.is_stale and not fresh_org_structure.is_stale
    assert set(Structure.objects.stale()) == {structure}
    assert services.stale_entries_remind() == 1
    assert mailoutbox[0].to == [manager.email]
    assert structure.name in mailoutbox[0].body
    assert services.stale_entries_remind() == 0  # not twice in a month
    later = timezone.now() + timedelta(days=31)
    assert services.stale_entries_remind(now=later) == 1


def test_confirm_without_changes() -> None:
    structure = StructureFactory(confirmed_at=timezone.now() - timedelta(days=300))
    services.entry_confirm(actor=member(Role.ADMIN), entry=structure)
    structure.refresh_from_db()
    assert not structure.is_stale


def test_renaming_a_structure_reindexes_its_services() -> None:
    structure = StructureFactory(name="Ancien Nom")
    service = ServiceFactory(structure=structure, name="Accueil de jour")
    services.structure_update(actor=member(Role.ADMIN), structure=structure, name="Maison Solidaire")
    service.refresh_from_db()
    assert "maison solidaire" in service.search_text
    assert Service.objects.filter(search_vector=SearchQuery("solidaire", config="maillage_fr")).exists()
