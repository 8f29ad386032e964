"""A PostgreSQL server and fresh databases for every test that runs on both stores (vault, sync, webhooks).

PostgreSQL comes from ``UA_TEST_POSTGRES_URL`` when it names a server, else one is started here,
once per test run, from the binaries of the ``pgserver`` distribution (a development dependency:
PostgreSQL built for pip, so the tests need no system package). The server refuses to run as
root, so as root it runs as an unprivileged user, from a copy of the binaries that user can read
when the virtual environment lies under a private directory (``/root``). Every test gets its own
database, so tests never see each other's rows.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from unified_accounting.http.server import free_port

#: The unprivileged user the server runs as when the tests run as root.
PG_USER = "uatestpg"
INSTALL_HINT = "uv run --group dev pytest (the dev group installs pgserver) or set UA_TEST_POSTGRES_URL"


def pgserver_install() -> Path:
    """The PostgreSQL installation (``bin``, ``lib``, ``share``) shipped inside ``pgserver``."""
    # Located, not imported: importing pgserver sets up its own server machinery, unused here.
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"PostgreSQL tests need the pgserver distribution: {INSTALL_HINT}")
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    if not (install / "bin" / "pg_ctl").exists():
        raise RuntimeError(f"pgserver at {install.parent} has no PostgreSQL binaries: {INSTALL_HINT}")
    return install


def _traversable_by_others(path: Path) -> bool:
    """Whether every directory above ``path`` lets other users through (``o+x``)."""
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


def _runnable_install(install: Path, workdir: Path) -> Path:
    """``install`` itself, or as root a copy under ``workdir`` when the unprivileged user could not
    reach it: permissions of the user's own directories are never changed."""
    if os.geteuid() != 0 or _traversable_by_others(install):
        return install
    # The binaries find their bundled libraries at $ORIGIN/../../../pgserver.libs (the wheel's
    # layout in site-packages): the copy keeps that layout.
    site = install.parent.parent
    copy = workdir / "site" / install.relative_to(site)
    shutil.copytree(install, copy, symlinks=True)
    for libraries in site.glob("pgserver*.libs"):
        shutil.copytree(libraries, workdir / "site" / libraries.name, symlinks=True)
    return copy


def _ensure_pg_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_USER)


def _run(command: list[str], user: pwd.struct_passwd | None, cwd: Path) -> None:
    identity = {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    # cwd: the server's tools refuse a working directory their user cannot enter (a root's home).
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, **identity)
    if result.returncode:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}): {result.stderr or result.stdout}"
        )


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL: ``UA_TEST_POSTGRES_URL``, else a throwaway server started and stopped here."""
    given = os.environ.get("UA_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    install = pgserver_install()
    user = _ensure_pg_user() if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="ua-pg-"))
    directory.chmod(0o755)
    data = directory / "data"
    data.mkdir()
    if user is not None:
        os.chown(data, user.pw_uid, user.pw_gid)
    bin_dir = _runnable_install(install, directory) / "bin"
    port = free_port()
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            user,
            directory,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"],
            user,
            directory,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            # An already stopped server fails the stop: nothing is left to stop then.
            with contextlib.suppress(RuntimeError):
                _run(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                    user,
                    directory,
                )
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped afterwards."""
    import psycopg

    name = "ua_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        for _ in range(3):
            try:
                with psycopg.connect(server_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.Error:
                time.sleep(0.2)


_shared: list[str] = []


def shared_postgres() -> str:
    """One server for the whole test run, whichever test directory asks first (stopped at exit)."""
    if not _shared:
        context = postgres_server()
        _shared.append(context.__enter__())
        atexit.register(context.__exit__, None, None, None)
    return _shared[0]
