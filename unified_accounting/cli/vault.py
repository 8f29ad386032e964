"""``ua connect``, ``ua connections …``, ``ua vault …`` and ``ua serve``: the vault from a terminal.

Every command builds an ``AsyncClient`` the usual way (``UA_DATABASE_URL``, ``UA_SECRET_KEY``,
``UA_<PROVIDER>_*``), so it works on the same vault the product uses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import webbrowser
from datetime import datetime
from html import escape
from typing import Annotated

import httpx
import typer
import uvicorn
from rich.table import Table
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ..client.async_client import AsyncClient
from ..emulation.command import PortInUse, bind
from ..errors import ConfigurationError, UnifiedAccountingError
from ..vault.crypto import new_key
from ..vault.store import VaultStore
from .console import console

ConsumerOption = Annotated[str, typer.Option("--consumer", "-c", help="The consumer (your customer) id.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Vault database (default: UA_DATABASE_URL, else embedded)."),
]


def _client(database_url: str | None) -> AsyncClient:
    return AsyncClient(database_url=database_url)


def _fail(exc: Exception) -> typer.Exit:
    console().print(f"[red]{exc}[/red]")
    return typer.Exit(1)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


# ------------------------------------------------------------------------------------ ua connect

_DONE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p role="status">{text}</p></main></body></html>"""


def _on_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine: only an emulator (``ua sandbox``) serves consent
    there; a real provider's consent page never is on loopback."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _page_text(html: str, limit: int = 300) -> str:
    text = " ".join(
        re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(title|style|script)[^>]*>.*?</\1>", " ", html)).split()
    )
    return text[:limit] or "(no explanation)"


