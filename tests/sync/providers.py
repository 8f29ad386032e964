"""QuickBooks and Xero, through their emulators, as the sync tests use them.

Each case builds a seeded emulator, connects a client on a given store, and tells what the mirror
must hold: the provider's records decoded by its own codec, minus those the mirror keeps as
tombstones (voided, deleted, archived).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from unified_accounting_quickbooks.testing import QuickBooksHarness, new_realm_id
from unified_accounting_xero.testing import XeroHarness

from unified_accounting import AsyncClient, AsyncConnection, get_provider
from unified_accounting.mirror.records import GONE_STATUSES
from unified_accounting.testing.harness import ProviderHarness

QBO_ENTITIES = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}
XERO_ENTITIES = {"customer": "Contact", "invoice": "Invoice", "payment": "Payment"}
WEBHOOK_SECRET = {"quickbooks": "emulator-webhook-verifier-token", "xero": None}


@dataclass
class ProviderCase:
    name: str
    harness: ProviderHarness
    options: dict[str, Any] = field(default_factory=dict)

    def create_app(self, **options: Any) -> Any:
        # The real limits would pace the tests on the wall clock: they are off on both sides
        # unless a test asks for them (the limiters have tests of their own, on a fake clock).
        options.setdefault("limits", False)
        if self.name == "quickbooks":
            from unified_accounting_quickbooks.emulator import create_emulator

            app = create_emulator(realms=[new_realm_id()], retry_after_s=0, **options)
            return app
        from unified_accounting_xero.emulator import create_emulator as create_xero

        return create_xero(**options)

    def seeded(self, invoices: int = 120, customers: int = 8, **options: Any) -> Any:
        if self.name == "quickbooks":
            return self.create_app(seed=7, invoices=invoices, customers=customers, **options)
        return self.create_app(
            seed=7, invoices=invoices, contacts=customers, payments=invoices // 3, **options
        )

    def emulator(self, app: Any) -> Any:
        return app.state.emulator

    def webhook_secret(self, app: Any) -> str:
        options = self.emulator(app).options
        secret: str = options.webhook_verifier_token if self.name == "quickbooks" else options.webhook_key
        return secret

    def settings(self, app: Any) -> dict[str, Any]:
        return {
            **self.harness.settings,
            "base_url": self.harness.base_url,
            "webhook_secret": self.webhook_secret(app),
        }

    def client(self, app: Any, database_url: str, secret_key: str, **options: Any) -> AsyncClient:
        options.setdefault("rate_limits", "off")
        return AsyncClient(
            providers={self.name: self.settings(app)},
            transport=options.pop("transport", None) or httpx.ASGITransport(app=app),
            environ={},
            database_url=database_url,
            secret_key=secret_key,
            **options,
        )

    async def connect(self, client: AsyncClient, app: Any, consumer: str = "acme") -> AsyncConnection:
        grant = await self.harness.grant(app)
        return await client.import_connection(
            consumer_id=consumer,
            provider=self.name,
            company_id=grant.company_id,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
        )

    def raw_records(self, app: Any, resource: str) -> list[dict[str, Any]]:
        emulator = self.emulator(app)
        if self.name == "quickbooks":
            return list(emulator.records(QBO_ENTITIES[resource]))
        return list(emulator.records(XERO_ENTITIES[resource], wire=True))

    def sales(self, app: Any, resource: str) -> list[dict[str, Any]]:
        """The provider's records the unified API lists (Xero: sales only, not bills)."""
        return [
            raw
            for raw in self.raw_records(app, resource)
            if self.name != "xero"
            or raw.get("Type", raw.get("PaymentType", "ACCREC")) in ("ACCREC", "ACCRECPAYMENT")
        ]

    def listed_count(self, app: Any, resource: str) -> int:
        return len(self.sales(app, resource))

    def expected(self, app: Any, resource: str) -> dict[str, Decimal | str]:
        """What the live mirror must hold for ``resource``: id → total (invoices, payments) or name."""
        codec = get_provider(self.name).codec
        result: dict[str, Decimal | str] = {}
        for raw in self.sales(app, resource):
            record = codec.decode(resource, raw)
            status = getattr(record, "status", None)
            if status is not None and str(status.value) in GONE_STATUSES:
                continue
            result[str(record.id)] = _summary(record)
        return result


def _summary(record: Any) -> Decimal | str:
    for name in ("total", "total_amount", "display_name"):
        value = getattr(record, name, None)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return str(record.id)


async def mirror_summary(conn: AsyncConnection, resource: str) -> dict[str, Decimal | str]:
    records = await conn.resource(resource, _model(resource)).list(source="mirror").to_list()
    return {str(r.id): _summary(r) for r in records}


def _model(resource: str) -> Any:
    from unified_accounting import RESOURCES

    return RESOURCES.model(resource)


CASES = {
    "quickbooks": ProviderCase("quickbooks", QuickBooksHarness()),
    "xero": ProviderCase("xero", XeroHarness()),
}
