"""data·inclusion imports: files, row checks and their report, upsert, dry run, command, upload page."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone, translation

from maillage.audit.models import AuditEntry
from maillage.directory import importers
from maillage.directory.importers import ImportFile, ImportFileError, import_data_inclusion, import_job_run
from maillage.directory.models import ImportJob, Service, Structure
from maillage.organisations.enums import Role
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def english() -> Any:
    """The report's reasons are checked in English (the source language)."""
    with translation.override("en"):
        yield


def run(structures: Path | None = None, services: Path | None = None, **kwargs: Any) -> importers.ImportReport:
    return import_data_inclusion(
        actor=kwargs.pop("actor", None),
        structures=ImportFile.from_path(structures) if structures else None,
        services=ImportFile.from_path(services) if services else None,
        **kwargs,
    )


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def structure_row(**fields: Any) -> dict[str, Any]:
    return {"source": "test", "id": "s-1", "nom": "Structure test", "date_maj": "2025-01-01", **fields}


def service_row(**fields: Any) -> dict[str, Any]:
    return {
        "source": "test",
        "structure_id": "s-1",
        "id": "svc-1",
        "nom": "Service test",
        "description": "Un service pour tester.",
        "date_maj": "2025-01-01",
        **fields,
    }


def errors_of(report: importers.ImportReport) -> list[tuple[str, int, str]]:
    return [(e.file, e.row_number, e.id) for e in report.errors]


# --- Valid files ---------------------------------------------------------------------------


def test_json_files_are_imported_and_mapped() -> None:
    report = run(DATA / "structures.json", DATA / "services.json")

    assert report.errors == []
    assert (report.structures.created, report.services.created) == (3, 4)
    s1 = Structure.objects.get(source="dora", source_id="dora--s1")
    assert s1.organisation is None
    assert s1.commune_id == "59350" and s1.postal_code == "59000" and s1.address_complement == "Bâtiment B"
    assert (s1.latitude, s1.longitude) == (50.6202, 3.0512)
    assert s1.phone == "+33320000000" and s1.email == "contact@cs-lille.example.org"
    assert s1.website == "https://cs-lille.example.org" and s1.source_url == "https://dora.example.org/structures/s1"
    assert s1.accessibility_url.startswith("https://acceslibre.beta.gouv.fr/")
    assert s1.networks == ["caf", "communes"]
    assert s1.opening_hours == "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"
    assert timezone.localtime(s1.updated_at).date().isoformat() == "2025-03-01"
    assert s1.confirmed_at == s1.updated_at
    # Without code_insee, a postal code of one commune gives the commune; its centroid places it.
    s3 = Structure.objects.get(source="soliguide", source_id="sol--3")
    assert s3.commune_id == "59512" and s3.latitude is not None

    svc1 = Service.objects.select_related("structure").get(source_id="dora--svc1")
    assert svc1.structure == s1
    assert svc1.types == ["atelier"] and svc1.fees == "gratuit"
    assert svc1.thematiques == ["lecture-ecriture-calcul--maitriser-le-francais"]
    assert svc1.publics == ["femmes", "personnes-exilees"]
    assert (
        svc1.publics_details == "Adultes de plus de 18 ans." and svc1.access_conditions == "Inscription au préalable."
    )
    assert svc1.reception_modes == ["en-presentiel"]
    assert svc1.referral_modes == ["se-presenter", "telephoner"]
    assert svc1.referral_by == ["professionnels", "usagers"]
    assert svc1.referral_details == "Appeler le lundi matin."
    assert svc1.referral_url == "https://dora.example.org/services/svc1/orienter"
    assert svc1.contact_name == "Camille Martin"
    assert svc1.eligibility_zone == ["59"]
    assert (svc1.weekly_hours, svc1.weeks) == (6.0, 30)
    assert svc1.opening_hours == "Tu,Th 14:00-16:00"
    assert "cours de francais" in svc1.search_text and "centre social lille sud" in svc1.search_text
    assert Service.objects.filter(search_vector__isnull=True).count() == 0
    # "france" means everywhere (empty); an EPCI becomes its communes.
    assert Service.objects.get(source_id="dora--svc3").eligibility_zone == []
    assert {"59350", "59512"} <= set(Service.objects.get(source_id="sol--svc4").eligibility_zone)

    entry = AuditEntry.objects.get(object_type="directory.import")
    assert entry.action == "other"
    assert entry.changes["structures"]["created"] == 3 and entry.changes["services"]["created"] == 4