async def _consent_on_loopback(consent_url: str, callback: str, port: int) -> bool:
    """Ask a local emulator for the consent and follow its redirect to our callback, as a browser
    would. Returns whether the redirect came (else the consent needs a browser: a picker page).

    Only ever called for a consent URL on loopback (:func:`_on_loopback`), so a real provider's
    consent is never automated."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=30.0) as http:
        try:
            answer = await http.get(consent_url)
        except httpx.TransportError as exc:
            host = httpx.URL(consent_url).netloc.decode()
            raise ConfigurationError(
                f"the emulator at {host} does not answer ({exc or type(exc).__name__}): is 'ua sandbox' "
                "still running? Its base_url comes from UA_<PROVIDER>_BASE_URL"
            ) from None
        location = answer.headers.get("location", "")
        if answer.is_redirect and location.startswith(callback):
            # The callback listens on 127.0.0.1: go there directly whatever "localhost" resolves to.
            here = httpx.URL(location).copy_with(host="127.0.0.1", port=port)
            await http.get(here)
            return True
        if answer.is_client_error or answer.is_server_error:
            raise ConfigurationError(
                f"the emulator refused the consent request ({answer.status_code}): {_page_text(answer.text)}"
            )
        return False


async def _connect(
    provider: str, consumer: str, port: int, open_browser: bool, wait_seconds: float, url: str | None
) -> int:
    try:
        sock = bind("127.0.0.1", port)
    except PortInUse:
        raise ConfigurationError(
            f"port {port} on 127.0.0.1 is taken, so the callback cannot listen there: choose another "
            "--port (a real provider needs http://localhost:PORT/callback registered for it)"
        ) from None
    try:
        client = _client(url)
    except BaseException:
        sock.close()
        raise
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def callback(request: Request) -> HTMLResponse:
        if outcome.done():
            return HTMLResponse(
                _DONE_PAGE.format(title="Already done", text="You can close this window."), 400
            )
        try:
            connections = await client.complete_authorization(
                provider=provider, callback_url=str(request.url), consumer_id=consumer
            )
        except UnifiedAccountingError as exc:
            outcome.set_exception(exc)
            return HTMLResponse(_DONE_PAGE.format(title="Not connected", text=escape(str(exc))), 400)
        names = ", ".join(c.company_id for c in connections)
        outcome.set_result(names)
        text = f"Connected {escape(names)}. You can close this window and return to the terminal."
        return HTMLResponse(_DONE_PAGE.format(title="Connected", text=text))

    app = Starlette(routes=[Route("/callback", callback)])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                raise ConfigurationError(f"cannot listen on 127.0.0.1:{port}: choose another --port")
            await asyncio.sleep(0.02)
        redirect_uri = f"http://localhost:{port}/callback"
        consent_url = await client.authorization_url(
            consumer_id=consumer, provider=provider, redirect_uri=redirect_uri
        )
        followed = False
        if _on_loopback(consent_url):
            typer.echo(f"{provider} is a local emulator: consenting without a browser …")
            followed = await _consent_on_loopback(consent_url, redirect_uri, port)
        if not followed:
            typer.echo(f"Open this URL to connect {provider} for consumer {consumer!r}:")
            typer.echo(consent_url)
            if open_browser:
                webbrowser.open(consent_url)
            typer.echo(f"Waiting for the provider to redirect to {redirect_uri} …")
        try:
            names = await asyncio.wait_for(asyncio.shield(outcome), wait_seconds)
        except TimeoutError:
            raise ConfigurationError(
                f"no answer from the provider within {wait_seconds:.0f} s: run 'ua connect' again"
            ) from None
        typer.echo(f"Connected {provider} company {names} for consumer {consumer!r}.")
        return 0
    finally:
        server.should_exit = True
        await serving
        sock.close()
        await client.aclose()


def connect(
    provider: Annotated[str, typer.Argument(help="Provider to connect, e.g. quickbooks or xero.")],
    consumer: ConsumerOption,
    port: Annotated[
        int, typer.Option(help="Local port of the callback (register http://localhost:PORT/callback).")
    ] = 8000,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the consent page in a browser.")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the consent.")] = 300.0,
    database_url: DatabaseOption = None,
) -> None:
    """Connect a company: print (and open) the consent URL, wait for the callback, store the connection.

    Against a local emulator ('ua sandbox', a base_url on loopback) the consent is given without a
    browser: the command asks the emulator itself and follows its redirect to the callback.
    """
    try:
        code = asyncio.run(_connect(provider, consumer, port, browser, timeout, database_url))
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


# ------------------------------------------------------------------------------- ua connections

connections_app = typer.Typer(help="List and remove stored connections.", no_args_is_help=True)


@connections_app.command("list")
def list_connections(
    consumer: Annotated[str | None, typer.Option("--consumer", "-c", help="Only this consumer.")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Show connections with their health, token expiry and reauthorize-by date."""

    async def load() -> list[list[str]]:
        async with _client(database_url) as client:
            records = await client.connections(consumer_id=consumer, provider=provider)
        return [
            [
                r.consumer_id,
                r.provider,
                r.company_id,
                r.company_name or "-",
                r.environment,
                r.health.value,
                _when(r.tokens.expires_at),
                _when(r.reauthorize_by),
                r.last_error or "",
            ]
            for r in records
        ]

    try:
        rows = asyncio.run(load())
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None
    table = Table(title="Connections")
    for column in (
        "consumer",
        "provider",
        "company",
        "name",
        "env",
        "health",
        "access expires",
        "reauthorize by",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console().print(table if rows else "No connections.")


@connections_app.command("disconnect")
def disconnect(
    provider: Annotated[str, typer.Argument(help="Provider of the connection.")],
    consumer: ConsumerOption,
    company: Annotated[
        str | None, typer.Option(help="Company id (needed when the consumer has several).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Forget the connection even if the provider cannot be reached.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Disconnect a company: tell the provider, then remove the connection from the vault."""

    async def run() -> bool:
        async with _client(database_url) as client:
            return await client.disconnect(
                consumer_id=consumer, provider=provider, company_id=company, force=force
            )

    try:
        confirmed = asyncio.run(run())
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None
    note = "" if confirmed else " (the provider did not confirm: revoke access in its settings too)"
    console().print(f"Disconnected {provider} for consumer {consumer!r}{note}.")


# ------------------------------------------------------------------------------------- ua vault

vault_app = typer.Typer(help="Vault keys.", no_args_is_help=True)


@vault_app.command("new-key")
def vault_new_key() -> None:
    """Print a new random secret key (for UA_SECRET_KEY or UA_CONNECT_SIGNING_KEY)."""
    typer.echo(new_key())


@vault_app.command("rotate-key")
def vault_rotate_key(database_url: DatabaseOption = None) -> None:
    """Re-encrypt every secret with the first key of UA_SECRET_KEY='NEW,OLD'; then drop OLD."""

    async def run() -> int:
        async with _client(database_url) as client:
            if not isinstance(client.store, VaultStore):
                raise ConfigurationError("the configured store is not a vault")
            return await client.store.rotate_keys()

    try:
        count = asyncio.run(run())
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None
    console().print(f"Re-encrypted {count} token set(s) with the first key.")


def register(app: typer.Typer) -> None:
    """Add the vault's commands to the ``ua`` application (``ua serve``, which also runs the
    connect page, belongs to the sync package: it serves webhooks and a worker beside it)."""
    app.command("connect")(connect)
    app.add_typer(connections_app, name="connections")
    app.add_typer(vault_app, name="vault")
