"""Errors at the edges: each a short message with the fix, no traceback, and nothing written."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner
from unified_accounting_quickbooks.emulator import create_emulator

from unified_accounting import AsyncClient, Client, ConfigurationError, ProviderUnavailable
from unified_accounting.cli import build_app
from unified_accounting.connections import MemoryConnectionStore
from unified_accounting.http.server import free_port
from unified_accounting.vault import new_key


def ua(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "200", **(env or {})})


def assert_short_refusal(result: Any, *expected: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output


@pytest.fixture
def in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UA_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


# ----------------------------------------------------------------------------------- database URLs


def test_a_database_url_that_is_not_a_url_is_refused_briefly(in_empty_folder: Path) -> None:
    result = ua("connections", "list", "--database-url", "notaurl")
    assert_short_refusal(result, "not a URL", "UA_DATABASE_URL", "sqlite:///PATH")
    assert list(in_empty_folder.iterdir()) == []


def test_a_sqlite_file_in_a_missing_directory_is_refused_and_no_directory_is_made(
    in_empty_folder: Path,
) -> None:
    result = ua("connections", "list", "--database-url", "sqlite:///missing/dir/vault.db")
    assert_short_refusal(result, "missing/dir", "does not exist", "mkdir -p")
    assert list(in_empty_folder.iterdir()) == []


@pytest.mark.anyio
async def test_the_library_refuses_a_missing_directory_too(tmp_path: Path) -> None:
    client = AsyncClient(database_url=f"sqlite:///{tmp_path}/nowhere/vault.db")
    try:
        with pytest.raises(ConfigurationError, match="does not exist"):
            await client.connections()
    finally:
        await client.aclose()
    assert not (tmp_path / "nowhere").exists()


def test_the_embedded_vault_still_makes_its_own_directory(in_empty_folder: Path) -> None:
    result = ua("connections", "list")
    assert result.exit_code == 0, result.output
    assert (in_empty_folder / "data").is_dir()


def test_an_unreachable_database_server_is_named_without_its_password(
    in_empty_folder: Path, closed_port: int
) -> None:
    url = f"postgresql://app:hunter2secret@127.0.0.1:{closed_port}/app"
    result = ua("connections", "list", "--database-url", url, env={"UA_SECRET_KEY": new_key()})
    assert_short_refusal(result, "cannot open the database", f"127.0.0.1:{closed_port}", "UA_DATABASE_URL")
    assert "hunter2secret" not in result.output
    assert "sqlalche.me" not in result.output  # not SQLAlchemy's raw error


# ------------------------------------------------------------------------------------ busy ports


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_ua_serve_names_a_busy_port_before_its_banner(busy_port: int, in_empty_folder: Path) -> None:
    result = ua("serve", "--port", str(busy_port))
    assert_short_refusal(result, f"127.0.0.1:{busy_port} is not available", "--port")
    assert "Connect page on" not in result.output


def test_ua_connect_names_a_busy_callback_port(busy_port: int, in_empty_folder: Path) -> None:
    env = {"UA_QUICKBOOKS_CLIENT_ID": "id", "UA_QUICKBOOKS_CLIENT_SECRET": "secret"}
    result = ua("connect", "quickbooks", "--consumer", "acme", "--port", str(busy_port), env=env)
    assert_short_refusal(result, f"port {busy_port}", "--port")
    assert "Open this URL" not in result.output
    assert not (in_empty_folder / "data").exists()


# ------------------------------------------------------------------------------- import_connection


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("field", "value"),
    [("company_id", "..."), ("company_id", "…"), ("company_id", "<company id>"), ("access_token", "...")],
)
async def test_a_placeholder_is_refused_and_nothing_is_stored(field: str, value: str, tmp_path: Path) -> None:
    arguments = {"company_id": "9341453050298715", "access_token": "token-1", field: value}
    async with AsyncClient(database_url=f"sqlite:///{tmp_path}/vault.db", secret_key=new_key()) as client:
        with pytest.raises(ConfigurationError, match=f"{field} .* placeholder.*nothing was stored"):
            await client.import_connection(consumer_id="acme", provider="quickbooks", **arguments)  # type: ignore[arg-type]
        assert await client.connections() == []


@pytest.mark.anyio
async def test_a_refused_import_stores_nothing_whatever_refused_it() -> None:
    store = MemoryConnectionStore()
    async with AsyncClient(store=store, environ={}) as client:
        with pytest.raises(ConfigurationError):
            await client.import_connection(
                consumer_id="acme", provider="nope", company_id="1", access_token="t"
            )
        with pytest.raises(ConfigurationError):
            await client.import_connection(
                consumer_id="acme",
                provider="quickbooks",
                company_id="1",
                access_token="t",
                expires_at=datetime(2030, 1, 1),  # naive: refused
            )
        assert await client.connections() == []


# ------------------------------------------------------------------- provider hosts of a connection


def test_a_connection_made_through_an_emulator_is_not_used_without_its_base_url() -> None:
    app = create_emulator(seed=None)
    issued = app.state.emulator.issue_tokens()
    store = MemoryConnectionStore()
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    base_url = "http://127.0.0.1:8765"
    with Client(
        store=store, environ={}, providers={"quickbooks": {"base_url": base_url, "client_id": "i"}}
    ) as client:
        client.import_connection(
            consumer_id="acme", provider="quickbooks", company_id=issued["realm_id"], access_token="token-1"
        )
    with Client(store=store, environ={}, transport=httpx.MockTransport(record)) as client:
        conn = client.connection(consumer_id="acme", provider="quickbooks")
        with pytest.raises(ConfigurationError) as refused:
            list(conn.customers.list())
    message = str(refused.value)
    assert "UA_QUICKBOOKS_BASE_URL" in message and base_url in message
    assert sent == []  # the emulator's token never went to Intuit


def test_an_unreachable_provider_host_is_named_with_its_setting(closed_port: int) -> None:
    base_url = f"http://127.0.0.1:{closed_port}"
    with Client(
        store=MemoryConnectionStore(),
        environ={},
        max_retries=0,
        providers={"quickbooks": {"base_url": base_url, "client_id": "i", "client_secret": "s"}},
    ) as client:
        conn = client.import_connection(
            consumer_id="acme", provider="quickbooks", company_id="9341453050298715", access_token="token-1"
        )
        with pytest.raises(ProviderUnavailable) as failed:
            list(conn.customers.list())
    message = str(failed.value)
    assert f"127.0.0.1:{closed_port}" in message and "UA_QUICKBOOKS_BASE_URL" in message
    assert "ua sandbox quickbooks" in message
