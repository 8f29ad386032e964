"""Database URLs: the async driver a plain URL needs, and the file behind a SQLite URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from ..errors import ConfigurationError


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
