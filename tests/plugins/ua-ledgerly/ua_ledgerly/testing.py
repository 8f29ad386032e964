"""The conformance harness for Ledgerly's emulator (what every provider package ships for its tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from unified_accounting.testing import EmulatorGrant, ProviderHarness


class LedgerlyHarness(ProviderHarness):
    provider = "ledgerly"
    settings: ClassVar[dict[str, Any]] = {"client_id": "ledgerly-client", "client_secret": "ledgerly-secret"}

    def create_app(self) -> Any:
        from .emulator import create_emulator

        return create_emulator()

    async def grant(self, app: Any) -> EmulatorGrant:
        issued = app.state.emulator.issue_tokens()
        return EmulatorGrant(
            issued["company"], issued["access_token"], issued["refresh_token"], issued["expires_at"]
        )

    def throttle(self, app: Any, count: int) -> None:
        app.state.emulator.throttle(count, retry_after=0)

    def advance(self, app: Any, seconds: float) -> None:
        app.state.emulator.advance(seconds)

    def now(self, app: Any) -> datetime:
        now: datetime = app.state.emulator.now()
        return now

    def raw_read(self) -> tuple[str, dict[str, Any]] | None:
        return "customers", {"limit": 1}
