from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.core import embedded_pg


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL used when DATABASE_URL is not set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if settings.DATABASE_URL:
            raise CommandError("DATABASE_URL is set: the embedded PostgreSQL is not used.")
        pgdata = settings.EMBEDDED_PG_DATA
        if action == "start":
            started = embedded_pg.start(pgdata)
            self.stdout.write(f"Embedded PostgreSQL running (pid {started['pid']}, socket {started['socket_dir']}).")
        elif action == "stop":
            stopped = embedded_pg.stop(pgdata)
            self.stdout.write("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")
        else:
            facts = embedded_pg.status(pgdata)
            if facts is None:
                self.stdout.write("Embedded PostgreSQL is not running.")
            else:
                self.stdout.write(f"Embedded PostgreSQL running (pid {facts['pid']}, socket {facts['socket_dir']}).")
