"""Where the embedded vault lives: the user's data directory, or ``UA_DATA_DIR`` when set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

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


def key_file_for(database_file: Path) -> Path:
    """The key file kept beside an embedded database (``vault.sqlite3`` → ``vault.sqlite3.key``)."""
    return database_file.with_name(database_file.name + KEY_FILE_SUFFIX)
