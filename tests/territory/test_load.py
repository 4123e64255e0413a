import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from maillage.territory.models import EPCI, Commune, Department, Region

pytestmark = pytest.mark.django_db

TEST_DEPARTMENTS = {"59", "62", "93"}  # loaded by conftest.py


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "regions": list(Region.objects.order_by("code").values_list()),
        "departments": list(Department.objects.order_by("code").values_list()),
        "epci": list(EPCI.objects.order_by("code").values_list()),
        "communes": list(Commune.objects.order_by("code").values_list()),
    }


def test_data_file_covers_france(territory_document: dict[str, Any]) -> None:
    fields = territory_document["commune_fields"]
    communes = [dict(zip(fields, row, strict=True)) for row in territory_document["communes"]]
    assert len(communes) > 34_000
    assert len(territory_document["departments"]) >= 101
    assert len(territory_document["regions"]) >= 18
    by_code = {c["code"]: c for c in communes}
    assert by_code["59512"]["name"] == "Roubaix"
    assert by_code["97411"]["department"] == "974"  # overseas included


def test_loader_honours_departments(territory: None, territory_document: dict[str, Any]) -> None:
    assert set(Commune.objects.values_list("department_id", flat=True).distinct()) == TEST_DEPARTMENTS
    assert Department.objects.count() == len(territory_document["departments"])
    assert Region.objects.count() == len(territory_document["regions"])
    # Only the EPCI of the loaded communes, and all of them.
    referenced = set(Commune.objects.exclude(epci=None).values_list("epci_id", flat=True))
    assert set(EPCI.objects.values_list("code", flat=True)) == referenced
    assert EPCI.objects.filter(name__icontains="Métropole Européenne de Lille").exists()
    assert Commune.objects.filter(department_id="93").count() == 39


def test_loader_is_idempotent(territory: None, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot()
    call_command("load_territory", departments="59,62,93")
    assert snapshot() == before
    out = capsys.readouterr().out
    assert "1573 communes" in out
    assert " s." in out  # elapsed time


def test_loader_updates_changed_rows(tmp_path: Path, territory_document: dict[str, Any]) -> None:
    document = {**territory_document, "communes": [], "epci": []}
    fields = document["commune_fields"]
    row = dict.fromkeys(fields)
    row.update(code="59512", name="Roubaix", department="59", region="32", postal_codes=["59100"])
    row.update(population=1, lat=50.0, lon=3.0, approx=1)
    path = tmp_path / "mini.json.gz"

    def write(name: str) -> None:
        row["name"] = name
        document["communes"] = [[row[f] for f in fields]]
        path.write_bytes(gzip.compress(json.dumps(document).encode()))

    Commune.objects.all().delete()
    write("Roubaix-Test")
    call_command("load_territory", file=path)
    write("Roubaix")
    call_command("load_territory", file=path)
    commune = Commune.objects.get()
    assert (commune.name, commune.search_name, commune.epci_id) == ("Roubaix", "roubaix", None)
    assert commune.coordinates_approximate is True
    assert str(commune) == "Roubaix (59)"


def test_loader_rejects_unknown_department(db: None) -> None:
    with pytest.raises(CommandError, match="99"):
        call_command("load_territory", departments="59,99")


def test_every_commune_of_59_62_93_has_coordinates(territory: None) -> None:
    communes = Commune.objects.filter(department_id__in=TEST_DEPARTMENTS)
    assert communes.count() == 647 + 887 + 39
    assert not communes.filter(Q(latitude=None) | Q(longitude=None)).exists()
    # Rough bounding box of the three departments.
    assert not communes.exclude(latitude__range=(48.7, 51.2), longitude__range=(1.5, 4.3)).exists()
    assert Commune.objects.get(code="59512").coordinates_approximate is False
