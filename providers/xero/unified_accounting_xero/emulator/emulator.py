"""The control object of the Xero emulator.

:class:`XeroEmulator` owns all state (organisations, identity, limits, faults, idempotency keys, webhooks and
the request log) and offers the methods tests use to arrange situations without the browser flow: mint
tokens, expire or revoke them, inject faults, move the clock, inspect records and flush webhooks.  The ASGI
app built by :func:`~.app.create_emulator` (or :func:`~.app.build_app` for an emulator built directly)
exposes it as ``app.state.emulator``.  Its clock, fault injection and request log are the kit's
(:class:`unified_accounting.emulation.Emulator`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from starlette.responses import Response

from unified_accounting.emulation import Emulator, Fault
from unified_accounting.types import Scope

from .faults import ACCOUNTING_PREFIX, fault_response
from .idempotency import IdempotencyStore
from .identity import IdentityService
from .journal import ChangeEvent
from .ledger import Ledger
from .limits import RateLimiter
from .options import DEFAULT_SCOPE, EmulatorOptions
from .organisation import seed_currencies
from .regions import COUNTRY_CURRENCIES, version_of
from .seed import SeedCounts, seed_chart, seed_data
from .serialize import entity_wire
from .state import COLLECTIONS, IdFactory, Record, TenantState
from .taxes import seed_tax_rates
from .webhooks import Delivery, WebhookDispatcher

#: Headers copied into :attr:`XeroEmulator.request_log` entries next to the kit's (credentials never are).
LOGGED_HEADERS = ("xero-tenant-id", "idempotency-key", "if-modified-since")


class XeroEmulator(Emulator):
    """State and control surface of one emulated Xero (identity + Accounting API + webhooks)."""

    fault_targets: ClassVar[Mapping[str, str]] = {
        "api": ACCOUNTING_PREFIX,
        "token": "/connect/token",
        "identity": "/identity/",
        "connections": "/connections",
    }
    #: Xero reports times to the millisecond.
    clock_resolution: ClassVar[timedelta] = timedelta(milliseconds=1)
    company_noun: ClassVar[str] = "organisations"
    options: EmulatorOptions

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        super().__init__(options or EmulatorOptions())
        o = self.options
        self.ids = IdFactory(o.seed)
        self.tenants: dict[str, TenantState] = {}
        self.companies = self.tenants
        now = self.clock.now()
        for spec in o.tenant_specs():
            tenant_id = (spec.tenant_id or self.ids.new()).lower()
            if tenant_id in self.tenants:
                raise ValueError(f"duplicate tenant id {tenant_id}")
            country = (spec.country_code or o.country).upper()
            tenant = TenantState(
                tenant_id=tenant_id,
                name=spec.name,
                base_currency=(spec.base_currency or COUNTRY_CURRENCIES.get(country, "USD")).upper(),
                country_code=country,
                day_limit=spec.day_limit if spec.day_limit is not None else o.day_limit,
                version=version_of(country),
                multi_currency=spec.multi_currency if spec.multi_currency is not None else o.multi_currency,
            )
            seed_currencies(tenant, tuple(spec.currencies if spec.currencies is not None else o.currencies))
            seed_tax_rates(tenant, o.tax_rates)
            self.tenants[tenant_id] = tenant
        self.ledger = Ledger(
            self.ids, o.default_tax_type, o.zero_total_becomes_paid, o.tracking_category_limits
        )
        counts = SeedCounts(o.contacts, o.items, o.invoices, o.payments)
        for tenant in self.tenants.values():
            seed_chart(tenant, self.ids, now)
            if o.seed is not None:
                seed_data(tenant, self.ids, self.ledger, counts, o.seed, now)
        self.identity = IdentityService(
            o, self.clock, self.ids, {t.tenant_id: t.name for t in self.tenants.values()}
        )
        self.oauth = self.identity
        self.limiter = RateLimiter(
            self.clock,
            enabled=o.limits,
            concurrent_limit=o.concurrent_limit,
            minute_limit=o.minute_limit,
            day_limit=o.day_limit,
            app_minute_limit=o.app_minute_limit,
            problem_names=o.rate_limit_problem_names,
            concurrent_retry_after_s=o.concurrent_retry_after_s,
        )
        self.idempotency = IdempotencyStore(self.clock, o.idempotency_retention_s)
        self.webhooks = WebhookDispatcher(
            self.clock,
            url=o.webhook_url,
            key=o.webhook_key,
            transport=o.webhook_transport,
            delay_s=o.webhook_delay_s,
            batch_size=o.webhook_batch_size,
            resource_base=o.webhook_resource_base,
            timeout_s=o.webhook_timeout_s,
            seed=o.seed,
        )

    def fault_response(self, fault: Fault, scope: Scope) -> Response:
        return fault_response(fault.status, fault.retry_after_s)

    # ------------------------------------------------------------------------------------------- tenants
    # Xero calls a company a tenant (an organisation).
    tenant_ids = Emulator.company_ids
    default_tenant_id = Emulator.default_company_id

    def tenant(self, tenant_id: str | None = None) -> TenantState:
        return self.tenants[(tenant_id or self.default_tenant_id).lower()]

    # ------------------------------------------------------------------------------------------ identity
    def issue_tokens(
        self,
        tenant_ids: Sequence[str] | None = None,
        scopes: str | Sequence[str] | None = None,
        *,
        pkce: bool = False,
    ) -> dict[str, Any]:
        """Mint a token set and connections as if the user had consented (no browser flow).

        Returns the token response fields plus ``expires_at`` (aware datetime), ``tenant_ids`` and
        ``connections`` (the wire form of the user's connections).
        """
        chosen = [t.lower() for t in (tenant_ids if tenant_ids is not None else self.tenant_ids)]
        unknown = [t for t in chosen if t not in self.tenants]
        if unknown:
            raise KeyError(f"unknown tenant id(s): {unknown}")
        scope_list = (scopes or DEFAULT_SCOPE).split() if isinstance(scopes, str | None) else list(scopes)
        result = self.identity.grant(self.options.client_id, scope_list, chosen, pkce=pkce)
        access = self.identity.access_tokens.get(result["access_token"])
        assert access is not None
        result["expires_at"] = access.expires_at
        result["tenant_ids"] = chosen
        result["connections"] = [c.wire() for c in self.identity.connections_for(access)]
        return result

    def issue_tokens_for(self, company: str | None) -> dict[str, Any]:
        return self.issue_tokens([company] if company else None)

    # ``expire_access_tokens()``, ``revoke_all()`` (which also removes every connection) and
    # ``refresh_count`` come from the kit.

    @property
    def connections(self) -> list[dict[str, Any]]:
        return [c.wire() for c in self.identity.connections.values()]

    # ----------------------------------------------------------------------------------------------- data
    def records(self, entity: str, tenant_id: str | None = None, *, wire: bool = False) -> list[Record]:
        """Copies of the stored records of one entity (``Invoice``, ``Contact``, ``Payment``, ``Account``,
        ``Item``, ``TaxRate``, ``TrackingCategory``, ``Currency``), in insertion order.  Internal form
        (Decimal, date, datetime) unless ``wire=True``."""
        tenant = self.tenant(tenant_id)
        collection = tenant.collection(entity)
        if wire:
            return [entity_wire(tenant, entity, rec) for rec in collection.values()]
        return [
            {k: v for k, v in copy.deepcopy(rec).items() if not k.startswith("_")}
            for rec in collection.values()
        ]

    def record(self, entity: str, record_id: str, tenant_id: str | None = None) -> Record | None:
        rec = self.tenant(tenant_id).collection(entity).get(record_id.lower())
        return None if rec is None else {k: v for k, v in copy.deepcopy(rec).items() if not k.startswith("_")}

    @staticmethod
    def entities() -> list[str]:
        return list(COLLECTIONS)

    # ---------------------------------------------------------------------------------------------- limits
    # ``now``/``advance``, ``fail_next(count, status, target=...)`` and the request log come from the kit.
    def reset_limits(self) -> None:
        self.limiter.reset()

    # ------------------------------------------------------------------------------------------ webhooks
    def publish(self, events: Iterable[ChangeEvent]) -> None:
        for event in events:
            self.webhooks.enqueue(
                event.tenant_id, event.category, event.event_type, event.resource_id, dict(event.data) or None
            )

    @property
    def pending_webhook_events(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if not k.startswith("_")} for e in self.webhooks.pending]

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        return list(self.webhooks.deliveries)

    async def deliver_webhooks(self) -> list[int | None]:
        """POST queued webhook events now; the receiver's status per batch (None: unreachable)."""
        return await self.webhooks.deliver()

    async def send_intent_to_receive(self, correct_signature: bool = True) -> int:
        """Run Xero's intent-to-receive check once; returns the receiver's status code."""
        return await self.webhooks.send_intent_to_receive(correct_signature)

    async def verify_webhook_receiver(self) -> bool:
        """Xero's full subscription check: 200 for a correct signature and 401 for a wrong one."""
        good = await self.send_intent_to_receive(True)
        bad = await self.send_intent_to_receive(False)
        return good == 200 and bad == 401

    async def aclose(self) -> None:
        """Cancel background webhook deliveries."""
        await self.webhooks.aclose()
