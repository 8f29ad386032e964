"""The conformance harness for the Xero emulator, for this package's tests and for product tests.

``create_app`` wraps the emulator in :class:`ThrottledApp`, which can answer the next calls 429 with
``Retry-After: 0`` as the suite requires (the emulator's own injected 429 asks for 60 seconds, like
Xero). The emulator control object stays reachable as ``app.emulator``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from unified_accounting.models import Invoice, InvoiceStatus
from unified_accounting.testing import EmulatorGrant, ProviderHarness
from unified_accounting.types import ASGIApp, Receive, Scope, Send

from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, XeroEmulator, create_emulator
from .emulator.errors import problem

ACCOUNTING_PREFIX = "/api.xro/"


class ThrottledApp:
    """The emulator app, able to refuse the next ``throttled`` Accounting API calls with 429."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.emulator: XeroEmulator = app.state.emulator
        self.state = app.state
        self.throttled = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(ACCOUNTING_PREFIX) and self.throttled > 0:
            self.throttled -= 1
            refusal = problem(
                429,
                "Too Many Requests",
                "The API rate limit for your organisation/application pairing has been exceeded.",
                {"Retry-After": "0", "X-Rate-Limit-Problem": "minute"},
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def emulator_of(app: Any) -> XeroEmulator:
    emulator: XeroEmulator = app.emulator if isinstance(app, ThrottledApp) else app.state.emulator
    return emulator


class XeroHarness(ProviderHarness):
    provider = "xero"
    settings: ClassVar[dict[str, Any]] = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    base_url: ClassVar[str] = "http://xero.test"

    def __init__(self, **emulator_options: Any) -> None:
        self.emulator_options = emulator_options

    def create_app(self) -> ASGIApp:
        return ThrottledApp(create_emulator(**self.emulator_options))

    async def grant(self, app: ASGIApp) -> EmulatorGrant:
        emulator = emulator_of(app)
        issued = emulator.issue_tokens([emulator.default_tenant_id])
        return EmulatorGrant(
            company_id=emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued.get("refresh_token"),
            expires_at=issued["expires_at"],
        )

    def throttle(self, app: ASGIApp, count: int) -> None:
        assert isinstance(app, ThrottledApp), "use an app made by XeroHarness.create_app"
        app.throttled = count

    def advance(self, app: ASGIApp, seconds: float) -> None:
        emulator_of(app).advance(seconds)

    def now(self, app: ASGIApp) -> datetime:
        return emulator_of(app).now()

    def invoice_changes(self) -> dict[str, Any]:
        # Xero invoices have no memo; the reference is the free-text field printed on them.
        return {"reference": "Changed by the conformance suite"}

    def deletable_invoice(self, customer_id: str) -> Invoice:
        # Xero deletes only unapproved invoices.
        return self.invoice(customer_id).model_copy(update={"status": InvoiceStatus.DRAFT})
