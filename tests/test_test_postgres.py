"""The tests' PostgreSQL comes from the pgserver distribution, never from a system path, and runs
as root too (issue: the PostgreSQL tests needed server binaries at one hard-coded Debian path)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest

from . import postgres


def test_the_server_binaries_come_from_pgserver() -> None:
    install = postgres.pgserver_install()
    assert (install / "bin" / "postgres").exists()
    assert "site-packages" in install.parts, f"{install} is not an installed distribution"
    source = Path(postgres.__file__).read_text()
    assert "/usr/lib/postgresql" not in source and "/usr/bin" not in source


@pytest.mark.slow
@pytest.mark.postgres
def test_a_server_starts_without_a_given_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UA_TEST_POSTGRES_URL", raising=False)
    with (
        postgres.postgres_server() as url,
        postgres.fresh_database(url) as database,
        psycopg.connect(database) as connection,
    ):
        version, connections = connection.execute(
            "SELECT current_setting('server_version_num')::int, current_setting('max_connections')"
        ).fetchone()  # type: ignore[misc]
        directory = connection.execute("SELECT current_setting('data_directory')").fetchone()
    assert version >= 160000 and connections == "200"
    assert directory is not None and not Path(directory[0]).exists(), "the data directory was left behind"


def _fake_install(root: Path) -> Path:
    install = root / "private" / "site-packages" / "pgserver" / "pginstall"
    (install / "bin").mkdir(parents=True)
    (install / "bin" / "pg_ctl").write_text("#!/bin/sh\n")
    (root / "private" / "site-packages" / "pgserver.libs").mkdir()
    (root / "private" / "site-packages" / "pgserver.libs" / "libpq-1.so.5").write_text("")
    (root / "private").chmod(0o700)  # like /root: other users cannot pass through
    return install


def test_as_root_an_unreachable_install_is_copied_not_opened_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install = _fake_install(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    used = postgres._runnable_install(install, work)
    assert used == work / "site" / "pgserver" / "pginstall" and (used / "bin" / "pg_ctl").exists()
    # Where the binaries' RPATH ($ORIGIN/../../../pgserver.libs) looks for the bundled libraries.
    assert (used / "bin" / ".." / ".." / ".." / "pgserver.libs" / "libpq-1.so.5").resolve().exists()
    assert not (tmp_path / "private").stat().st_mode & stat.S_IXOTH, "a private directory was opened up"


def test_an_ordinary_user_uses_the_install_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install = _fake_install(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert postgres._runnable_install(install, tmp_path) == install


def test_as_root_a_reachable_install_is_used_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as shared:  # under /tmp, which everyone may pass through
        root = Path(shared)
        root.chmod(0o755)
        install = _fake_install(root)
        (root / "private").chmod(0o755)
        monkeypatch.setattr(os, "geteuid", lambda: 0)
        assert postgres._runnable_install(install, root) == install
