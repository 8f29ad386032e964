"""Storage: the one place that knows databases.

:class:`Database` owns an engine (:mod:`.engine`: drivers, SQLite settings), the dialect differences
(``insert ... on conflict``), the transactions every package writes through (short, cancellation-
safe, SQLite's writers queued in order) and the migrations of every package's own tables
(:mod:`.migrations`). Packages above keep their tables in their own ``schema`` modules.
"""

from .database import Database, to_the_end
from .migrations import Schema, installed_schemas, migrate
from .types import UTCDateTime
from .urls import async_database_url, sqlite_path

__all__ = [
    "Database",
    "Schema",
    "UTCDateTime",
    "async_database_url",
    "installed_schemas",
    "migrate",
    "sqlite_path",
    "to_the_end",
]
