"""The emulator's command line: the kit's shared flags plus Xero's sample-data counts.

``python -m unified_accounting_xero.emulator --port 8765 --tenants 2`` and ``ua sandbox xero --tenants 2``
take the same flags.  A served emulator also accepts ``http://<host>:<port>/callback`` as a redirect URI.
"""

from __future__ import annotations

from typing import Any

from unified_accounting.emulation import EmulatorCommand

from .app import create_emulator
from .options import DEFAULT_REDIRECT_URIS, EmulatorOptions
from .sandbox import SANDBOX


def _served_at(host: str, port: int) -> dict[str, Any]:
    return {"redirect_uris": [f"http://{host}:{port}/callback", *DEFAULT_REDIRECT_URIS]}


COMMAND = EmulatorCommand(
    title="Xero",
    create=create_emulator,
    options=EmulatorOptions,
    flags=("tenants", "contacts", "items", "invoices", "payments"),
    served_at=_served_at,
    sandbox=SANDBOX,
    # Beside ``ua sandbox quickbooks`` (8765), so that both run at once.
    default_port=8766,
)
