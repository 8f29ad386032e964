"""A faithful, stateful, local emulator of Xero's identity service and Accounting API.

``create_emulator(**options)`` returns a Starlette ASGI app serving identity, connections and the Accounting
API from one base URL; ``app.state.emulator`` is the :class:`XeroEmulator` control object.  Each module
docstring says what it emulates and which behaviours are configurable because the real Xero behaviour is
unverified.
"""

from unified_accounting.emulation import LoggedRequest
from unified_accounting.emulation.oauth import pkce_challenge

from .app import build_app, create_emulator
from .emulator import XeroEmulator
from .options import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REDIRECT_URIS,
    DEFAULT_SCOPE,
    DEFAULT_WEBHOOK_KEY,
    EmulatorOptions,
    TenantSpec,
)
from .webhooks import Delivery, sign

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_REDIRECT_URIS",
    "DEFAULT_SCOPE",
    "DEFAULT_WEBHOOK_KEY",
    "Delivery",
    "EmulatorOptions",
    "LoggedRequest",
    "TenantSpec",
    "XeroEmulator",
    "build_app",
    "create_emulator",
    "pkce_challenge",
    "sign",
]
