"""Schema migrations: each package's own Alembic chain, all applied when a database opens.

A package that keeps tables declares them as a :class:`Schema`: its ``MetaData`` and the directory
of its revisions, whose first one carries the schema's name as Alembic branch label. It names the
schema in the ``unified_accounting.schemas`` entry-point group of its distribution, so that storage
finds every installed schema without knowing the packages that own them (a plugin may add its own
the same way). :func:`migrate` upgrades every schema to its head in one transaction — ``upgrade
heads``, one row per schema in ``ua_alembic_version`` — safe when several processes start at once.

Databases made before the chains were split by package (one linear chain, revisions ``0001`` to
``0103``) are adopted: the old revision is replaced by each schema's revision with the same tables
(:attr:`Schema.legacy`), then the upgrade goes on from there. No table is rebuilt; nothing is lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import entry_points
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..errors import ConfigurationError
from .engine import IMMEDIATE

#: The entry-point group naming every installed :class:`Schema`.
ENTRY_POINT_GROUP = "unified_accounting.schemas"
#: Alembic's bookkeeping table, named so it never clashes with a product's own migrations.
VERSION_TABLE = "ua_alembic_version"
#: Any 64-bit number, constant: the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK_ID = 0x75615F7661756C74  # "ua_vault"
#: The schemas of this distribution: without them, it was not installed (its entry points are read
#: from the installed metadata).
CORE_SCHEMAS = frozenset({"vault", "mirror", "shared_limits", "sync", "webhooks", "web"})


@dataclass(frozen=True)
class Schema:
    """The tables of one package, and the Alembic revisions that create and evolve them."""

    #: The Alembic branch label of the package's chain (``vault``, ``mirror``, ...).
    name: str
    metadata: MetaData
    #: The directory of the package's revision scripts.
    versions: Path
    #: Revision of the single chain used before schemas were split → this schema's revision with the
    #: same tables. A revision missing here had none of this schema's tables.
    legacy: Mapping[str, str] = field(default_factory=dict)


def installed_schemas() -> list[Schema]:
    """Every schema named in the ``unified_accounting.schemas`` entry-point group, by name."""
    found: dict[str, Schema] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        schema = entry.load()
        if not isinstance(schema, Schema):
            raise ConfigurationError(
                f"entry point {entry.name!r} of group {ENTRY_POINT_GROUP!r} is {schema!r}, not a Schema"
            )
        if schema.name in found:
            raise ConfigurationError(f"two installed schemas are named {schema.name!r}")
        found[schema.name] = schema
    missing = CORE_SCHEMAS - found.keys()
    if missing:
        raise ConfigurationError(
            f"the database schemas {sorted(missing)} are not installed: install unified-accounting "
            "(pip install, or uv sync) rather than running it from a source tree"
        )
    return [found[name] for name in sorted(found)]


def metadata_of(schemas: Iterable[Schema]) -> list[MetaData]:
    return [schema.metadata for schema in schemas]


def alembic_config(connection: Connection, schemas: Sequence[Schema]) -> Config:
    """The Alembic configuration that migrates ``schemas`` on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(resources.files(__package__) / "alembic"))
    # Paths are split on os.pathsep: "path_separator" from Alembic 1.16, "version_path_separator" before.
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_path_separator", "os")
    config.set_main_option("version_locations", _joined(schema.versions for schema in schemas))
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata_of(schemas)
    return config


def _joined(paths: Iterable[Path]) -> str:
    return os.pathsep.join(str(path) for path in paths)


def adopt_legacy(connection: Connection, schemas: Sequence[Schema]) -> str | None:
    """Replace a revision of the old single chain by each schema's matching revision; return the
    old revision (``None`` when there was nothing to adopt)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    stored = [str(row[0]) for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
    known = {revision for schema in schemas for revision in schema.legacy}
    old = [revision for revision in stored if revision in known]
    if not old:
        return None
    if len(stored) != 1:
        raise ConfigurationError(f"{VERSION_TABLE} holds {stored}: an old revision beside new ones")
    [revision] = old
    connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))
    for schema in schemas:
        if revision in schema.legacy:
            connection.execute(
                text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:revision)"),
                {"revision": schema.legacy[revision]},
            )
    return revision


def _upgrade(connection: Connection, schemas: Sequence[Schema]) -> None:
    adopt_legacy(connection, schemas)
    command.upgrade(alembic_config(connection, schemas), "heads")


async def migrate(engine: AsyncEngine, schemas: Sequence[Schema] | None = None) -> None:
    """Bring ``schemas`` (default: every installed one) to their newest revisions; safe when
    several processes start at once."""
    chosen = installed_schemas() if schemas is None else list(schemas)
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # BEGIN IMMEDIATE: the second process waits, then finds the schema up to date.
            connection = await connection.execution_options(**{IMMEDIATE: True})
        async with connection.begin():
            if engine.dialect.name == "postgresql":
                await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
            await connection.run_sync(_upgrade, chosen)


__all__ = [
    "ENTRY_POINT_GROUP",
    "VERSION_TABLE",
    "Schema",
    "adopt_legacy",
    "alembic_config",
    "installed_schemas",
    "migrate",
]
