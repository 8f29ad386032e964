"""Entry point of the Ledgerly plugin: registers the provider through the ``unified_accounting`` hooks."""

from __future__ import annotations

from unified_accounting import Provider, hookimpl

from .provider import LedgerlyProvider


@hookimpl
def ua_register_providers() -> list[Provider]:
    return [LedgerlyProvider()]
