"""A stateful, local QuickBooks Online emulator (ASGI, Starlette).

Serves the real paths of Intuit OAuth 2.0 and the Accounting API v3 from one base URL, so a client
only swaps the host::

    app = create_emulator(seed=1, invoices=200)
    emulator = app.state.emulator
    tokens = emulator.issue_tokens()

Defaults usable out of the box: client id ``emulator-client-id``, client secret
``emulator-client-secret``, any redirect URI, one company ``9341453050298715``.
"""

from .app import create_emulator
from .emulator import QuickBooksEmulator
from .entities import Change
from .faults import QBOFault
from .options import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REALM_ID,
    DEFAULT_WEBHOOK_VERIFIER_TOKEN,
    EmulatorOptions,
)
from .webhooks import Delivery, sign

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REALM_ID",
    "DEFAULT_WEBHOOK_VERIFIER_TOKEN",
    "Change",
    "Delivery",
    "EmulatorOptions",
    "QBOFault",
    "QuickBooksEmulator",
    "create_emulator",
    "sign",
]
