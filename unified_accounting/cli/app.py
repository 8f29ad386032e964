"""The ``ua`` command line. Plugins add commands through the ``ua_register_cli`` hook."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from ..demo import run_demo
from ..emulation import command as emulation
from ..errors import UnifiedAccountingError
from ..plugins import default_registry
from ..vault.paths import data_dir
from . import service as service_commands
from . import vault as vault_commands
from .console import console

#: The directory, inside the data directory, of the vault that ``ua sandbox`` proposes.
SANDBOX_VAULT = "sandbox"


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="ua",
        help="unified-accounting: one accounting API over QuickBooks Online, Xero and plugins.",
        no_args_is_help=True,
        add_completion=False,
    )
    app.command("providers")(providers)
    # The emulator's own flags follow the provider name; the kit's parser reads them (and --help).
    app.command(
        "sandbox",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    )(sandbox)
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
    console().print(table)
    if not infos:
        console().print(
            "No provider is installed: install one, e.g. 'pip install unified-accounting-quickbooks'."
        )


def sandbox(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Argument(help="Provider whose emulator to run.")] = None,
) -> None:
    """Run a provider's local emulator (OAuth and API) on loopback, seeded, until interrupted.

    Prints the environment lines that point the library at it and the command that connects a
    consumer ('ua connect PROVIDER --consumer acme', no browser needed).

    Flags after the provider: --port, --host, --seed, --no-limits, --latency-ms, --error-rate, --clock,
    --webhook-url, -o NAME=VALUE and the emulator's own; 'ua sandbox PROVIDER --help' lists them.
    """
    if provider is None or provider.startswith("-"):
        emulation.build_parser("ua sandbox PROVIDER", None).print_help()
        names = ", ".join(info.name for info in default_registry().infos()) or "none installed"
        console().print(f"\nProviders: {names}", markup=False)
        raise typer.Exit(0 if provider in ("-h", "--help") else 2)
    prog = f"ua sandbox {provider}"
    try:
        plugin = default_registry().get(provider)
        command = plugin.emulator_command() or emulation.EmulatorCommand(
            title=plugin.display_name, create=plugin.create_emulator
        )
        invocation = emulation.parse(ctx.args, prog=prog, command=command)

        def show(line: str) -> None:
            console().print(line, markup=False, highlight=False, soft_wrap=True)

        # The sandbox's connections go to a vault of their own, so that they never sit beside (and
        # make ambiguous) a consumer's real connections in the default vault.
        sandbox_vault = str(data_dir() / SANDBOX_VAULT)
        code = emulation.run(
            command, invocation, prog=prog, out=show, sandbox_for=provider, data_dir=sandbox_vault
        )
    except UnifiedAccountingError as exc:
        console().print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def demo(
    keep: Annotated[
        bool, typer.Option(help="Leave the emulators, connect page and webhook endpoint running.")
    ] = False,
) -> None:
    """Run the whole library against local QuickBooks and Xero emulators (no accounts, no network)."""
    try:
        code = asyncio.run(run_demo(console(), keep=keep))
    except KeyboardInterrupt:
        code = 0
    except UnifiedAccountingError as exc:
        console().print(f"[red]{exc}[/red]")
        code = 2
    raise typer.Exit(code)


def main() -> None:
    try:
        app = build_app()
    except UnifiedAccountingError as exc:
        console().print(f"[red]{exc}[/red]")
        raise SystemExit(2) from None
    app()
