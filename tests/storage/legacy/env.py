"""Alembic environment of the single chain used before each package had its own (revisions 0001-0103).

Kept only to build the databases earlier releases made, so that their adoption can be tested.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table="ua_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