def test_csv_files_are_imported() -> None:
    report = run(DATA / "structures.csv", DATA / "services.csv")

    assert report.errors == []
    assert (report.structures.created, report.services.created) == (2, 2)
    s1 = Structure.objects.get(source_id="dora--s1")
    assert s1.networks == ["caf", "communes"] and s1.latitude == 50.6202 and s1.siret == "13003013300016"
    svc1 = Service.objects.get(source_id="dora--svc1")
    assert svc1.publics == ["femmes", "personnes-exilees"]
    assert svc1.description.startswith("Ateliers de français") and "\n" in svc1.description
    assert (svc1.weekly_hours, svc1.weeks) == (6.0, 30)
    svc3 = Service.objects.get(source_id="dora--svc3")
    assert svc3.thematiques == ["numerique--acceder-a-des-services-en-ligne"]  # a JSON array in a cell
    assert svc3.eligibility_zone == [] and svc3.types == []


def test_a_second_run_changes_nothing_and_a_third_updates_what_changed(tmp_path: Path) -> None:
    run(DATA / "structures.json", DATA / "services.json")
    before = list(Service.objects.order_by("pk").values())

    again = run(DATA / "structures.json", DATA / "services.json")

    assert (again.structures.created, again.structures.updated, again.structures.unchanged) == (0, 0, 3)
    assert (again.services.created, again.services.updated, again.services.unchanged) == (0, 0, 4)
    assert list(Service.objects.order_by("pk").values()) == before

    services = json.loads((DATA / "services.json").read_text())
    services[1]["nom"] = "Aide aux démarches dématérialisées"
    third = run(services=write(tmp_path, "services.json", services))
    assert (third.services.updated, third.services.unchanged) == (1, 3)
    changed = Service.objects.get(source_id="dora--svc2")
    assert changed.name == "Aide aux démarches dématérialisées" and "demarches dematerialisees" in changed.search_text
    found = Service.objects.filter(search_vector=SearchQuery("dématérialisée", config="maillage_fr"))
    assert list(found.values_list("source_id", flat=True)) == ["dora--svc2"]  # vector recomputed


def test_renaming_a_structure_refreshes_the_search_text_of_its_services(tmp_path: Path) -> None:
    run(DATA / "structures.json", DATA / "services.json")
    structures = json.loads((DATA / "structures.json").read_text())
    structures[0]["nom"] = "Maison des habitants"

    report = run(write(tmp_path, "structures.json", structures))

    assert report.structures.updated == 1
    assert "maison des habitants" in Service.objects.get(source_id="dora--svc1").search_text


def test_a_confirmation_in_maillage_is_not_moved_back_and_an_organisation_is_kept() -> None:
    run(DATA / "structures.json")
    organisation = OrganisationFactory()
    later = timezone.now() - timedelta(days=1)
    Structure.objects.filter(source_id="dora--s1").update(confirmed_at=later, organisation=organisation)

    report = run(DATA / "structures.json")

    assert report.structures.unchanged == 3
    structure = Structure.objects.get(source_id="dora--s1")
    assert structure.confirmed_at == later and structure.organisation == organisation


def test_a_structure_with_the_siret_of_an_organisation_belongs_to_it() -> None:
    organisation = OrganisationFactory(siret="13003013300016")
    run(DATA / "structures.json")
    assert Structure.objects.get(source_id="dora--s1").organisation == organisation
    assert Structure.objects.get(source_id="dora--s2").organisation is None


def test_source_override(tmp_path: Path) -> None:
    report = run(DATA / "structures.json", DATA / "services.json", source="cd59")
    assert report.errors == []
    assert set(Structure.objects.values_list("source", flat=True)) == {"cd59"}
    assert Service.objects.filter(source="cd59").count() == 4


# --- Row errors ----------------------------------------------------------------------------


