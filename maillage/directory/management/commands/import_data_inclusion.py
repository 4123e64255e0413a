import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from maillage.directory.importers import ImportFile, ImportFileError, import_data_inclusion


class Command(BaseCommand):
    help = (
        "Import data·inclusion (schema v1) structures and/or services from JSON or CSV files "
        "(see maillage/directory/importers.py for the formats and checks). Rows in error are listed "
        "and skipped; the exit status is 1 only when a file cannot be read. "
        "Example: manage.py import_data_inclusion --structures structures.json --services services.json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--structures", help="Structures file (.json or .csv).")
        parser.add_argument("--services", help="Services file (.json or .csv).")
        parser.add_argument("--source", default="", help="Use this source for every row instead of the rows' own.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the files and count the changes, without writing anything."
        )

    def handle(
        self, *args: Any, structures: str | None, services: str | None, source: str, dry_run: bool, **kw: Any
    ) -> None:
        if not structures and not services:
            raise CommandError("Give --structures, --services or both.")
        try:
            files = {
                "structures": ImportFile.from_path(structures) if structures else None,
                "services": ImportFile.from_path(services) if services else None,
            }
            with tqdm(total=0, unit=" rows", file=sys.stderr, disable=None, desc="Import") as bar:

                def progress(done: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                report = import_data_inclusion(
                    actor=None,
                    structures=files["structures"],
                    services=files["services"],
                    source=source,
                    dry_run=dry_run,
                    progress=progress,
                )
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        for name in ("structures", "services"):
            if files[name] is not None:
                counts = getattr(report, name)
                self.stdout.write(
                    f"{name.capitalize()}: {counts.created} created, {counts.updated} updated, "
                    f"{counts.unchanged} unchanged, {counts.errors} in error."
                )
        for row_error in report.errors:
            self.stdout.write(str(row_error))
        for warning in report.warnings:
            self.stdout.write(f"{warning} (warning)")
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
