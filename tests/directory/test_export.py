"""Exports: data·inclusion JSON (valid against the schema), HSDS 3.0, CSV and XLSX of services."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from data_inclusion.schema import v1
from openpyxl import load_workbook

from maillage.directory import enums, exporters, services
from maillage.directory.importers import ImportFile, import_data_inclusion
from maillage.directory.models import Service, Structure
from tests.directory.factories import ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
API = "/api/v1/export"


def get_json(client: Any, path: str) -> Any:
    response = client.get(f"{API}{path}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def directory() -> dict[str, Any]:
    """A small directory: imported entries, local ones, inactive ones and awkward values."""
    import_data_inclusion(
        actor=None,
        structures=ImportFile.from_path(DATA / "structures.json"),
        services=ImportFile.from_path(DATA / "services.json"),
    )
    # Local entries, written as the forms do.
    local = services.structure_create(
        actor=None,
        name="Épicerie solidaire",
        commune="59350",
        email="epicerie@localhost",
        opening_hours="Mo 10:00-12:00",
    )
    for name in ("AB", "Colis alimentaires"):  # "AB" is too short for the schema: left out
        services.service_create(
            actor=None,
            structure=local,
            name=name,
            description="Distribution de colis alimentaires.",
            thematiques=["equipement-et-alimentation--alimentation"],
            eligibility_zone=["59", "62"],
            languages=["ro"],
        )
    ServiceFactory(structure=local, name="Ancien service", is_active=False)
    closed = StructureFactory(name="Structure fermée", is_active=False)
    ServiceFactory(structure=closed, name="Service d'une structure fermée")
    return {"local": local}


def test_structures_export_is_valid_data_inclusion(client: Any, directory: dict[str, Any]) -> None:
    items = get_json(client, "/data-inclusion/structures.json")

    for item in items:
        v1.Structure.model_validate(item)
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == set(Structure.objects.active().values_list("source_id", flat=True))
    s1 = by_id["dora--s1"]
    assert s1["source"] == "dora" and s1["commune"] == "Lille" and s1["code_insee"] == "59350"
    assert s1["date_maj"] == "2025-03-01" and s1["reseaux_porteurs"] == ["caf", "communes"]
    local = by_id[directory["local"].source_id]
    assert local["source"] == "maillage"
    assert local["courriel"] is None  # refused by the schema: exported as null


def test_services_export_is_valid_data_inclusion(client: Any, directory: dict[str, Any]) -> None:
    items = get_json(client, "/data-inclusion/services.json")

    for item in items:
        v1.Service.model_validate(item)
    names = {item["nom"] for item in items}
    assert "Colis alimentaires" in names
    assert not names & {"AB", "Ancien service", "Service d'une structure fermée"}
    svc1 = next(item for item in items if item["id"] == "dora--svc1")
    assert svc1["structure_id"] == "dora--s1" and svc1["type"] == "atelier" and svc1["frais"] == "gratuit"
    assert svc1["zone_eligibilite"] == ["59"] and svc1["volume_horaire_hebdomadaire"] == 6.0
    assert next(item for item in items if item["id"] == "dora--svc3")["zone_eligibilite"] is None


def test_an_export_imports_again_unchanged(client: Any, directory: dict[str, Any], tmp_path: Path) -> None:
    structures = tmp_path / "structures.json"
    services = tmp_path / "services.json"
    structures.write_bytes(b"".join(client.get(f"{API}/data-inclusion/structures.json").streaming_content))
    services.write_bytes(b"".join(client.get(f"{API}/data-inclusion/services.json").streaming_content))

    report = import_data_inclusion(
        actor=None, structures=ImportFile.from_path(structures), services=ImportFile.from_path(services), dry_run=True
    )

    assert report.errors == []
    # Only the e-mail address that the schema refuses ("…@localhost", exported as null) differs.
    assert (report.structures.created, report.structures.updated, report.structures.unchanged) == (0, 1, 3)
    assert (report.services.created, report.services.updated, report.services.unchanged) == (0, 0, 5)
    assert [w.reason for w in report.warnings] == []


@pytest.mark.parametrize(
    ("path", "queries"),
    [("/data-inclusion/structures.json", 1), ("/data-inclusion/services.json", 1), ("/hsds.json", 2)],
)
def test_exports_have_a_fixed_number_of_queries(
    client: Any, django_assert_num_queries: Any, directory: dict[str, Any], path: str, queries: int
) -> None:
    with django_assert_num_queries(queries):
        first = b"".join(client.get(f"{API}{path}").streaming_content)
    for _ in range(3):
        ServiceFactory(structure=StructureFactory())
    with django_assert_num_queries(queries):
        second = b"".join(client.get(f"{API}{path}").streaming_content)
    assert len(second) > len(first)


def test_hsds_export(client: Any, directory: dict[str, Any]) -> None:
    page = get_json(client, "/hsds.json")

    organizations = page["contents"]
    assert page["total_items"] == len(organizations) == Structure.objects.active().count()
    assert page["total_pages"] == 1 and page["empty"] is False
    for organization in organizations:
        uuid.UUID(organization["id"])
        assert organization["name"] and organization["description"]
        for service in organization["services"]:
            uuid.UUID(service["id"])
            assert service["organization_id"] == organization["id"] and service["status"] == "active"
    s1 = next(o for o in organizations if o["name"] == "Centre social Lille Sud")
    assert s1["organization_identifiers"][0]["identifier"] == "13003013300016"
    location = s1["locations"][0]
    assert (location["latitude"], location["longitude"]) == (50.6202, 3.0512)
    assert location["addresses"][0]["city"] == "Lille" and location["addresses"][0]["country"] == "FR"
    schedules = location["schedules"]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in schedules] == [
        ("MO,TU,WE,TH,FR", "09:00", "12:00"),
        ("MO,TU,WE,TH,FR", "14:00", "17:00"),
        ("SA", "09:00", "12:00"),
    ]
    course = next(s for s in s1["services"] if s["name"] == "Cours de français pour adultes")
    terms = [a["taxonomy_term"] for a in course["attributes"] if a["link_type"] == "thematiques"]
    assert [t["code"] for t in terms] == ["lecture-ecriture-calcul--maitriser-le-francais"]
    assert terms[0]["name"] == "Maîtriser le français" and terms[0]["parent_id"]
    assert course["service_at_locations"][0]["location_id"] == location["id"]
    assert course["phones"] == [] and course["contacts"][0]["name"] == "Camille Martin"
    assert [area["name"] for area in course["service_areas"]] == ["59"]
    closed = [o for o in organizations if o["name"] == "Structure fermée"]
    assert closed == []
    # The identifiers are stable from one export to the next.
    assert get_json(client, "/hsds.json")["contents"][0]["id"] == organizations[0]["id"]


def test_osm_hours_that_cannot_be_converted_are_kept_as_text() -> None:
    assert exporters.osm_to_weekly("Su-Tu 10:00-11:00") == [(["Su", "Mo", "Tu"], "10:00", "11:00")]
    schedules = exporters.hsds_schedules("Mo-Fr 09:00-12:00; Jan off", "service_id", "x")
    assert len(schedules) == 1 and schedules[0]["description"] == "Mo-Fr 09:00-12:00; Jan off"


def services_for_spreadsheet() -> Any:
    structure = StructureFactory(name="Maison des solidarités", phone="03 20 00 00 00")
    ServiceFactory(structure=structure, name='=HYPERLINK("http://evil")', languages=["ro", "bg"])
    ServiceFactory(structure=structure, name="Domiciliation", fees="gratuit", phone="+33 6 00 00 00 00")
    return Service.objects.filter(structure=structure).order_by("name")


def test_csv_export_of_a_queryset(django_assert_num_queries: Any) -> None:
    services = services_for_spreadsheet()

    with django_assert_num_queries(1):
        text = "".join(exporters.export_services_csv(services))

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Service", "Structure", "Thématiques"] and "Fiche Maillage" in rows[0]
    assert len(rows) == 3
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert rows[1][rows[0].index("Téléphone")] == "03 20 00 00 00"  # the structure's
    languages = f"{enums.LANGUAGE_LABELS['ro']}, {enums.LANGUAGE_LABELS['bg']}"
    assert rows[1][rows[0].index("Langues parlées")] == languages
    assert rows[2][rows[0].index("Frais")] == "Gratuit"
    assert rows[2][rows[0].index("Téléphone")] == "'+33 6 00 00 00 00"
    assert rows[2][rows[0].index("Fiche Maillage")].endswith(f"/directory/services/{services[1].pk}/")


def test_xlsx_export_of_a_queryset(django_assert_num_queries: Any) -> None:
    services = services_for_spreadsheet()

    with django_assert_num_queries(1):
        content = exporters.export_services_xlsx(services)

    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Service" and rows[0][2] == "Thématiques" and len(rows) == 3
    assert rows[1][0] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=1).data_type == "s"  # text, not a formula
    assert rows[2][0] == "Domiciliation" and rows[2][1] == "Maison des solidarités"
    assert rows[2][rows[0].index("Mis à jour le")] is not None
