"""Load the catalogue of indicators and seed 004's figures (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maillage.indicators.catalogue import catalogue_load, seed_values_load


class Command(BaseCommand):
    help = "Load the catalogue of indicators (data/catalogue.yaml) and seed 004's figures (data/seed_values.csv)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-values", action="store_true", help="Load the catalogue only.")
        parser.add_argument("--refresh", action="store_true", help="Then run the refresh job (aggregates).")

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = catalogue_load(actor=None)
        self.stdout.write(f"Indicators: {created} created, {updated} updated.")
        if not options["no_values"]:
            result = seed_values_load(actor=None)
            self.stdout.write(f"Seed values: {result.written} written, {len(result.skipped)} skipped.")
            for line in result.skipped:
                self.stdout.write(f"  skipped {line}")
        if options["refresh"]:
            from maillage.indicators.refresh import refresh_all

            run = refresh_all()
            self.stdout.write(
                f"Refresh: {run.computed_values} computed values, {run.aggregate_values} aggregates "
                f"in {run.duration_ms} ms."
            )
