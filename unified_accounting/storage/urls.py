"""Database URLs: the async driver a plain URL needs, and the file behind a SQLite URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url

from ..errors import ConfigurationError

#: Where a database URL comes from, as an error message names it.
URL_SETTING = "UA_DATABASE_URL / --database-url / database_url="


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception:
        raise ConfigurationError(
            f"the database URL is not a URL ({URL_SETTING}): expected sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None


def safe_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(not a URL)"


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain URL: ``sqlite`` → aiosqlite, ``postgresql`` → psycopg 3.

    A URL that already names a driver (``postgresql+asyncpg://``) is kept as it is.
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername == "sqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        if "+" not in parsed.drivername:
            parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ConfigurationError(
            f"the database URL uses {backend!r} ({URL_SETTING}): the vault supports sqlite:///PATH and "
            "postgresql://USER@HOST:PORT/DB URLs"
        )
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and for in-memory SQLite)."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def check_sqlite_directory(url: str) -> None:
    """Refuse a SQLite file whose directory does not exist: a typo in a path must not create
    directories wherever the program happens to run."""
    database_file = sqlite_path(url)
    if database_file is None or database_file.parent.is_dir():
        return
    raise ConfigurationError(
        f"the directory of the SQLite database {database_file} does not exist: create it "
        f"(mkdir -p {database_file.parent}) or correct the path ({URL_SETTING})"
    )