def test_bad_rows_are_reported_with_their_number_and_skipped(tmp_path: Path) -> None:
    structures = write(
        tmp_path,
        "structures.json",
        [
            structure_row(id="s-1", code_insee="59350"),
            structure_row(id=None),  # 2: missing id
            structure_row(id="s-3", siret="12345678901234"),  # 3: wrong SIRET key
            structure_row(id="s-4", latitude=123.0, longitude=3.0),  # 4: invalid coordinates
            structure_row(id="s-1", nom="Doublon"),  # 5: duplicate of row 1
            structure_row(id="s-6", code_insee="75056"),  # 6: unknown commune: warning only
            structure_row(id="s-7", horaires_accueil="tous les jours"),  # 7: bad hours: warning only
            "not an object",  # 8
        ],
    )
    services = write(
        tmp_path,
        "services.json",
        [
            service_row(id="svc-1"),
            service_row(id="svc-2", thematiques=["cuisine--recettes"]),  # 2: unknown thématique
            service_row(id="svc-3", structure_id="nowhere"),  # 3: unknown structure
            service_row(id="svc-4", structure_id="s-3"),  # 4: its structure was refused
            service_row(id="svc-5", publics=["tous-publics", "femmes"]),  # 5: schema rule
        ],
    )

    report = run(structures, services)

    assert errors_of(report) == [
        ("structures.json", 2, ""),
        ("structures.json", 3, "s-3"),
        ("structures.json", 4, "s-4"),
        ("structures.json", 5, "s-1"),
        ("structures.json", 8, ""),
        ("services.json", 2, "svc-2"),
        ("services.json", 3, "svc-3"),
        ("services.json", 4, "svc-4"),
        ("services.json", 5, "svc-5"),
    ]
    reasons = [e.reason for e in report.errors]
    assert reasons[0].startswith("id:")
    assert reasons[1].startswith("siret:")
    assert "latitude" in reasons[2] and "123" in reasons[2]
    assert "already in row 1" in reasons[3]
    assert "cuisine--recettes" in reasons[5]
    assert "nowhere" in reasons[6]
    assert (report.structures.created, report.structures.errors) == (3, 5)
    assert (report.services.created, report.services.errors) == (1, 4)
    assert sorted(Structure.objects.values_list("source_id", flat=True)) == ["s-1", "s-6", "s-7"]
    assert Structure.objects.get(source_id="s-1").name == "Structure test"  # not the duplicate
    assert Structure.objects.get(source_id="s-6").commune is None
    assert Structure.objects.get(source_id="s-7").opening_hours == ""
    assert [(w.row_number, w.id) for w in report.warnings] == [(6, "s-6"), (7, "s-7")]
    assert list(Service.objects.values_list("source_id", flat=True)) == ["svc-1"]


def test_csv_row_numbers_are_line_numbers(tmp_path: Path) -> None:
    csv_text = (
        "source,id,nom,date_maj,description\n"
        'test,s-1,Structure un,2025-01-01,"Deux\nlignes"\n'
        "test,,Sans identifiant,2025-01-01,\n"
        "test,s-3,Date future,2999-01-01,\n"
    )
    report = run(write(tmp_path, "structures.csv", csv_text))
    assert errors_of(report) == [("structures.csv", 4, ""), ("structures.csv", 5, "s-3")]
    assert "date_maj" in report.errors[1].reason


