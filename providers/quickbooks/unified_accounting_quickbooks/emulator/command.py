"""The emulator's command line: the kit's shared flags plus QuickBooks' sample-data counts.

``python -m unified_accounting_quickbooks.emulator --port 8765 --invoices 500`` and
``ua sandbox quickbooks --invoices 500`` take the same flags.
"""

from __future__ import annotations

from typing import Any

from unified_accounting.emulation import EmulatorCommand, Flag

from .app import create_emulator
from .options import EmulatorOptions


def _banner(app: Any) -> list[str]:
    emulator = app.state.emulator
    return [
        f"companies: {', '.join(emulator.realm_ids)}",
        f"client_id={emulator.options.client_id} client_secret={emulator.options.client_secret}",
    ]


COMMAND = EmulatorCommand(
    title="QuickBooks Online",
    create=create_emulator,
    options=EmulatorOptions,
    flags=(
        Flag("realms", int, "number of companies"),
        Flag("customers", int, "customers per company"),
        Flag("items", int, "items per company"),
        Flag("invoices", int, "invoices per company"),
        Flag("payments", int, "payments per company (default: about 40 % of the invoices)"),
    ),
    banner=_banner,
)
