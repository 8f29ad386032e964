"""Alembic environment: the vault runs migrations itself, on a connection it passes in."""

from __future__ import annotations

from alembic import context

import unified_accounting.sync.schema  # noqa: F401  (adds the sync tables to the shared metadata)
from unified_accounting.vault.schema import VERSION_TABLE, metadata
from unified_accounting.web.sessions import connect_sessions  # noqa: F401  (the connect page's sessions)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the vault migrations run from unified_accounting.vault (VaultStore start-up), "
        "not from the alembic command line"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
