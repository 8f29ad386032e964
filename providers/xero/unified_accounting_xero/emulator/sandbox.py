"""``ua sandbox xero``: an organisation product code can use at once.

The seeded organisation (``seed=1``: contacts, items, the chart of accounts with the sales account
``200`` and bank account ``090`` the provider uses by default, invoices and payments; tax rates are
the emulator's defaults) consents without the organisation picker, even with ``--tenants 2``:
every organisation is granted, so ``ua connect xero`` completes without a browser. A sales or bank
account the chart lacks (a custom ``CHART``) is printed as the setting that names another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unified_accounting.emulation import Sandbox

from .emulator import XeroEmulator

#: The account codes the provider uses when none is given (its settings' defaults; the emulator
#: imports nothing of the provider, and a test keeps the two equal).
PROVIDER_SALES_ACCOUNT = "200"
PROVIDER_PAYMENT_ACCOUNT = "090"


def _account_setting(emulator: XeroEmulator, setting: str, wanted: str | None, kind: str) -> dict[str, str]:
    accounts = emulator.records("Account")
    if any(a.get("Code") == wanted and a.get("Status") == "ACTIVE" for a in accounts):
        return {}
    other = next((a for a in accounts if a.get("Type") == kind and a.get("Code")), None)
    return {setting: str(other["Code"])} if other is not None else {}


def prepare(app: Any) -> Mapping[str, str]:
    emulator: XeroEmulator = app.state.emulator
    return {
        **_account_setting(emulator, "default_sales_account_code", PROVIDER_SALES_ACCOUNT, "REVENUE"),
        **_account_setting(emulator, "default_payment_account_code", PROVIDER_PAYMENT_ACCOUNT, "BANK"),
        # The key the emulator signs its webhooks with, so that 'ua serve' accepts them.
        "webhook_secret": emulator.options.webhook_key,
    }


SANDBOX = Sandbox(options={"auto_grant_all_tenants": True}, prepare=prepare)
