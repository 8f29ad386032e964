"""Where the embedded vault lives: the user's data directory, or ``UA_DATA_DIR`` when set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

from ..errors import ConfigurationError

APP_NAME = "unified-accounting"
DATABASE_FILE = "vault.sqlite3"
KEY_FILE_SUFFIX = ".key"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory of the embedded vault: ``UA_DATA_DIR``, else the platform's user data directory."""
    environ = os.environ if environ is None else environ
    configured = environ.get("UA_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url(environ: Mapping[str, str] | None = None) -> str:
    """``sqlite`` URL of the embedded vault file in :func:`data_dir`."""
    return f"sqlite:///{data_dir(environ) / DATABASE_FILE}"


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain URL: ``sqlite`` → aiosqlite, ``postgresql`` → psycopg 3.

    A URL that already names a driver (``postgresql+asyncpg://``) is kept as it is.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigurationError(
            "UA_DATABASE_URL / database_url is not a database URL: expected sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername == "sqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ConfigurationError(
            f"database_url uses {backend!r}: the vault supports sqlite:///PATH and postgresql://... URLs"
        )
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and for in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def key_file_for(database_file: Path) -> Path:
    """The key file kept beside an embedded database (``vault.sqlite3`` → ``vault.sqlite3.key``)."""
    return database_file.with_name(database_file.name + KEY_FILE_SUFFIX)
