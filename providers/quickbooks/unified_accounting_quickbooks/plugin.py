"""Entry point of the QuickBooks plugin: the provider and its ``ua quickbooks`` commands."""

from __future__ import annotations

import typer

from unified_accounting import Provider, hookimpl

from .provider import QuickBooksProvider


@hookimpl
def ua_register_providers() -> list[Provider]:
    return [QuickBooksProvider()]


@hookimpl
def ua_register_cli(app: typer.Typer) -> None:
    from .cli import quickbooks_app

    app.add_typer(quickbooks_app, name="quickbooks")
