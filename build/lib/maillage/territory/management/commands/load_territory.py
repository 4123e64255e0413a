"""Load (or refresh) the territory referential from ``territory/data/territory.json.gz``.

    manage.py load_territory                     # whole of France
    manage.py load_territory --departments 59,62,93

Rows are upserted in a single transaction (``bulk_create(update_conflicts=True)``),
so running the command twice leaves the same rows. Nothing is deleted.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from maillage.territory.models import EPCI, Commune, Department, Region
from maillage.territory.text import normalize_search

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "territory.json.gz"
BATCH_SIZE = 2000


def read_data(path: Path = DATA_FILE) -> dict[str, Any]:
    """Return the decoded territory document (see scripts/build_territory_data.py)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        document: dict[str, Any] = json.load(fh)
    if document.get("format") != 1:
        raise CommandError(f"Unsupported territory data format in {path}")
    return document


def load_territory(document: dict[str, Any], departments: set[str] | None = None) -> dict[str, int]:
    """Upsert regions, departments, EPCI and communes; return the counts written.

    With ``departments``, only the communes of these departments and the EPCI
    they belong to are written (all regions and departments always are).
    """
    fields = document["commune_fields"]
    rows = [dict(zip(fields, row, strict=True)) for row in document["communes"]]
    if departments is not None:
        rows = [row for row in rows if row["department"] in departments]
    used_epci = {row["epci"] for row in rows if row["epci"]}

    regions = [Region(code=code, name=name) for code, name in document["regions"]]
    depts = [Department(code=code, name=name, region_id=region) for code, name, region in document["departments"]]
    epcis = [
        EPCI(code=code, name=name, kind=kind)
        for code, name, kind in document["epci"]
        if departments is None or code in used_epci
    ]
    communes = [
        Commune(
            code=row["code"],
            name=row["name"],
            search_name=normalize_search(row["name"]),
            department_id=row["department"],
            epci_id=row["epci"],
            postal_codes=row["postal_codes"],
            population=row["population"],
            latitude=row["lat"],
            longitude=row["lon"],
            coordinates_approximate=bool(row["approx"]),
        )
        for row in rows
    ]

    with transaction.atomic():
        _upsert(Region, regions, ["name"])
        _upsert(Department, depts, ["name", "region"])
        _upsert(EPCI, epcis, ["name", "kind"])
        _upsert(
            Commune,
            communes,
            [
                "name",
                "search_name",
                "department",
                "epci",
                "postal_codes",
                "population",
                "latitude",
                "longitude",
                "coordinates_approximate",
            ],
        )
        with connection.cursor() as cursor:
            # Fresh planner statistics, so that searches use the trigram index at once.
            for model in (Region, Department, EPCI, Commune):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {
        "regions": len(regions),
        "departments": len(depts),
        "epci": len(epcis),
        "communes": len(communes),
    }


def _upsert(model: Any, objects: list[Any], update_fields: list[str]) -> None:
    model.objects.bulk_create(
        objects,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=update_fields,
    )


class Command(BaseCommand):
    help = "Load the French territory referential (regions, departments, EPCI, communes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--departments",
            default="",
            help="Comma-separated department codes (e.g. 59,62,93) to limit the communes loaded.",
        )
        parser.add_argument("--file", type=Path, default=DATA_FILE, help="Data file to read.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        document = read_data(options["file"])
        departments = {code.strip().upper() for code in options["departments"].split(",")}
        departments.discard("")
        if departments:
            known = {code for code, _name, _region in document["departments"]}
            unknown = sorted(departments - known)
            if unknown:
                raise CommandError(f"Unknown department code(s): {', '.join(unknown)}")
        counts = load_territory(document, departments or None)
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Territory loaded: {summary} in {elapsed:.1f} s."))
