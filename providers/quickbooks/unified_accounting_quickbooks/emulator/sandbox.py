"""``ua sandbox quickbooks``: a company product code can use at once.

The seeded company (``seed=1``: customers, items, a chart of accounts, invoices and payments) gets
an 8 % rate on the tax code ``TAX`` its taxed invoices use, and the sandbox makes sure one active
service item exists (creating it through the emulator when the seed made none, e.g. with
``--seed none``): QuickBooks needs an item on every sales line, so the sandbox prints it as
``UA_QUICKBOOKS_DEFAULT_ITEM_ID`` and an invoice line without ``item_id`` uses it. The seed makes
no vendors, so the sandbox adds a few: bills and expenses need a supplier to name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unified_accounting.emulation import Sandbox

from .emulator import QuickBooksEmulator

#: The rate a US invoice that names no tax code is charged on its ``TAX`` lines: the 8 % of the
#: seeded company's own code (Intuit's sample code "2", California).
SANDBOX_TAX_PERCENT = 8

#: The service item a sandbox makes when its company has none.
SANDBOX_ITEM = "Services"


def default_item_id(emulator: QuickBooksEmulator) -> str:
    """The first active service item of the default company, created when there is none."""
    for item in emulator.records("Item"):
        if item.get("Active", True) and item.get("Type") == "Service":
            return str(item["Id"])
    income = next(a for a in emulator.records("Account") if a.get("AccountType") == "Income")
    created = emulator.create(
        "Item",
        {
            "Name": SANDBOX_ITEM,
            "Type": "Service",
            "UnitPrice": 100,
            "IncomeAccountRef": {"value": income["Id"], "name": income["Name"]},
        },
    )
    return str(created["Id"])


#: The suppliers a sandbox adds when its company has none (made-up names).
SANDBOX_VENDORS = ("Paper & Co.", "Northwind Freight", "Brightline Telecom")


def ensure_vendors(emulator: QuickBooksEmulator) -> None:
    """Vendors for the payables side, created when the company has none."""
    if any(vendor.get("Active", True) for vendor in emulator.records("Vendor")):
        return
    for name in SANDBOX_VENDORS:
        emulator.create("Vendor", {"DisplayName": name, "CompanyName": name})


def prepare(app: Any) -> Mapping[str, str]:
    emulator: QuickBooksEmulator = app.state.emulator
    ensure_vendors(emulator)
    return {
        "default_item_id": default_item_id(emulator),
        # The verifier token the emulator signs its webhooks with, so that 'ua serve' accepts them.
        "webhook_secret": emulator.options.webhook_verifier_token,
    }


SANDBOX = Sandbox(options={"tax_rates": {"TAX": str(SANDBOX_TAX_PERCENT)}}, prepare=prepare)
