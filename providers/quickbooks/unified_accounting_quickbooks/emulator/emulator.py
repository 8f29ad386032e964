"""The control object of the emulator: companies, tokens, clock, faults, webhooks and the request log.

``create_emulator()`` builds one and exposes it as ``app.state.emulator``; tests of other components
use it to mint tokens without the browser flow, move time, inject failures and inspect what was
requested. The clock, fault injection and request log are the kit's
(:class:`unified_accounting.emulation.Emulator`).
"""

from __future__ import annotations

import copy
import gc
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx
from starlette.responses import Response

from unified_accounting.emulation import Emulator, Fault
from unified_accounting.types import Scope

from .attachments import Link
from .clock import QuickBooksClock
from .entities import Change, Ledger
from .faults import injected_api_response, injected_token_response
from .limits import RateLimiter
from .oauth import TokenStore
from .options import EmulatorOptions
from .query import QueryEngine
from .seed import seed_company
from .state import ENTITIES, RealmState
from .webhooks import Delivery, WebhookDispatcher

#: Request headers kept in the request log next to the kit's (credentials never are).
LOGGED_HEADERS = ("request-id", "x-include-refresh-token-hard-expires-in")
API_PREFIX = "/v3/company/"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"


class QuickBooksEmulator(Emulator):
    """A stateful QuickBooks Online company (or several) in memory."""

    fault_targets: ClassVar[Mapping[str, str]] = {"api": API_PREFIX, "token": TOKEN_PATH}
    fault_statuses: ClassVar[Collection[int] | None] = (429, 500, 502, 503, 504)
    clock: QuickBooksClock
    options: EmulatorOptions

    def __init__(self, options: EmulatorOptions | None = None, **kwargs: Any) -> None:
        if options is not None and kwargs:
            raise TypeError("pass either an EmulatorOptions or keyword options, not both")
        super().__init__(options or EmulatorOptions.from_kwargs(**kwargs))
        opts = self.options
        self.oauth: TokenStore = TokenStore(opts)
        self.limiter = RateLimiter(
            opts.limits,
            opts.requests_per_minute,
            opts.requests_per_second,
            opts.max_concurrent,
            opts.batch_per_minute,
        )
        self.webhooks = WebhookDispatcher(opts)
        self.query_engine = QueryEngine(
            self.clock.tz,
            fold=opts.query_case_insensitive,
            hide_inactive=opts.query_hides_inactive,
            overflow=opts.query_max_results_overflow,
        )
        self.replayed = 0
        #: Download links handed out (``GET /download/{id}``): token → the file they serve.
        self.download_links: dict[str, Link] = {}
        self.realms: dict[str, RealmState] = {}
        self.companies = self.realms
        self._ledgers: dict[str, Ledger] = {}
        now = self.clock.now()
        # Seeding allocates millions of small containers: pause the cyclic GC meanwhile (it would
        # otherwise rescan the growing heap again and again), then freeze the result so later
        # collections skip it.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._seed(now)
        finally:
            if gc_was_enabled:
                gc.enable()
        if opts.gc_freeze and opts.seed is not None and opts.invoices >= 10000:
            gc.freeze()

    def make_clock(self) -> QuickBooksClock:
        o = self.options
        assert isinstance(o, EmulatorOptions)
        return QuickBooksClock(o.clock, utc_offset=o.utc_offset, start=o.start_time, sleep=o.sleep)

    def fault_response(self, fault: Fault, scope: Scope) -> Response:
        if fault.prefix == TOKEN_PATH:
            return injected_token_response(fault)
        return injected_api_response(fault, self.clock.qbo_ms(self.clock.now()), self.options.retry_after_s)

    def _seed(self, now: datetime) -> None:
        opts = self.options
        for index, realm_id in enumerate(opts.realm_ids()):
            realm = RealmState(realm_id)
            self.realms[realm_id] = realm
            ledger = Ledger(realm, opts, self.clock, self._on_change)
            self._ledgers[realm_id] = ledger
            ledger.on_change = None  # seeding emits no webhooks
            seed_company(ledger, opts, index, now)
            ledger.on_change = self._on_change

    # ---------------------------------------------------------------- companies and records
    # QuickBooks calls a company a realm.
    realm_ids = Emulator.company_ids
    default_realm_id = Emulator.default_company_id

    def _realm(self, realm_id: str | None) -> str:
        realm = realm_id or self.default_realm_id
        if realm not in self.realms:
            raise KeyError(f"unknown company {realm}")
        return realm

    def ledger(self, realm_id: str | None = None) -> Ledger:
        return self._ledgers[self._realm(realm_id)]

    def records(self, entity: str, realm_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of every stored ``entity`` record of a company, in id order."""
        if entity not in ENTITIES:
            raise KeyError(f"unknown entity {entity}")
        return [copy.deepcopy(record.data) for record in self.realms[self._realm(realm_id)].table(entity)]

    def record(self, entity: str, record_id: str, realm_id: str | None = None) -> dict[str, Any] | None:
        found = self.realms[self._realm(realm_id)].table(entity).get(str(record_id))
        return copy.deepcopy(found.data) if found is not None else None

    def count(self, entity: str, realm_id: str | None = None) -> int:
        return len(self.realms[self._realm(realm_id)].table(entity))

    def create(self, entity: str, body: dict[str, Any], realm_id: str | None = None) -> dict[str, Any]:
        """Create a record from Python, with the same rules (and webhooks) as the API."""
        return copy.deepcopy(self.ledger(realm_id).create(entity, copy.deepcopy(body)).data)

    def update(self, entity: str, body: dict[str, Any], realm_id: str | None = None) -> dict[str, Any]:
        return copy.deepcopy(self.ledger(realm_id).update(entity, copy.deepcopy(body)).data)

    # ---------------------------------------------------------------- tokens
    def issue_tokens(self, realm_id: str | None = None) -> dict[str, Any]:
        """Mint a valid token pair for a company without the browser flow.

        Returns the token-endpoint body (``access_token``, ``refresh_token``, ``expires_in``, ...)
        plus ``realm_id``.
        """
        return self.oauth.issue(self._realm(realm_id), self.clock.now())

    def issue_tokens_for(self, company: str | None) -> dict[str, Any]:
        return self.issue_tokens(company)

    @property
    def tokens(self) -> TokenStore:
        """The OAuth state (``oauth``, under the name it had before the emulator kit)."""
        return self.oauth

    # ``expire_access_tokens()``, ``revoke_all()`` and ``refresh_count`` come from the kit.
    def expire_refresh_tokens(self) -> None:
        self.oauth.expire_refresh_tokens(self.clock.now())

    @property
    def refresh_success_count(self) -> int:
        return self.oauth.refresh_success_count

    # ---------------------------------------------------------------- limits
    # ``fail_next(count, status, target=...)`` comes from the kit: ``target="api"`` (the default)
    # aims at the Accounting API, ``"token"`` at the OAuth token endpoint; statuses 429, 5xx.
    def reset_limits(self) -> None:
        self.limiter.reset()

    # ---------------------------------------------------------------- webhooks
    def _on_change(self, change: Change) -> None:
        self.webhooks.enqueue(change)

    async def deliver_webhooks(self) -> list[Delivery]:
        """Post every pending webhook event now."""
        return await self.webhooks.deliver()

    @property
    def pending_webhooks(self) -> list[Change]:
        return list(self.webhooks.pending)

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        return list(self.webhooks.deliveries)

    async def aclose(self) -> None:
        await self.webhooks.aclose()

    def state_summary(self) -> dict[str, Any]:
        return {
            **super().state_summary(),
            "refresh_count": self.refresh_count,
            "realms": {
                realm_id: {name: len(table) for name, table in realm.tables.items()}
                for realm_id, realm in self.realms.items()
            },
        }

    # ---------------------------------------------------------------- helpers for tests
    def api_path(self, realm_id: str | None = None) -> str:
        return f"/v3/company/{self._realm(realm_id)}"

    def http_client(
        self,
        app: Any = None,
        *,
        base_url: str = "http://qbo.test",
        realm_id: str | None = None,
        authorize: bool = True,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` talking to the app in process, with a fresh bearer token."""
        app = app if app is not None else self.app
        if app is None:
            raise RuntimeError("no app: build the emulator with create_emulator() or pass app=")
        headers = dict(kwargs.pop("headers", {}) or {})
        headers.setdefault("Accept", "application/json")
        if authorize:
            headers.setdefault("Authorization", f"Bearer {self.issue_tokens(realm_id)['access_token']}")
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, headers=headers, **kwargs
        )