def test_a_row_refused_by_the_database_is_skipped_alone(tmp_path: Path, monkeypatch: Any) -> None:
    rows = [structure_row(id=f"s-{i}") for i in range(1, 4)]
    original_save = Structure.save

    def failing_bulk_insert(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("bulk refused")

    def save(self: Structure, *args: Any, **kwargs: Any) -> None:
        if self.source_id == "s-2":
            raise DatabaseError("value too long")
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(importers, "bulk_insert", failing_bulk_insert)
    monkeypatch.setattr(Structure, "save", save)

    report = run(write(tmp_path, "structures.json", rows))

    assert errors_of(report) == [("structures.json", 2, "s-2")]
    assert "value too long" in report.errors[0].reason
    assert report.structures.created == 2
    assert sorted(Structure.objects.values_list("source_id", flat=True)) == ["s-1", "s-3"]


# --- Unreadable files: nothing is written --------------------------------------------------


def test_wrong_encoding_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    latin1 = "source,structure_id,id,nom,description,date_maj\ntest,s-1,x,Épicerie,Épicerie sociale,2025-01-01\n"
    services = write(tmp_path, "services.csv", latin1.encode("latin-1"))

    with pytest.raises(ImportFileError) as error:
        run(DATA / "structures.json", services)

    assert error.value.file == "services.csv"
    assert "UTF-8" in error.value.message and "2" in error.value.message
    assert not Structure.objects.exists()
    assert not AuditEntry.objects.filter(object_type="directory.import").exists()


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbf" + (DATA / "structures.csv").read_bytes()
    assert run(write(tmp_path, "structures.csv", content)).structures.created == 2


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ((DATA / "services.json").read_text()[:700], "truncated"),
        ('[{"id": "a"} {"id": "b"}]', "line 1"),
        ('{"items": []}', "list"),
        ("", "empty"),
    ],
)
def test_invalid_json_is_refused_with_a_clear_message(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(ImportFileError) as error:
        run(DATA / "structures.json", write(tmp_path, "services.json", content))
    assert expected in error.value.message
    assert not Structure.objects.exists()


def test_csv_without_the_schema_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as error:
        run(write(tmp_path, "structures.csv", "nom,ville\nA,Lille\n"))
    assert "id" in error.value.message


# --- Dry run and command -------------------------------------------------------------------


def test_dry_run_counts_and_writes_nothing() -> None:
    report = run(DATA / "structures.json", DATA / "services.json", dry_run=True)

    assert (report.structures.created, report.services.created) == (3, 4)
    assert not Structure.objects.exists() and not Service.objects.exists()
    assert not AuditEntry.objects.filter(object_type="directory.import").exists()


def test_command_prints_counts_and_row_errors(tmp_path: Path) -> None:
    services = write(tmp_path, "services.json", [service_row(id="svc-1", structure_id="nowhere")])
    out = StringIO()

    call_command("import_data_inclusion", structures=str(DATA / "structures.json"), services=str(services), stdout=out)

    output = out.getvalue()
    assert "Structures: 3 created, 0 updated, 0 unchanged, 0 in error." in output
    assert "Services: 0 created, 0 updated, 0 unchanged, 1 in error." in output
    assert "services.json:1 svc-1: unknown structure nowhere" in output
    assert Structure.objects.count() == 3
    assert AuditEntry.objects.get(object_type="directory.import").via == "command"


def test_command_dry_run_and_unreadable_file(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_data_inclusion", services=str(DATA / "services.json"), dry_run=True, stdout=out)
    assert "Dry run" in out.getvalue() and "4 in error" in out.getvalue()  # no structures yet
    assert not Service.objects.exists()

    with pytest.raises(CommandError, match="UTF-8"):
        call_command(
            "import_data_inclusion", structures=str(write(tmp_path, "s.csv", "id,nom\né,x\n".encode("latin-1")))
        )
    with pytest.raises(CommandError, match=r"\.json or \.csv"):
        call_command("import_data_inclusion", structures=str(write(tmp_path, "s.txt", "x")))
    with pytest.raises(CommandError):
        call_command("import_data_inclusion")


# --- Upload page ---------------------------------------------------------------------------


@pytest.fixture
def import_root(settings: Any, tmp_path: Path) -> Path:
    settings.DIRECTORY_IMPORT_ROOT = tmp_path / "imports"
    settings.DIRECTORY_IMPORT_INLINE = True
    return settings.DIRECTORY_IMPORT_ROOT  # type: ignore[no-any-return]


def upload(name: str, path: Path | None = None, content: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, path.read_bytes() if path else content)


def coordinator() -> Any:
    return member(Role.COORDINATOR, OrganisationFactory(departments=["59"]))


def test_coordinator_uploads_and_sees_the_report(client: Any, import_root: Path) -> None:
    user = coordinator()
    verified_login(client, user)
    assert client.get(reverse("directory:import_upload")).status_code == 200

    response = client.post(
        reverse("directory:import_upload"),
        {
            "structures": upload("structures.json", DATA / "structures.json"),
            "services": upload("services.csv", DATA / "services.csv"),
        },
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ImportJob.Status.DONE and job.progress == 100 and job.created_by == user
    assert job.counts["structures"]["created"] == 3 and job.counts["services"]["created"] == 2
    assert Service.objects.count() == 2
    assert not any(import_root.rglob("*.json")), "uploaded files are deleted after the run"
    audit = AuditEntry.objects.get(object_type="directory.import")
    assert audit.actor == user and audit.object_id == str(job.pk)

    page = client.get(job.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "structures.json" in html and "<table" in html
    assert "hx-get" not in html  # finished: no more polling
    fragment = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 286 and "<html" not in fragment.content.decode()


def test_upload_defers_the_job_to_the_worker(client: Any, import_root: Path, settings: Any) -> None:
    from procrastinate.contrib.django.models import ProcrastinateJob

    settings.DIRECTORY_IMPORT_INLINE = False
    verified_login(client, coordinator())

    client.post(reverse("directory:import_upload"), {"structures": upload("s.json", DATA / "structures.json")})

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED
    assert ProcrastinateJob.objects.filter(task_name__endswith="run_import_job", args={"job_id": job.pk}).exists()
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page  # polling with JavaScript
    assert f'<a href="{job.get_absolute_url()}">' in page  # a plain link without

    # What the worker runs; a second delivery of the same job does nothing.
    from maillage.directory.tasks import run_import_job

    run_import_job(job_id=job.pk)
    assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Structure.objects.count() == 3


def test_upload_dry_run(client: Any, import_root: Path) -> None:
    verified_login(client, coordinator())
    client.post(
        reverse("directory:import_upload"),
        {"structures": upload("s.json", DATA / "structures.json"), "dry_run": "on"},
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.dry_run and job.counts["structures"]["created"] == 3
    assert not Structure.objects.exists()


def test_upload_row_errors_are_shown(client: Any, import_root: Path) -> None:
    verified_login(client, coordinator())
    content = json.dumps([structure_row(id="s-1"), structure_row(id="s-2", siret="12345678901234")]).encode()
    client.post(reverse("directory:import_upload"), {"structures": upload("s.json", content=content)})
    job = ImportJob.objects.get()
    assert job.errors == [
        {"file": "s.json", "row_number": 2, "id": "s-2", "reason": job.errors[0]["reason"]},
    ]
    assert "s-2" in client.get(job.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"hello"),
        ("structures.json", '[{"id": "é"'.encode("latin-1")),
        ("structures.json", b'[{"id": "a"},'),
        ("structures.json", b"[]"),
    ],
)
def test_bad_uploads_get_a_form_error(client: Any, import_root: Path, name: str, content: bytes) -> None:
    verified_login(client, coordinator())

    response = client.post(reverse("directory:import_upload"), {"structures": upload(name, content=content)})

    assert response.status_code == 200
    assert response.context["form"].errors["structures"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_without_file_gets_a_form_error(client: Any, import_root: Path) -> None:
    verified_login(client, coordinator())
    response = client.post(reverse("directory:import_upload"), {})
    assert response.status_code == 200 and response.context["form"].non_field_errors()


def test_only_importers_see_the_pages_and_only_their_jobs(client: Any, import_root: Path) -> None:
    owner = coordinator()
    job = ImportJob.objects.create(created_by=owner, structures_filename="s.json")

    client.force_login(member(Role.MANAGER))
    assert client.get(reverse("directory:import_upload")).status_code == 404
    assert client.get(job.get_absolute_url()).status_code == 404

    verified_login(client, coordinator())  # another coordinator
    assert client.get(job.get_absolute_url()).status_code == 404

    verified_login(client, member(Role.ADMIN))
    assert client.get(job.get_absolute_url()).status_code == 200

    client.logout()
    response = client.get(reverse("directory:import_upload"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- Internals worth pinning ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "thematiques", "structure", "extra"),
    [
        ("Cours de français – FLE", ["lecture-ecriture-calcul--maitriser-le-francais"], "L'Œuvre d'Ëmile", "Lille"),
        ("  Aide -- administrative ", [], "", ""),
        ("Santé", ["sante--acces-aux-soins", "inconnue"], "Structure-", "Villeneuve-d'Ascq"),
        ("x" * 2500, ["famille--garde-denfants"], "y", "z"),
    ],
)
def test_the_import_search_text_is_the_one_of_indexing(
    name: str, thematiques: list[str], structure: str, extra: str
) -> None:
    from maillage.directory.indexing import search_text_for

    fast = importers.search_text_end(
        importers.search_text_start(name, thematiques), structure_name=structure, extra=extra
    )
    assert fast == search_text_for(name=name, thematiques=thematiques, structure_name=structure, extra=extra)


def test_bulk_insert_keeps_awkward_array_values() -> None:
    awkward = ['a"b', "c\\d", "e,f", "{g}", "", "h i"]
    importers.bulk_insert(Structure, [{"source": "t", "source_id": "1", "name": "Tab\there", "networks": awkward}])
    structure = Structure.objects.get(source_id="1")
    assert structure.networks == awkward and structure.name == "Tab\there" and structure.is_active
