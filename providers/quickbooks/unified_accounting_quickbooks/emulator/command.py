"""The emulator's command line: the kit's shared flags plus QuickBooks' sample-data counts.

``python -m unified_accounting_quickbooks.emulator --port 8765 --invoices 500`` and
``ua sandbox quickbooks --invoices 500`` take the same flags.
"""

from __future__ import annotations

from unified_accounting.emulation import EmulatorCommand, Flag

from .app import create_emulator
from .options import EmulatorOptions
from .sandbox import SANDBOX

COMMAND = EmulatorCommand(
    title="QuickBooks Online",
    create=create_emulator,
    options=EmulatorOptions,
    flags=(
        Flag("realms", int, "number of companies"),
        "customers",
        "items",
        "invoices",
        Flag("payments", int),
    ),
    sandbox=SANDBOX,
)
