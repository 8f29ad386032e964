"""The ``ua`` command line. Plugins add commands through the ``ua_register_cli`` hook."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from ..demo import run_demo
from ..errors import UnifiedAccountingError
from ..plugins import default_registry
from . import service as service_commands
from . import vault as vault_commands

console = Console()


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="ua",
        help="unified-accounting: one accounting API over QuickBooks Online, Xero and plugins.",
        no_args_is_help=True,
        add_completion=False,
    )
    app.command("providers")(providers)
    app.command("sandbox")(sandbox)
    app.command("demo")(demo)
    vault_commands.register(app)
    service_commands.register(app)
    default_registry().plugin_manager.hook.ua_register_cli(app=app)
    return app


def providers() -> None:
    """List installed provider plugins with their version and capabilities."""
    table = Table(title="Installed providers")
    for column in ("name", "display name", "version", "distribution", "capabilities"):
        table.add_column(column)
    infos = default_registry().infos()
    for info in infos:
        summary = "\n".join(f"{res}: {' '.join(ops)}" for res, ops in info.capability_summary().items())
        table.add_row(
            info.name, info.provider.display_name, info.version or "-", info.distribution or "-", summary
        )
    console.print(table)
    if not infos:
        console.print(
            "No provider is installed: install one, e.g. 'pip install unified-accounting-quickbooks'."
        )


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f'{pair!r}: expected NAME=VALUE (VALUE may be JSON: 3, true, ["a"])')
        try:
            options[name] = json.loads(raw)
        except json.JSONDecodeError:
            options[name] = raw
    return options


def sandbox(
    provider: Annotated[str, typer.Argument(help="Provider whose emulator to run, e.g. quickbooks.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind; keep it on loopback.")] = "127.0.0.1",
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Emulator option NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Run a provider's local emulator (OAuth and API) until interrupted."""
    try:
        app = default_registry().get(provider).create_emulator(**_parse_options(option or []))
    except UnifiedAccountingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"{provider} emulator on http://{host}:{port} (use it as base_url); Ctrl-C stops it.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def demo(
    keep: Annotated[
        bool, typer.Option(help="Leave the emulators, connect page and webhook endpoint running.")
    ] = False,
) -> None:
    """Run the whole library against local QuickBooks and Xero emulators (no accounts, no network)."""
    try:
        code = asyncio.run(run_demo(console, keep=keep))
    except KeyboardInterrupt:
        code = 0
    except UnifiedAccountingError as exc:
        console.print(f"[red]{exc}[/red]")
        code = 2
    raise typer.Exit(code)


def main() -> None:
    try:
        app = build_app()
    except UnifiedAccountingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise SystemExit(2) from None
    app()
