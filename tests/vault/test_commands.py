"""``ua connect`` (a real process with its local callback server), ``ua connections list`` and
``ua connections disconnect``, ``ua vault new-key`` and ``rotate-key``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting.cli import build_app
from unified_accounting.http.server import free_port
from unified_accounting.testing.cassettes import serve
from unified_accounting.vault import new_key


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "UA_DATABASE_URL": f"sqlite:///{tmp_path / 'vault.sqlite3'}",
        "UA_SECRET_KEY": new_key(),
        "UA_LEDGERLY_CLIENT_ID": "ledgerly-client",
        "UA_LEDGERLY_CLIENT_SECRET": "ledgerly-secret",
    }


def run(environment: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(build_app(), list(args), env=environment, catch_exceptions=False)
    return result


@pytest.mark.integration
def test_ua_connect_then_list_then_disconnect(
    ledgerly_app: Any, emulator: LedgerlyEmulator, environment: dict[str, str]
) -> None:
    port = free_port()
    with serve(ledgerly_app) as base_url:
        env = {
            **os.environ,
            **environment,
            "UA_LEDGERLY_BASE_URL": base_url,
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
        }
        command = [str(Path(sys.executable).with_name("ua")), "connect", "ledgerly", "--consumer", "acme"]
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-browser", "--timeout", "60"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # The consent URL is on loopback (an emulator): the command consents by itself.
            output, errors = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, errors
    assert "consenting without a browser" in output and "Open this URL" not in output
    assert "Connected ledgerly company c-1 for consumer 'acme'" in output
    environment = {**environment, "UA_LEDGERLY_BASE_URL": "http://ledgerly.test", "COLUMNS": "200"}
    listed = run(environment, "connections", "list", "--consumer", "acme")
    assert (
        listed.exit_code == 0
        and "acme" in listed.output
        and "c-1" in listed.output
        and " ok " in listed.output
    )
    assert "reauthorize by" in listed.output
    other = run(environment, "connections", "list", "--consumer", "someone-else")
    assert "No connections." in other.output
    refused = run(environment, "connections", "disconnect", "ledgerly", "--consumer", "someone-else")
    assert refused.exit_code == 1 and "has no connection" in refused.output
    gone = run(environment, "connections", "disconnect", "ledgerly", "--consumer", "acme", "--force")
    assert gone.exit_code == 0 and "Disconnected ledgerly" in gone.output
    assert "No connections." in run(environment, "connections", "list").output


def test_vault_keys_from_the_command_line(environment: dict[str, str], ledgerly_app: Any) -> None:
    key = run(environment, "vault", "new-key").output.strip()
    assert len(key) == 44
    assert run(environment, "connections", "list").exit_code == 0  # creates the vault with the first key
    rotated = {**environment, "UA_SECRET_KEY": f"{key},{environment['UA_SECRET_KEY']}"}
    result = run(rotated, "vault", "rotate-key")
    assert result.exit_code == 0 and "Re-encrypted 0 token set(s)" in result.output
    assert run({**environment, "UA_SECRET_KEY": key}, "connections", "list").exit_code == 0
    wrong = run(environment, "connections", "list")
    assert wrong.exit_code == 1 and "does not open this vault" in wrong.output
