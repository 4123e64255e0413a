"""Directory pages: public pages logged out, filters, fixed query counts, editing rights,
forms with errors, the "still up to date" button, exports, referents' contacts, printing."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from maillage.audit.models import AuditEntry
from maillage.directory import enums
from maillage.directory.models import Project, Referent, Service, Structure
from maillage.organisations.enums import Role
from tests.conftest import verified_login
from tests.directory.factories import ProjectFactory, ReferentFactory, ServiceFactory, StructureFactory
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

FRANCAIS = "lecture-ecriture-calcul--maitriser-le-francais"
ALIMENTATION = "equipement-et-alimentation--alimentation"
SOINS = "sante--acces-aux-soins"
OLD = timedelta(days=400)


def french_course(**kwargs: Any) -> Service:
    defaults: dict[str, Any] = {
        "name": "Cours de français langue étrangère",
        "description": "Apprendre le français à l'oral et à l'écrit.",
        "kind": enums.ServiceKind.FRENCH_COURSE,
        "course_type": enums.CourseType.FLE,
        "levels": ["A1", "A2"],
        "schedule": "Mardi et jeudi 14 h – 16 h",
        "childcare": True,
        "next_sessions": [timezone.localdate() + timedelta(days=10)],
        "thematiques": [FRANCAIS],
        "languages": ["fr", "ro"],
        "fees": "gratuit",
    }
    return ServiceFactory(**{**defaults, **kwargs})


def names(response: Any) -> list[str]:
    return [service.name for service in response.context["page"]]


# --- Public pages --------------------------------------------------------------------------


def test_public_pages_render_logged_out(client: Any) -> None:
    service = french_course()
    project = ProjectFactory(thematiques=[FRANCAIS])
    ReferentFactory()
    pages = [
        reverse("directory:search"),
        reverse("directory:search") + "?q=francais",
        service.get_absolute_url(),
        reverse("directory:service_print", args=[service.pk]),
        service.structure.get_absolute_url(),
        reverse("directory:referent_list"),
        reverse("directory:project_list"),
        project.get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'<main id="main"' in response.content, url
    detail = client.get(service.get_absolute_url()).content.decode()
    assert "French-language course" in detail or "Cours de français" in detail
    assert "A1, A2" in detail
    assert 'id="map"' in detail and 'id="map-data"' in detail
    assert reverse("directory:service_print", args=[service.pk]) in detail
    assert reverse("directory:service_edit", args=[service.pk]) not in detail  # not for visitors


def test_member_pages_require_login(client: Any) -> None:
    structure = StructureFactory()
    service = ServiceFactory(structure=structure)
    for url in [
        reverse("directory:my_entries"),
        reverse("directory:structure_create"),
        reverse("directory:service_edit", args=[service.pk]),
        reverse("directory:service_create", args=[structure.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url
    response = client.post(reverse("directory:entry_confirm", args=["service", service.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_inactive_entries_answer_404_like_missing(client: Any) -> None:
    hidden = ServiceFactory(is_active=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("directory:service_qr", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("directory:service_detail", args=[999_999])).status_code == 404
    assert client.get(reverse("directory:project_detail", args=[ProjectFactory(is_active=False).pk])).status_code == 404
    assert (
        client.get(reverse("directory:structure_detail", args=[StructureFactory(is_active=False).pk])).status_code
        == 404
    )


def test_detail_page_shows_what_a_person_needs(client: Any) -> None:
    service = french_course(
        documents_to_bring="Passeport et attestation de domiciliation",
        access_conditions="Avoir plus de 16 ans",
        interpreters=True,
        opening_hours="Mo-Su 00:00-24:00",
        referral_modes=["telephoner"],
    )
    Service.objects.filter(pk=service.pk).update(confirmed_at=timezone.now() - OLD)
    response = client.get(service.get_absolute_url())
    page = response.content.decode()
    for text in [
        "Passeport et attestation de domiciliation",
        "Avoir plus de 16 ans",
        "Mardi et jeudi",
        "Mo-Su 00:00-24:00",
    ]:
        assert text in page
    assert "stale-warning" in page  # not confirmed for too long
    assert response.context["opening"]["is_open"] is True
    assert response.context["is_course"] is True


def test_unparseable_opening_hours_are_shown_without_open_now(client: Any) -> None:
    service = ServiceFactory()
    Service.objects.filter(pk=service.pk).update(opening_hours="le mardi matin")  # imported as is
    response = client.get(service.get_absolute_url())
    assert response.status_code == 200
    assert "le mardi matin" in response.content.decode()
    assert response.context["opening"] is None


# --- Search --------------------------------------------------------------------------------


def test_search_filters_through_the_page(client: Any) -> None:
    lille = StructureFactory(name="Centre social de Lille", commune_id="59350", latitude=50.633, longitude=3.0586)
    calais = StructureFactory(name="Accueil de Calais", commune_id="62193", latitude=50.9519, longitude=1.8563)
    french_course(structure=lille, name="Cours de français du soir", fees="payant", languages=["fr"])
    french_course(structure=calais, name="Cours de français pour exilés", languages=["fr", "ar"])
    ServiceFactory(structure=lille, name="Distribution alimentaire", thematiques=[ALIMENTATION], fees="gratuit")
    ServiceFactory(structure=lille, name="Permanence santé", thematiques=[SOINS], reception_modes=["a-distance"])
    url = reverse("directory:search")

    assert len(names(client.get(url))) == 4
    assert set(names(client.get(url, {"q": "francais"}))) == {
        "Cours de français du soir",
        "Cours de français pour exilés",
    }
    assert names(client.get(url, {"thematique": ALIMENTATION})) == ["Distribution alimentaire"]
    assert set(names(client.get(url, {"thematique": "sante"}))) == {"Permanence santé"}  # a whole category
    assert "Cours de français du soir" not in names(client.get(url, {"free": "on"}))
    assert names(client.get(url, {"language": "ar"})) == ["Cours de français pour exilés"]
    assert names(client.get(url, {"mode": "a-distance"})) == ["Permanence santé"]

    near_lille = client.get(url, {"q": "francais", "commune": "59000", "radius": "10"})
    assert names(near_lille) == ["Cours de français du soir"]
    assert near_lille.context["commune"].code == "59350"
    page = near_lille.content.decode()
    assert "Lille" in page and "commune-used" in page
    assert near_lille.context["page"][0].distance_km is not None
    by_name = client.get(url, {"commune": "Calais", "radius": "5"})
    assert names(by_name) == ["Cours de français pour exilés"]
    by_insee = client.get(url, {"commune": "62193", "radius": "50"})
    assert by_insee.context["commune"].name == "Calais"

    unknown = client.get(url, {"commune": "Zzzzqqq"})
    assert unknown.status_code == 200
    assert unknown.context["form"].errors["commune"]
    assert len(names(unknown)) == 4  # the other filters still apply


def test_search_open_now(client: Any) -> None:
    ServiceFactory(name="Toujours ouvert", opening_hours="Mo-Su 00:00-24:00")
    ServiceFactory(name="Sans horaires")
    ServiceFactory(name="Horaires de la structure", structure=StructureFactory(opening_hours="Mo-Su 00:00-24:00"))
    response = client.get(reverse("directory:search"), {"open_now": "on"})
    assert set(names(response)) == {"Toujours ouvert", "Horaires de la structure"}


def test_search_map_data_and_exports_links(client: Any) -> None:
    french_course(name="Cours A")
    ServiceFactory(name="Sans coordonnées", structure=StructureFactory(latitude=None, longitude=None, commune_id=None))
    response = client.get(reverse("directory:search"), {"q": "cours"})
    points = response.context["map_points"]
    assert [p["name"] for p in points] == ["Cours A"]
    page = response.content.decode()
    assert '<script id="map-data" type="application/json">' in page
    assert "directory-map.js" in page and "leaflet.js" in page
    assert reverse("directory:search_export_csv") + "?q=cours" in page
    assert reverse("directory:search_export_xlsx") + "?q=cours" in page
    assert "<script>" not in page  # the CSP allows no inline script


def test_search_has_a_fixed_number_of_queries(client: Any, django_assert_num_queries: Any) -> None:
    hours = "Mo-Su 00:00-24:00"
    for index in range(5):
        french_course(name=f"Cours {index}", opening_hours=hours, commune_id="59350")
    params = {"q": "cours", "commune": "Lille", "radius": "20", "open_now": "on"}
    # commune, text probe, open-now hours, count, map points, page, and the page's structures,
    # their communes and the services' communes (prefetched by service_search)
    expected = 9
    with django_assert_num_queries(expected):
        response = client.get(reverse("directory:search"), params)
    assert response.status_code == 200
    for index in range(25):
        french_course(
            name=f"Autre cours {index}", structure=StructureFactory(), opening_hours=hours, commune_id="59512"
        )
    with django_assert_num_queries(expected):
        response = client.get(reverse("directory:search"), params)
    assert response.context["page"].paginator.count == 30
    assert len(response.context["map_points"]) == 30
    # Without any filter: count, map points, page and its three prefetches.
    with django_assert_num_queries(6):
        client.get(reverse("directory:search"))


def test_search_pagination_keeps_the_filters(client: Any) -> None:
    for index in range(23):
        ServiceFactory(name=f"Service {index:02d}", fees="gratuit")
    response = client.get(reverse("directory:search"), {"free": "on"})
    assert len(response.context["page"]) == 20
    assert "?free=on&amp;page=2" in response.content.decode()
    assert len(client.get(reverse("directory:search"), {"free": "on", "page": 2}).context["page"]) == 3


# --- Exports -------------------------------------------------------------------------------


def test_export_csv_and_xlsx_follow_the_search(client: Any) -> None:
    french_course(name="Cours de français exporté")
    ServiceFactory(name="Aide alimentaire", thematiques=[ALIMENTATION])
    response = client.get(reverse("directory:search_export_csv"), {"q": "francais"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Cours de français exporté" in content
    assert "Aide alimentaire" not in content

    response = client.get(reverse("directory:search_export_xlsx"), {"q": "francais"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Cours de français exporté" in values
    assert "Aide alimentaire" not in values


def test_export_is_capped(client: Any, monkeypatch: Any) -> None:
    from maillage.directory import views

    monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
    ServiceFactory.create_batch(3)
    response = client.get(reverse("directory:search_export_csv"))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 2


# --- Printing ------------------------------------------------------------------------------


def test_printable_sheet_and_qr_code(client: Any) -> None:
    service = french_course(name="Cours imprimable")
    response = client.get(reverse("directory:service_print", args=[service.pk]))
    page = response.content.decode()
    assert "Cours imprimable" in page
    assert reverse("directory:service_qr", args=[service.pk]) in page
    assert "http://testserver" + service.get_absolute_url() in page
    qr = client.get(reverse("directory:service_qr", args=[service.pk]))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content and b"</svg>" in qr.content


# --- Structures, referents and projects ----------------------------------------------------


def test_structure_detail_has_a_fixed_number_of_queries(client: Any, django_assert_num_queries: Any) -> None:
    structure = StructureFactory(opening_hours="Mo-Fr 09:00-17:00")
    ServiceFactory.create_batch(2, structure=structure)
    ServiceFactory(structure=structure, is_active=False)
    # structure (with commune and organisation), its services
    with django_assert_num_queries(2):
        response = client.get(structure.get_absolute_url())
    assert len(response.context["services"]) == 2  # not the inactive one
    ServiceFactory.create_batch(10, structure=structure, commune_id="59512")
    with django_assert_num_queries(2):
        response = client.get(structure.get_absolute_url())
    assert len(response.context["services"]) == 12


def test_referent_contacts_hidden_when_logged_out(client: Any) -> None:
    referent = ReferentFactory(email="referente@ddets59.example", phone="03 53 01 02 01")
    response = client.get(reverse("directory:referent_list"))
    page = response.content.decode()
    assert referent.name in page
    assert "referente@ddets59.example" not in page and "03 53 01 02 01" not in page
    assert reverse("accounts:login") in page
    client.force_login(member(Role.VOLUNTEER))
    page = client.get(reverse("directory:referent_list")).content.decode()
    assert "referente@ddets59.example" in page and "03 53 01 02 01" in page


def test_referent_list_filters_and_queries(client: Any, django_assert_num_queries: Any) -> None:
    nord = ReferentFactory(name="Référente Nord", role=enums.ReferentRole.INTEGRATION)
    nord.departments.set(["59"])
    pdc = ReferentFactory(name="Correspondant Pas-de-Calais", role=enums.ReferentRole.ROMA_INCLUSION)
    pdc.departments.set(["62"])
    ReferentFactory(name="Ancien référent", is_active=False)
    url = reverse("directory:referent_list")
    assert [r.name for r in client.get(url, {"department": "62"}).context["page"]] == ["Correspondant Pas-de-Calais"]
    assert [r.name for r in client.get(url, {"role": "integration"}).context["page"]] == ["Référente Nord"]
    # departments (filter choices), count, page, departments prefetch
    with django_assert_num_queries(4):
        client.get(url)
    for _ in range(10):
        ReferentFactory().departments.set(["59", "62"])
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.context["page"].paginator.count == 12


def test_project_list_filters_and_queries(client: Any, django_assert_num_queries: Any) -> None:
    areas = ProjectFactory(title="Insertion professionnelle", evidence_level="evaluated", thematiques=[FRANCAIS])
    areas.departments.set(["59"])
    cd93 = ProjectFactory(title="Coordination Roms", evidence_level="replicated", thematiques=[SOINS])
    cd93.departments.set(["93"])
    url = reverse("directory:project_list")
    assert [p.title for p in client.get(url, {"evidence": "replicated"}).context["page"]] == ["Coordination Roms"]
    assert [p.title for p in client.get(url, {"thematique": "sante"}).context["page"]] == ["Coordination Roms"]
    assert [p.title for p in client.get(url, {"thematique": FRANCAIS}).context["page"]] == ["Insertion professionnelle"]
    assert [p.title for p in client.get(url, {"department": "59"}).context["page"]] == ["Insertion professionnelle"]
    # departments (filter choices), count, page, departments prefetch
    with django_assert_num_queries(4):
        client.get(url)
    for _ in range(10):
        ProjectFactory().departments.set(["62"])
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.context["page"].paginator.count == 12
    detail = client.get(areas.get_absolute_url())
    assert detail.status_code == 200 and "Insertion professionnelle" in detail.content.decode()


# --- Members: my entries, confirm ---------------------------------------------------------


def test_my_entries_lists_editable_entries_stale_first(client: Any) -> None:
    org = OrganisationFactory()
    user = member(Role.PROFESSIONAL, org)
    fresh = StructureFactory(organisation=org, name="Structure récente")
    old = StructureFactory(organisation=org, name="Structure ancienne", confirmed_at=timezone.now() - OLD)
    ServiceFactory(structure=fresh, name="Service de la structure")
    ReferentFactory(organisation=org, name="Référent maison")
    ProjectFactory(organisation=org, title="Projet maison")
    StructureFactory(name="Structure d'une autre association", commune_id="62193")
    client.force_login(user)
    response = client.get(reverse("directory:my_entries"))
    sections = {s["kind"]: s["entries"] for s in response.context["sections"]}
    assert sections["structure"] == [old, fresh]
    assert [s.name for s in sections["service"]] == ["Service de la structure"]
    assert [r.name for r in sections["referent"]] == ["Référent maison"]
    assert [p.title for p in sections["project"]] == ["Projet maison"]
    page = response.content.decode()
    assert reverse("directory:entry_confirm", args=["structure", old.pk]) in page


def test_my_entries_of_a_coordinator_follow_the_territory(client: Any) -> None:
    coordinator = member(Role.COORDINATOR, OrganisationFactory(departments=["62"]))
    in_62 = ServiceFactory(structure=StructureFactory(commune_id="62193"))
    own_commune_62 = ServiceFactory(structure=StructureFactory(commune_id="59350"), commune_id="62041")
    ServiceFactory(structure=StructureFactory(commune_id="59350"))
    referent = ReferentFactory()
    referent.departments.set(["62", "59"])
    verified_login(client, coordinator)
    response = client.get(reverse("directory:my_entries"))
    sections = {s["kind"]: s["entries"] for s in response.context["sections"]}
    assert set(sections["service"]) == {in_62, own_commune_62}
    assert sections["referent"] == [referent]  # once, though it has two departments


def test_my_entries_has_a_fixed_number_of_queries(client: Any, django_assert_num_queries: Any) -> None:
    org = OrganisationFactory()
    user = member(Role.MANAGER, org)
    structure = StructureFactory(organisation=org)
    ServiceFactory(structure=structure)
    ReferentFactory(organisation=org)
    ProjectFactory(organisation=org)
    client.force_login(user)
    client.get(reverse("directory:my_entries"))
    # session, user, access, 4 lists, can-create, session save (3: the session is saved at every request)
    with django_assert_num_queries(11):
        client.get(reverse("directory:my_entries"))
    for _ in range(5):
        ServiceFactory(structure=StructureFactory(organisation=org))
        ReferentFactory(organisation=org).departments.set(["59", "62"])
        ProjectFactory(organisation=org)
    with django_assert_num_queries(11):
        response = client.get(reverse("directory:my_entries"))
    assert len(response.context["sections"][1]["entries"]) == 6


def test_confirm_button(client: Any) -> None:
    org = OrganisationFactory()
    user = member(Role.PROFESSIONAL, org)
    service = ServiceFactory(structure=StructureFactory(organisation=org), confirmed_at=timezone.now() - OLD)
    other = ServiceFactory(confirmed_at=timezone.now() - OLD)
    client.force_login(user)
    url = reverse("directory:entry_confirm", args=["service", service.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": service.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == service.get_absolute_url()
    service.refresh_from_db()
    assert not service.is_stale
    assert AuditEntry.objects.filter(object_type="directory.service", object_id=str(service.pk)).exists()
    # Another association's entry, an unknown kind, an outside "next": 404 / safe redirect.
    assert client.post(reverse("directory:entry_confirm", args=["service", other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_stale
    assert client.post(reverse("directory:entry_confirm", args=["organisation", org.pk])).status_code == 404
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("directory:my_entries")


# --- Members: forms ------------------------------------------------------------------------


def test_association_member_cannot_edit_another_associations_service(client: Any) -> None:
    mine = OrganisationFactory()
    theirs = ServiceFactory(name="Leur service", structure=StructureFactory(organisation=OrganisationFactory()))
    client.force_login(member(Role.MANAGER, mine))
    edit = reverse("directory:service_edit", args=[theirs.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"name": "Piraté", "description": "x", "kind": "general"}).status_code == 404
    assert client.get(reverse("directory:service_create", args=[theirs.structure.pk])).status_code == 404
    assert client.get(reverse("directory:structure_edit", args=[theirs.structure.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Leur service"
    page = client.get(theirs.get_absolute_url()).content.decode()
    assert edit not in page


def service_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "french_course",
        "name": "Atelier sociolinguistique",
        "description": "Apprendre le français de la vie quotidienne.",
        "thematiques": [FRANCAIS],
        "types": ["atelier"],
        "publics": ["familles"],
        "fees": "gratuit",
        "languages": ["fr", "ro"],
        "reception_modes": ["en-presentiel"],
        "commune": "Roubaix",
        "opening_hours": "Tu,Th 14:00-16:30",
        "eligibility_zone": "59, 62",
        "course_type": "fli",
        "levels": ["A1.1", "A1"],
        "schedule": "Mardi et jeudi",
        "childcare": "on",
        "next_sessions": "2030-09-02, 2031-01-06",
    }
    return {**data, **overrides}


def test_create_a_french_course_through_the_form(client: Any) -> None:
    org = OrganisationFactory()
    structure = StructureFactory(organisation=org)
    client.force_login(member(Role.PROFESSIONAL, org))
    form_page = client.get(reverse("directory:service_create", args=[structure.pk])).content.decode()
    assert "<fieldset" in form_page and "<optgroup" in form_page
    response = client.post(reverse("directory:service_create", args=[structure.pk]), service_data())
    service = Service.objects.get(name="Atelier sociolinguistique")
    assert response.status_code == 302 and response["Location"] == service.get_absolute_url()
    assert service.commune_id == "59512" and service.eligibility_zone == ["59", "62"]
    assert service.levels == ["A1.1", "A1"] and service.childcare and len(service.next_sessions) == 2
    assert "atelier sociolinguistique" in service.search_text
    assert AuditEntry.objects.filter(object_type="directory.service", action="create").exists()


def test_form_errors_are_shown_and_nothing_is_written(client: Any) -> None:
    org = OrganisationFactory()
    service = ServiceFactory(name="Nom d'origine", structure=StructureFactory(organisation=org))
    client.force_login(member(Role.MANAGER, org))
    edit = reverse("directory:service_edit", args=[service.pk])
    before = AuditEntry.objects.count()
    response = client.post(
        edit, service_data(name="Nouveau nom", opening_hours="le mardi", commune="Zzzzqqq", eligibility_zone="5")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"opening_hours", "commune", "eligibility_zone"} <= set(errors)
    page = response.content.decode()
    assert 'role="alert"' in page and "OpenStreetMap" in page
    service.refresh_from_db()
    assert service.name == "Nom d'origine"
    assert AuditEntry.objects.count() == before
    # A French course needs its type.
    response = client.post(edit, service_data(course_type=""))
    assert "course_type" in response.context["form"].errors


def test_service_errors_are_shown_on_the_form(client: Any, monkeypatch: Any) -> None:
    from django.core.exceptions import ValidationError

    from maillage.directory import services

    org = OrganisationFactory()
    structure = StructureFactory(organisation=org)
    client.force_login(member(Role.MANAGER, org))

    def refuse(**kwargs: Any) -> None:
        raise ValidationError({"name": "Ce nom est refusé par le service."})

    monkeypatch.setattr(services, "service_create", refuse)
    response = client.post(reverse("directory:service_create", args=[structure.pk]), service_data())
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Ce nom est refusé par le service."]


def test_structure_referent_and_project_forms(client: Any) -> None:
    org = OrganisationFactory(name="Mon association")
    other = OrganisationFactory(name="Autre association")
    user = member(Role.MANAGER, org)
    client.force_login(user)
    form = client.get(reverse("directory:structure_create")).context["form"]
    assert list(form.fields["organisation"].queryset) == [org]  # only where they may edit
    response = client.post(
        reverse("directory:structure_create"),
        {"organisation": org.pk, "name": "Accueil de jour", "commune": "Tourcoing", "website": "asso.example"},
    )
    structure = Structure.objects.get(name="Accueil de jour")
    assert response["Location"] == structure.get_absolute_url()
    assert structure.commune_id == "59599" and structure.website == "https://asso.example"
    # Another organisation is refused: nothing written.
    response = client.post(reverse("directory:structure_create"), {"organisation": other.pk, "name": "Intrus"})
    assert "organisation" in response.context["form"].errors
    assert not Structure.objects.filter(name="Intrus").exists()
    edit = client.get(reverse("directory:structure_edit", args=[structure.pk]))
    assert edit.context["form"]["commune"].value() == "Tourcoing (59599)"
    client.post(
        reverse("directory:structure_edit", args=[structure.pk]),
        {"organisation": org.pk, "name": "Accueil de jour", "commune": "Tourcoing (59599)", "siret": ""},
    )
    structure.refresh_from_db()
    assert structure.commune_id == "59599"

    response = client.post(
        reverse("directory:referent_create"),
        {"organisation": org.pk, "name": "Ana Popescu", "role": "schooling", "departments": ["59", "62"]},
    )
    referent = Referent.objects.get(name="Ana Popescu")
    assert response.status_code == 302
    assert sorted(d.code for d in referent.departments.all()) == ["59", "62"]
    response = client.post(
        reverse("directory:referent_edit", args=[referent.pk]),
        {"organisation": org.pk, "name": "Ana Popescu", "role": "schooling", "departments": ["59"]},
    )
    assert [d.code for d in referent.departments.all()] == ["59"]

    response = client.post(
        reverse("directory:project_create"),
        {
            "organisation": org.pk,
            "title": "Médiation scolaire",
            "goal": "Scolariser les enfants",
            "evidence_level": "promising",
            "start_year": 2020,
            "end_year": 2019,
        },
    )
    assert "end_year" in response.context["form"].errors
    assert not Project.objects.exists()
    client.post(
        reverse("directory:project_create"),
        {"organisation": org.pk, "title": "Médiation scolaire", "goal": "Scolariser", "evidence_level": "promising"},
    )
    project = Project.objects.get()
    assert client.get(reverse("directory:project_edit", args=[project.pk])).status_code == 200


def test_members_without_editing_rights_cannot_create(client: Any) -> None:
    client.force_login(member(Role.VOLUNTEER))
    assert client.get(reverse("directory:structure_create")).status_code == 404
    assert client.get(reverse("directory:referent_create")).status_code == 404
    assert client.get(reverse("directory:project_create")).status_code == 404
    page = client.get(reverse("directory:referent_list")).content.decode()
    assert reverse("directory:referent_create") not in page


def test_nav_shows_the_directory_to_everyone(client: Any) -> None:
    page = client.get(reverse("directory:search")).content.decode()
    assert 'aria-current="page">' in page and reverse("directory:search") in page
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("directory:search") in login_page


def test_edit_a_french_course_with_sessions(client: Any) -> None:
    org = OrganisationFactory()
    service = french_course(structure=StructureFactory(organisation=org))
    client.force_login(member(Role.MANAGER, org))
    response = client.post(
        reverse("directory:service_edit", args=[service.pk]), service_data(name="Cours de français du samedi")
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "Cours de français du samedi"


def test_demo_directory_is_idempotent_and_searchable(client: Any) -> None:
    from django.core.management import call_command

    call_command("demo_data", password="demo-password-123", quiet_logins=True, verbosity=0)
    out = io.StringIO()
    call_command("demo_directory", stdout=out)
    counts = (Structure.objects.count(), Service.objects.count(), Referent.objects.count(), Project.objects.count())
    assert counts[1] >= 40 and counts[2] >= 8 and counts[3] == 5
    call_command("demo_directory", stdout=io.StringIO())
    assert (
        Structure.objects.count(),
        Service.objects.count(),
        Referent.objects.count(),
        Project.objects.count(),
    ) == counts
    areas = Structure.objects.get(source_id="demo-areas")
    assert areas.organisation is not None and areas.organisation.acronym == "AREAS"
    response = client.get(reverse("directory:search"), {"q": "francais", "commune": "Lille", "radius": "20"})
    assert response.context["page"].paginator.count >= 4
    assert AuditEntry.objects.filter(object_type="directory.service", action="create").count() == counts[1]


def test_an_editor_withdraws_an_entry_and_others_cannot(client: Any) -> None:
    org = OrganisationFactory()
    service = ServiceFactory(structure=StructureFactory(organisation=org))
    client.force_login(member(Role.PROFESSIONAL, OrganisationFactory()))
    assert client.post(reverse("directory:entry_deactivate", args=["service", service.pk])).status_code == 404
    client.force_login(member(Role.MANAGER, org))
    page = client.get(reverse("directory:service_edit", args=[service.pk]))
    assert reverse("directory:entry_deactivate", args=["service", service.pk]) in page.content.decode()
    response = client.post(reverse("directory:entry_deactivate", args=["service", service.pk]))
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.is_active is False
    client.logout()
    assert client.get(service.get_absolute_url()).status_code == 404
