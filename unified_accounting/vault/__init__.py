"""The connections vault: a durable, encrypted store of connections and OAuth states.

:func:`open_vault` picks the database and the key the way ``AsyncClient`` documents:
``database_url`` (or ``UA_DATABASE_URL``), else a SQLite file in the user's data directory
(``UA_DATA_DIR`` overrides it); ``secret_key`` (or ``UA_SECRET_KEY``), else — for SQLite only — a
key file created beside the database, readable by its owner only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import ConfigurationError
from ..storage.urls import sqlite_path
from .crypto import TokenCipher, VaultKeyError, new_key, split_keys
from .paths import data_dir, default_database_url, key_file_for
from .states import (
    AuthorizationDenied,
    InvalidState,
    MemoryStateStore,
    PendingAuthorization,
    StateProblem,
    StateStore,
)
from .store import VaultStore


def open_vault(
    database_url: str | None = None,
    secret_key: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> VaultStore:
    """A :class:`VaultStore` for ``database_url`` (default: the embedded SQLite file), not yet opened."""
    environ = os.environ if environ is None else environ
    given = database_url or environ.get("UA_DATABASE_URL")
    url = given or default_database_url(environ)
    key_text = secret_key or environ.get("UA_SECRET_KEY")
    database_file = sqlite_path(url)  # also refuses what is not a URL, before anything is written
    # The embedded vault's data directory is the library's own: it is created on first use.
    embedded = not given
    if key_text:
        return VaultStore(url, keys=split_keys(key_text), create_directory=embedded)
    if database_file is not None:
        return VaultStore(url, key_file=key_file_for(database_file), create_directory=embedded)
    raise ConfigurationError(
        "a vault on a database server needs a secret key: set UA_SECRET_KEY (or pass secret_key=) "
        "to a key made with 'ua vault new-key', and keep it out of the database"
    )


__all__ = [
    "AuthorizationDenied",
    "InvalidState",
    "MemoryStateStore",
    "PendingAuthorization",
    "StateProblem",
    "StateStore",
    "TokenCipher",
    "VaultKeyError",
    "VaultStore",
    "data_dir",
    "default_database_url",
    "new_key",
    "open_vault",
]
