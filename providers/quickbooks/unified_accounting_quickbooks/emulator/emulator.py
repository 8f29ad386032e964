"""The control object of the emulator: companies, tokens, clock, faults, webhooks and the request log.

``create_emulator()`` builds one and exposes it as ``app.state.emulator``; tests of other components
use it to mint tokens without the browser flow, move time, inject failures and inspect what was
requested.
"""

from __future__ import annotations

import copy
import gc
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from .clock import EmulatorClock
from .entities import Change, Ledger
from .faults import FaultInjector
from .limits import RateLimiter
from .oauth import TokenStore
from .options import EmulatorOptions
from .query import QueryEngine
from .seed import seed_company
from .state import ENTITIES, RealmState
from .webhooks import Delivery, WebhookDispatcher

LOGGED_HEADERS = (
    "authorization",
    "accept",
    "content-type",
    "user-agent",
    "request-id",
    "x-include-refresh-token-hard-expires-in",
)


@dataclass
class RequestLogEntry:
    """One request as the emulator saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int | None
    intuit_tid: str
    time: datetime
    realm_id: str | None = None
    minorversion: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class QuickBooksEmulator:
    """A stateful QuickBooks Online company (or several) in memory."""

    def __init__(self, options: EmulatorOptions | None = None, **kwargs: Any) -> None:
        self.options = options or EmulatorOptions.from_kwargs(**kwargs)
        if options is not None and kwargs:
            raise TypeError("pass either an EmulatorOptions or keyword options, not both")
        self.options.validate()
        opts = self.options
        self.clock = EmulatorClock(opts.clock, opts.utc_offset)
        self.tokens = TokenStore(opts)
        self.limiter = RateLimiter(
            opts.limits,
            opts.requests_per_minute,
            opts.requests_per_second,
            opts.max_concurrent,
            opts.batch_per_minute,
        )
        self.faults = FaultInjector(opts.error_rate, opts.error_status, opts.fault_seed)
        self.webhooks = WebhookDispatcher(opts)
        self.query_engine = QueryEngine(
            self.clock.tz,
            fold=opts.query_case_insensitive,
            hide_inactive=opts.query_hides_inactive,
            overflow=opts.query_max_results_overflow,
        )
        self.request_log: deque[RequestLogEntry] = deque(maxlen=opts.request_log_limit)
        self.replayed = 0
        self.app: Any = None  # set by create_emulator
        self.realms: dict[str, RealmState] = {}
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
    @property
    def realm_ids(self) -> list[str]:
        return list(self.realms)

    @property
    def default_realm_id(self) -> str:
        return next(iter(self.realms))

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

    # ---------------------------------------------------------------- clock
    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, seconds: float) -> datetime:
        """Move the emulator clock forward (token expiry, throttle windows, timestamps)."""
        return self.clock.advance(seconds)

    # ---------------------------------------------------------------- tokens
    def issue_tokens(self, realm_id: str | None = None) -> dict[str, Any]:
        """Mint a valid token pair for a company without the browser flow.

        Returns the token-endpoint body (``access_token``, ``refresh_token``, ``expires_in``, ...)
        plus ``realm_id``.
        """
        return self.tokens.issue(self._realm(realm_id), self.clock.now())

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far expired."""
        return self.tokens.expire_access_tokens(self.clock.now())

    def expire_refresh_tokens(self) -> None:
        self.tokens.expire_refresh_tokens(self.clock.now())

    def revoke_all(self) -> None:
        """Revoke every grant (as if the user disconnected the app)."""
        self.tokens.revoke_all()

    @property
    def refresh_count(self) -> int:
        """Number of ``grant_type=refresh_token`` calls to the token endpoint (successful or not)."""
        return self.tokens.refresh_count

    @property
    def refresh_success_count(self) -> int:
        return self.tokens.refresh_success_count

    # ---------------------------------------------------------------- faults and limits
    def fail_next(
        self, count: int = 1, status: int = 500, timeout: bool = False, endpoint: str = "api"
    ) -> None:
        """Make the next ``count`` calls fail with ``status`` (429, 500, 502, 503, 504) or time out.

        ``endpoint="api"`` targets the Accounting API, ``"token"`` the OAuth token endpoint.
        """
        self.faults.fail_next(count, status, timeout, endpoint)

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

    # ---------------------------------------------------------------- helpers for tests
    def api_path(self, realm_id: str | None = None) -> str:
        return f"/v3/company/{self._realm(realm_id)}"

    def requests(self, path_contains: str = "", method: str | None = None) -> list[RequestLogEntry]:
        return [
            entry
            for entry in self.request_log
            if path_contains in entry.path and (method is None or entry.method == method.upper())
        ]

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
