"""PostgreSQL backend that starts the embedded server before connecting."""

from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base

from maillage.core import embedded_pg


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        facts = embedded_pg.ensure_started(Path(self.settings_dict["PGDATA"]))
        self.settings_dict["HOST"] = facts["socket_dir"]
        self.settings_dict["PORT"] = str(facts["port"])
        return super().get_connection_params()
