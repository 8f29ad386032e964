"""Entry point of the Xero plugin (group ``unified_accounting``, name ``xero``)."""

from __future__ import annotations

from unified_accounting import Provider, hookimpl

from .provider import XeroProvider


@hookimpl
def ua_register_providers() -> list[Provider]:
    return [XeroProvider()]
