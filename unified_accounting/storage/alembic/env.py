"""Alembic environment: migrations run from :func:`unified_accounting.storage.migrations.migrate`,
on a connection it passes in, with the metadata of every schema it migrates."""

from __future__ import annotations

from alembic import context

from unified_accounting.storage.migrations import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "unified-accounting migrates its database itself when it opens it (Database.open, the "
        "vault's start-up), not from the alembic command line"
    )
context.configure(
    connection=connection,
    target_metadata=context.config.attributes["metadata"],
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
