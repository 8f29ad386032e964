"""The newcomer's emulator path: ``ua sandbox``, ``ua connect`` against it, and the README's code on it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from unified_accounting import AsyncClient, Customer, Invoice, LineItem
from unified_accounting.cli import build_app
from unified_accounting.cli.vault import _on_loopback
from unified_accounting.emulation import command as emulation
from unified_accounting.http.server import free_port, serve
from unified_accounting.plugins import default_registry
from unified_accounting.vault import new_key, open_vault


class Served:
    """What ``ua sandbox`` would have served: its printed lines and its app."""

    lines: list[str]
    app: Any


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Served:
    """Replace the blocking serve step: record the banner and the app instead."""
    served = Served()

    def fake_serve(app: Any, sock: Any, lines: list[str], *, out: Any = print) -> None:
        served.app, served.lines = app, list(lines)
        for line in lines:
            out(line)

    monkeypatch.setattr(emulation, "serve", fake_serve)
    return served


def sandbox(provider: str, *flags: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(build_app(), ["sandbox", provider, "--port", "0", *flags], env=env)


def exported(lines: list[str]) -> dict[str, str]:
    found = (re.fullmatch(r"export (UA_[A-Z_]+)=(\S+)", line) for line in lines)
    return {m.group(1): m.group(2) for m in found if m}


@pytest.mark.parametrize("seed", [[], ["--seed", "none"]])
def test_quickbooks_sandbox_prints_the_environment_and_the_next_command(
    captured: Served, tmp_path: Path, seed: list[str]
) -> None:
    result = sandbox("quickbooks", *seed, env={"UA_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    env = exported(captured.lines)
    emulator = captured.app.state.emulator
    assert env["UA_QUICKBOOKS_BASE_URL"].startswith("http://127.0.0.1:")
    assert env["UA_QUICKBOOKS_CLIENT_ID"] == emulator.options.client_id
    assert env["UA_QUICKBOOKS_CLIENT_SECRET"] == emulator.options.client_secret
    assert env["UA_DATA_DIR"] == str(tmp_path / "sandbox")
    # So that 'ua serve' accepts the webhooks the sandbox delivers.
    assert env["UA_QUICKBOOKS_WEBHOOK_SECRET"] == emulator.options.webhook_verifier_token
    # The default item exists and is an active service item, even in empty books.
    item = emulator.record("Item", env["UA_QUICKBOOKS_DEFAULT_ITEM_ID"])
    assert item is not None and item["Type"] == "Service" and item["Active"]
    assert emulator.options.tax_rate_table() == {"TAX": 8}
    assert captured.lines[-1] == "Next, in that shell: ua connect quickbooks --consumer acme"
    assert "Traceback" not in result.output


def test_xero_sandbox_grants_every_organisation_and_serves_beside_quickbooks(captured: Served) -> None:
    result = CliRunner().invoke(build_app(), ["sandbox", "xero", "--tenants", "2", "--port", "0"])
    assert result.exit_code == 0, result.output
    env = exported(captured.lines)
    options = captured.app.state.emulator.options
    assert options.auto_grant_all_tenants and options.seed == 1
    assert env["UA_XERO_CLIENT_SECRET"] == options.client_secret
    assert env["UA_XERO_WEBHOOK_SECRET"] == options.webhook_key
    assert "UA_XERO_DEFAULT_SALES_ACCOUNT_CODE" not in env  # the chart has the default "200"
    assert captured.lines[-1] == "Next, in that shell: ua connect xero --consumer acme"
    # Different default ports, so both sandboxes run at once.
    xero = default_registry().get("xero").emulator_command()
    quickbooks = default_registry().get("quickbooks").emulator_command()
    assert xero is not None and quickbooks is not None
    assert xero.default_port != quickbooks.default_port


def test_sandbox_options_from_the_command_line_win(captured: Served) -> None:
    result = sandbox("xero", "-o", "auto_grant_all_tenants=false")
    assert result.exit_code == 0, result.output
    assert captured.app.state.emulator.options.auto_grant_all_tenants is False


# ------------------------------------------------------------------- the README's code, every run


def customer_named(conn: Any, name: str) -> Any:
    async def find() -> Any:
        async for customer in conn.customers.list():
            if customer.display_name == name:
                return customer
        return await conn.customers.create(Customer(display_name=name))

    return find()


@pytest.mark.anyio
@pytest.mark.parametrize("provider", ["quickbooks", "xero"])
async def test_the_readme_invoice_works_on_a_sandbox_again_and_again(
    provider: str, captured: Served, tmp_path: Path
) -> None:
    assert sandbox(provider).exit_code == 0
    env = exported(captured.lines)
    settings = {
        key.removeprefix(f"UA_{provider.upper()}_").lower(): value
        for key, value in env.items()
        if key.startswith(f"UA_{provider.upper()}_")
    }
    emulator = captured.app.state.emulator
    issued = emulator.issue_tokens()
    company = issued.get("realm_id") or issued["tenant_ids"][0]
    async with AsyncClient(
        providers={provider: settings},
        transport=httpx.ASGITransport(app=captured.app),
        environ={},
    ) as client:
        await client.import_connection(
            consumer_id="acme", provider=provider, company_id=company, access_token=issued["access_token"]
        )
        conn = await client.connection(consumer_id="acme", provider=provider)
        for _ in range(2):
            customer = await customer_named(conn, "Globex Corporation")
            invoice = await conn.invoices.create(
                Invoice(
                    customer_id=customer.id,
                    line_items=[LineItem(description="Consulting", quantity=3, unit_price="150.00")],
                )
            )
            assert invoice.status == "open" and invoice.total >= 450


# ------------------------------------------------------------------ ua connect without a browser


@pytest.fixture
def served_sandbox(request: pytest.FixtureRequest, captured: Served) -> Iterator[tuple[dict[str, str], Any]]:
    provider, *flags = request.param
    assert sandbox(provider, *flags).exit_code == 0
    port = free_port()
    with serve(captured.app, port=port):
        env = exported(captured.lines)
        env[f"UA_{provider.upper()}_BASE_URL"] = f"http://127.0.0.1:{port}"
        yield env, captured.app


def connect(provider: str, env: dict[str, str], tmp_path: Path) -> Any:
    environment = {
        **env,
        "UA_DATABASE_URL": f"sqlite:///{tmp_path / 'vault.sqlite3'}",
        "UA_SECRET_KEY": env.get("UA_SECRET_KEY") or new_key(),
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(
        build_app(),
        ["connect", provider, "--consumer", "acme", "--port", str(free_port()), "--timeout", "30"],
        env=environment,
    )
    return result, environment


def stored(environment: dict[str, str]) -> list[Any]:
    async def listing() -> list[Any]:
        store = open_vault(environment["UA_DATABASE_URL"], environment["UA_SECRET_KEY"])
        try:
            return await store.list()
        finally:
            await store.close()

    return asyncio.run(listing())


@pytest.mark.integration
@pytest.mark.parametrize(
    "served_sandbox", [["quickbooks"], ["xero", "--tenants", "2"]], indirect=True, ids=["quickbooks", "xero"]
)
def test_ua_connect_completes_against_a_running_sandbox_without_a_browser(
    served_sandbox: tuple[dict[str, str], Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, app = served_sandbox
    provider = "quickbooks" if "UA_QUICKBOOKS_BASE_URL" in env else "xero"
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    result, environment = connect(provider, env, tmp_path)
    assert result.exit_code == 0, result.output
    assert "consenting without a browser" in result.output and not opened
    records = stored(environment)
    assert {r.company_id for r in records} == set(app.state.emulator.company_ids)
    assert all(r.metadata["base_url"] == env[f"UA_{provider.upper()}_BASE_URL"] for r in records)


@pytest.mark.integration
@pytest.mark.parametrize(
    "served_sandbox", [["quickbooks"], ["xero"]], indirect=True, ids=["quickbooks", "xero"]
)
def test_ua_connect_with_a_wrong_client_secret_names_the_setting_and_stores_nothing(
    served_sandbox: tuple[dict[str, str], Any], tmp_path: Path
) -> None:
    env, _ = served_sandbox
    provider = "quickbooks" if "UA_QUICKBOOKS_BASE_URL" in env else "xero"
    env[f"UA_{provider.upper()}_CLIENT_SECRET"] = "not-the-secret"
    result, environment = connect(provider, env, tmp_path)
    assert result.exit_code == 1
    assert f"UA_{provider.upper()}_CLIENT_SECRET" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert stored(environment) == []


def test_only_a_consent_url_on_this_machine_is_followed() -> None:
    assert _on_loopback("http://127.0.0.1:8765/connect/oauth2?client_id=x")
    assert _on_loopback("http://localhost:8766/identity/connect/authorize")
    assert _on_loopback("http://[::1]:8765/connect/oauth2")
    for real in (
        "https://appcenter.intuit.com/connect/oauth2?client_id=x",
        "https://login.xero.com/identity/connect/authorize?client_id=x",
        "http://localhost.example.com/authorize",
        "http://10.0.0.5:8765/authorize",
    ):
        assert not _on_loopback(real), real


def test_the_xero_sandbox_checks_the_accounts_the_provider_defaults_to() -> None:
    from unified_accounting_xero.emulator import sandbox as xero_sandbox
    from unified_accounting_xero.settings import XeroSettings

    defaults = XeroSettings()
    assert defaults.default_sales_account_code == xero_sandbox.PROVIDER_SALES_ACCOUNT
    assert defaults.default_payment_account_code == xero_sandbox.PROVIDER_PAYMENT_ACCOUNT


def test_the_quickbooks_sandbox_has_suppliers_for_bills_and_expenses() -> None:
    # The seed makes no vendors: without the sandbox's, the quickstart's bill had none to name.
    from unified_accounting_quickbooks.emulator import create_emulator
    from unified_accounting_quickbooks.emulator import sandbox as quickbooks_sandbox

    app = create_emulator(seed=1)
    emulator = app.state.emulator
    assert not list(emulator.records("Vendor"))
    quickbooks_sandbox.prepare(app)
    names = [vendor["DisplayName"] for vendor in emulator.records("Vendor")]
    assert names == list(quickbooks_sandbox.SANDBOX_VENDORS)
    quickbooks_sandbox.prepare(app)  # a sandbox prepared again adds none
    assert len(list(emulator.records("Vendor"))) == len(names)


# ------------------------------------------------------------------- loopback redirect URIs


def authorize_status(app: Any, path: str, redirect_uri: str, client_id: str) -> int:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid offline_access accounting.transactions"
        if "identity" in path
        else "com.intuit.quickbooks.accounting",
        "state": "s",
    }

    async def ask() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
            return (await http.get(path, params=params)).status_code

    return asyncio.run(ask())


@pytest.mark.parametrize("provider", ["quickbooks", "xero"])
def test_emulators_accept_localhost_redirects_on_any_port_like_a_development_app(provider: str) -> None:
    registered = ["https://app.example.com/callback"]
    if provider == "xero":
        from unified_accounting_xero.emulator import DEFAULT_CLIENT_ID
        from unified_accounting_xero.emulator import create_emulator as make

        path, client_id = "/identity/connect/authorize", DEFAULT_CLIENT_ID
    else:
        from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID as QB_CLIENT_ID
        from unified_accounting_quickbooks.emulator import create_emulator as make

        path, client_id = "/connect/oauth2", QB_CLIENT_ID
    app = make(seed=None, redirect_uris=registered)
    for accepted in ("http://localhost:53127/callback", "http://localhost:8000/anything", registered[0]):
        assert authorize_status(app, path, accepted, client_id) == 302, accepted
    for refused in (
        "http://evil.example:8000/callback",
        "https://localhost:53127/callback",  # not registered, and not plain http
        "http://user@localhost:8000/callback",
        "http://localhost.evil.example/callback",
        "http://127.0.0.1:53127/callback",  # Intuit refuses IP addresses; only "localhost" is loopback here
    ):
        assert authorize_status(app, path, refused, client_id) == 400, refused
    strict = make(seed=None, redirect_uris=registered, loopback_redirect_hosts=())
    assert authorize_status(strict, path, "http://localhost:53127/callback", client_id) == 400


@pytest.mark.integration
@pytest.mark.parametrize(
    "served_sandbox", [["xero", "-o", "loopback_redirect_hosts=[]"]], indirect=True, ids=["xero-strict"]
)
def test_ua_connect_reports_a_refused_redirect_at_once_instead_of_waiting(
    served_sandbox: tuple[dict[str, str], Any], tmp_path: Path
) -> None:
    env, _ = served_sandbox
    result, environment = connect("xero", env, tmp_path)
    assert result.exit_code == 1
    assert "refused the consent request (400)" in result.output and "not registered" in result.output
    assert "Waiting for the provider" not in result.output
    assert stored(environment) == []
