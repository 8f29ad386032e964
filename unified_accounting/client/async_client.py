"""``AsyncClient``: the source of truth of the client API. ``Client`` is derived from it."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal

import httpx
import pluggy
from pydantic import SecretStr

from ..changes import RecordChange
from ..connections import (
    BASE_URL_METADATA,
    ConnectionHealth,
    ConnectionKey,
    ConnectionRecord,
    ConnectionStore,
    MemoryConnectionStore,
)
from ..errors import ConfigurationError
from ..http.retry import RetryPolicy
from ..models import RecordMeta
from ..models.common import to_utc
from ..plugins import ProviderRegistry, default_registry, get_plugin_manager
from ..provider import Provider, ProviderSettings
from ..ratelimits import Limiter, Unlimited, limiting_flow, process_limiter
from ..settings import resolve_settings
from ..shared_limits import DEFAULT_HOLD, SharedLimiter
from ..storage.database import Database
from ..tokens import TokenSet
from ..vault import MemoryStateStore, StateStore, VaultStore, open_vault
from ..vault.authorize import callback_parameters, claim_callback, finish_authorization, start_authorization
from ._accessors import M, ResourceAccessors
from .attachments import AsyncAttachments
from .lifecycle import disconnect_connection
from .raw import RawResponse, send_raw
from .reports import AsyncReports
from .resources import AsyncResource, AsyncSingleton
from .session import HttpSession
from .tokens import TokenKeeper


class AsyncConnection(ResourceAccessors):
    """One consumer's access to one company at one provider; resources hang off it.

    Every unified resource has a typed accessor (``conn.invoices``, ``conn.customers``, ...),
    generated from the resource catalog (:mod:`unified_accounting.catalog`).
    """

    key: ConnectionKey
    consumer_id: str
    company_id: str
    provider: Provider

    def __init__(self, client: AsyncClient, key: ConnectionKey) -> None:
        self._client = client
        self.key = key
        self.consumer_id = key.consumer_id
        self.company_id = key.company_id
        self.provider = client.provider(key.provider)

    def __repr__(self) -> str:
        return f"<Connection {self.key}>"

    def _typed_resource(self, name: str, model: type[M]) -> AsyncResource[M]:
        return AsyncResource(self, name, model)

    def _typed_singleton(self, name: str, model: type[M]) -> AsyncSingleton[M]:
        return AsyncSingleton(self, name, model)

    def resource(self, name: str, model: type[RecordMeta] | None = None) -> AsyncResource[Any]:
        """A resource by name: a unified one (``"invoice"``), or one of the provider's own
        (QuickBooks' ``"item"`` and ``"account"``), with the model the provider declares for it
        unless ``model`` is given."""
        if model is None:
            model = self.provider.model_for(name)
        return AsyncResource(self, name, model)

    @functools.cached_property
    def reports(self) -> AsyncReports:
        """The provider's financial reports: ``await conn.reports.profit_and_loss(start, end)``."""
        return AsyncReports(self)

    @functools.cached_property
    def attachments(self) -> AsyncAttachments:
        """Files attached to records: ``await conn.attachments.upload("invoice", id, path)``."""
        return AsyncAttachments(self)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> RawResponse:
        """Call any endpoint of the provider's API, for what the unified API does not cover.

        ``path`` is relative to the company's API root (``"invoice/42"`` on QuickBooks,
        ``"Reports/BalanceSheet"`` on Xero) and is refused before any HTTP call if it could leave
        it (``..``, an absolute URL, ``?``: put query parameters in ``params``). The call uses the
        connection's tokens (refreshed as needed), rate limits and retries; a write carries the
        provider's idempotency key and is re-sent only with it. An error answer raises the mapped
        error unless ``raise_for_status=False``. Returns the status, headers and body as sent.
        """
        return await send_raw(
            self.provider,
            self.session(),
            method,
            path,
            params=params,
            json=json,
            content=content,
            headers=headers,
            raise_for_status=raise_for_status,
        )

    async def record(self) -> ConnectionRecord:
        """The stored connection: health, company name, token expiry, ``reauthorize_by``."""
        return await self._client._tokens.record(self.key)

    async def ensure_fresh(self, valid_for: timedelta = timedelta(minutes=30)) -> ConnectionRecord:
        """Refresh now unless the access token stays valid for ``valid_for``: call it before a long job.

        Raises ``ReauthorizationRequired`` when the user must connect again. Returns the record.
        """
        client = self._client
        await client._tokens.access_token(
            self.key, self.provider, client.settings_for(self.key.provider), valid_for=valid_for
        )
        return await self.record()

    def session(
        self,
        include_raw: bool | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        rate_limit_patience: timedelta | None = None,
    ) -> HttpSession:
        """The provider session this connection's calls go through (for provider-specific APIs).

        ``retry_policy`` replaces the client's. ``rate_limit_patience`` makes it a session for
        background work, which waits rate limits out for up to that long per request rather than
        fail after a few retries (see :meth:`RetryPolicy.background`)."""
        client = self._client
        policy = retry_policy or client.retry_policy
        if rate_limit_patience is not None:
            policy = policy.background(rate_limit_patience.total_seconds())
        return HttpSession(
            provider=self.provider,
            settings=client.settings_for(self.key.provider),
            key=self.key,
            include_raw=client.include_raw if include_raw is None else include_raw,
            http=client._http,
            tokens=client._tokens,
            retry_policy=policy,
            plugin_manager=client.plugin_manager,
            limiter=client.limiter,
        )

    def fire_change(self, change: RecordChange) -> None:
        self._client.plugin_manager.hook.ua_record_changed(change=change)


def _placeholder(value: str) -> bool:
    """Text that stands for a value in documentation ("...", "…", "<company id>") rather than one:
    no letter or digit at all, or angle brackets around it."""
    stripped = value.strip()
    return not any(ch.isalnum() for ch in stripped) or (stripped.startswith("<") and stripped.endswith(">"))


class AsyncClient:
    """One accounting API over every installed provider.

    ``transport`` takes any ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app=emulator)``,
    ``httpx.MockTransport``) so tests and emulators plug in below the provider code.

    Connections are kept in the vault (:mod:`unified_accounting.vault`): ``database_url`` (else
    ``UA_DATABASE_URL``, else a SQLite file in the user's data directory, or in ``UA_DATA_DIR``),
    with tokens encrypted by ``secret_key`` (else ``UA_SECRET_KEY``, else — embedded SQLite only — a
    key file created beside the database). ``store=`` replaces the vault with any
    ``ConnectionStore``, such as ``MemoryConnectionStore()`` for tests.

    ``rate_limits`` chooses where requests wait for room in the providers' limits (else
    ``UA_RATE_LIMITS``): ``"shared"`` — the default with a vault — keeps the windows in the vault's
    database, so every process using it stays under a company's limits together; ``"process"`` —
    the default with another ``store`` — shares them with this process's other clients only;
    ``"off"`` never waits (for an emulator started without limits, and tests). A
    :class:`~unified_accounting.ratelimits.Limiter` object is used as it is.

    ``environ`` replaces ``os.environ`` as the source of ``UA_*`` settings, for hermetic tests. Such
    a client never opens the user's embedded vault: unless ``database_url`` or ``UA_DATABASE_URL``
    / ``UA_DATA_DIR`` in ``environ`` name a database, it keeps connections in memory.
    """

    database_url: str | None
    secret_key: SecretStr | None
    include_raw: bool
    retry_policy: RetryPolicy
    registry: ProviderRegistry
    plugin_manager: pluggy.PluginManager
    store: ConnectionStore
    #: Where OAuth states wait for their callback: the vault itself, else process memory.
    states: StateStore
    #: Where every session's requests wait for room in their provider's limits (``rate_limits``).
    limiter: Limiter

    def __init__(
        self,
        *,
        database_url: str | None = None,
        secret_key: str | None = None,
        providers: Mapping[str, Mapping[str, Any] | ProviderSettings] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        include_raw: bool = False,
        timeout: float = 30.0,
        refresh_lead_time: timedelta = timedelta(minutes=5),
        plugins: tuple[object, ...] = (),
        store: ConnectionStore | None = None,
        environ: Mapping[str, str] | None = None,
        rate_limits: Literal["process", "shared", "off"] | Limiter | None = None,
    ) -> None:
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be 0 or more, got {max_retries}")
        self._environ = os.environ if environ is None else environ
        self.database_url = database_url or self._environ.get("UA_DATABASE_URL") or None
        key = secret_key or self._environ.get("UA_SECRET_KEY")
        self.secret_key = SecretStr(key) if key else None
        self.include_raw = include_raw
        self.retry_policy = RetryPolicy(max_retries=max_retries, max_wait=max_retry_wait)
        self.registry = (
            ProviderRegistry(get_plugin_manager(plugins=plugins)) if plugins else default_registry()
        )
        self.plugin_manager = self.registry.plugin_manager
        self._settings: dict[str, ProviderSettings] = {}
        for name, given in (providers or {}).items():
            self._settings[name] = resolve_settings(self.registry.get(name), given, self._environ)
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._owns_store = store is None
        self.store = store or self._default_store(environ)
        self.states = self.store if isinstance(self.store, StateStore) else MemoryStateStore()
        self._tokens = TokenKeeper(self.store, self._http, self.plugin_manager, lead_time=refresh_lead_time)
        self.limiter = self._choose_limiter(rate_limits, timeout)
        self._owns_limiter = not isinstance(rate_limits, SharedLimiter)

    def _default_store(self, environ: Mapping[str, str] | None) -> ConnectionStore:
        hermetic = environ is not None and not (self.database_url or environ.get("UA_DATA_DIR"))
        if hermetic:
            # A client given its own environment is isolated from this machine's configuration:
            # with no database named in it, it must not open the user's embedded vault either.
            return MemoryConnectionStore()
        return open_vault(
            self.database_url,
            self.secret_key.get_secret_value() if self.secret_key else None,
            environ=self._environ,
        )

    def _choose_limiter(self, rate_limits: str | Limiter | None, timeout: float) -> Limiter:
        chosen = rate_limits if rate_limits is not None else self._environ.get("UA_RATE_LIMITS") or None
        if chosen is None:
            chosen = "shared" if isinstance(self.store, VaultStore) else "process"
        if not isinstance(chosen, str):
            return chosen
        if chosen == "process":
            return process_limiter()
        if chosen == "off":
            return Unlimited()
        if chosen != "shared":
            source = "rate_limits" if rate_limits is not None else "UA_RATE_LIMITS"
            raise ConfigurationError(f"{source} must be 'process', 'shared' or 'off', got {chosen!r}")
        if not isinstance(self.store, VaultStore):
            raise ConfigurationError(
                "rate_limits='shared' keeps the windows in the vault's database: create the client with "
                f"database_url= (or UA_DATABASE_URL), not with store={type(self.store).__name__}(), "
                "or choose rate_limits='process'"
            )
        # A request holds its room until answered; its hold outlives the slowest attempt.
        return SharedLimiter(self.database, hold=max(DEFAULT_HOLD, timedelta(seconds=4 * timeout)))

    # --------------------------------------------------------------------------------- providers

    def provider(self, name: str) -> Provider:
        return self.registry.get(name)

    def settings_for(self, name: str) -> ProviderSettings:
        """The provider's settings: as given to the client, else from ``UA_<NAME>_*`` variables."""
        if name not in self._settings:
            self._settings[name] = resolve_settings(self.provider(name), None, self._environ)
        return self._settings[name]

    # ------------------------------------------------------------------------------- connections

    async def import_connection(
        self,
        *,
        consumer_id: str,
        provider: str,
        company_id: str,
        access_token: str,
        refresh_token: str | None = None,
        expires_at: datetime | None = None,
        refresh_token_expires_at: datetime | None = None,
        environment: Literal["sandbox", "production"] | None = None,
        company_name: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> AsyncConnection:
        """Store tokens obtained elsewhere (a migration, a test) as a connection, and return it."""
        for name, value in (
            ("consumer_id", consumer_id),
            ("company_id", company_id),
            ("access_token", access_token),
        ):
            if not value:
                raise ConfigurationError(f"{name} must not be empty; nothing was stored")
            if _placeholder(value):
                raise ConfigurationError(
                    f"{name} {value!r} is a placeholder, not a value: pass the real one (against an "
                    f"emulator, 'ua connect {provider} --consumer {consumer_id}' stores a connection "
                    "without copying tokens); nothing was stored"
                )
        settings = self.settings_for(provider)
        try:
            tokens = TokenSet(
                access_token=SecretStr(access_token),
                refresh_token=SecretStr(refresh_token) if refresh_token else None,
                expires_at=to_utc(expires_at) if expires_at else None,
                refresh_token_expires_at=to_utc(refresh_token_expires_at)
                if refresh_token_expires_at
                else None,
                scopes=scopes,
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid token expiry: {exc}") from None
        record = ConnectionRecord(
            consumer_id=consumer_id,
            provider=provider,
            company_id=company_id,
            company_name=company_name,
            environment=environment or settings.environment,
            tokens=tokens,
            metadata={BASE_URL_METADATA: settings.base_url} if settings.base_url else {},
        )
        await self.store.save(record)
        return AsyncConnection(self, record.key)

    async def connection(
        self, *, consumer_id: str, provider: str, company_id: str | None = None
    ) -> AsyncConnection:
        """The consumer's connection to ``provider``; ``company_id`` may be left out when there is one."""
        self.provider(provider)  # unknown provider → ConfigurationError naming the installed ones
        if company_id is not None:
            key = ConnectionKey(consumer_id, provider, company_id)
            if await self.store.get(key) is None:
                raise ConfigurationError(
                    f"consumer {consumer_id!r} has no connection to {provider!r} company {company_id!r}"
                )
            return AsyncConnection(self, key)
        records = await self.store.list(consumer_id=consumer_id, provider=provider)
        if not records:
            raise ConfigurationError(
                f"consumer {consumer_id!r} has no connection to {provider!r}: connect one first "
                "(or import tokens with import_connection)"
            )
        if len(records) > 1:
            companies = ", ".join(sorted(r.company_id for r in records))
            raise ConfigurationError(
                f"consumer {consumer_id!r} has several {provider!r} connections ({companies}): "
                "pass company_id="
            )
        return AsyncConnection(self, records[0].key)

    async def connections(
        self, *, consumer_id: str | None = None, provider: str | None = None
    ) -> list[ConnectionRecord]:
        return await self.store.list(consumer_id=consumer_id, provider=provider)

    async def check_expiring(
        self, *, within: timedelta = timedelta(days=14), consumer_id: str | None = None
    ) -> list[ConnectionRecord]:
        """Connections whose ``reauthorize_by`` falls within ``within`` from now, soonest first.

        Fires ``ua_connection_expiring`` for each; call it periodically (daily) to warn users some
        days before they must consent again. Connections already ``needs_reauth`` or ``revoked``
        are left out.
        """
        deadline = datetime.now(UTC) + within
        expiring = [
            record
            for record in await self.store.list(consumer_id=consumer_id)
            if record.reauthorize_by is not None
            and record.reauthorize_by <= deadline
            and record.health not in (ConnectionHealth.NEEDS_REAUTH, ConnectionHealth.REVOKED)
        ]
        expiring.sort(key=lambda record: record.reauthorize_by or deadline)
        for record in expiring:
            assert record.reauthorize_by is not None
            self.plugin_manager.hook.ua_connection_expiring(
                connection=record, reauthorize_by=record.reauthorize_by
            )
        return expiring

    # ------------------------------------------------------------------------------ authorization

    async def authorization_url(
        self,
        *,
        consumer_id: str,
        provider: str,
        redirect_uri: str,
        scopes: Sequence[str] | None = None,
    ) -> str:
        """The provider's consent URL for ``consumer_id``; send the user's browser there.

        A single-use ``state`` (valid 10 minutes, bound to this consumer and provider) and, where the
        provider supports it, a PKCE verifier are stored first. ``redirect_uri`` must be registered
        with the provider and be https (plain http only on localhost). After consent the provider
        redirects to it: pass the full URL it was called with to :meth:`complete_authorization`.
        """
        return await start_authorization(
            provider=self.provider(provider),
            settings=self.settings_for(provider),
            states=self.states,
            consumer_id=consumer_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
        )

    async def complete_authorization(
        self, *, callback_url: str, provider: str | None = None, consumer_id: str | None = None
    ) -> list[AsyncConnection]:
        """Finish a consent from the redirect the provider sent back; return the new connection(s).

        ``callback_url`` is the full URL (or its query string) the redirect URI was called with.
        The ``state`` in it must be one :meth:`authorization_url` issued, unused and under 10 minutes
        old, for ``provider`` and — when given — for ``consumer_id`` (pass the signed-in user, so a
        link started by someone else cannot attach a company to them); otherwise ``InvalidState`` is
        raised and no code is exchanged. One connection is stored per company granted (Xero can
        grant several organisations at once); connecting an existing company again replaces its
        tokens. ``AuthorizationDenied`` means the user declined at the provider.
        """
        if provider is not None:
            self.provider(provider)
        params = callback_parameters(callback_url)
        pending = await claim_callback(
            states=self.states, params=params, provider=provider, consumer_id=consumer_id
        )
        with limiting_flow(self.limiter):  # the new token's first calls spend the company's budget
            stored = await finish_authorization(
                provider=self.provider(pending.provider),
                settings=self.settings_for(pending.provider),
                http=self._http,
                store=self.store,
                pending=pending,
                params=params,
            )
        hooks = self.plugin_manager.hook
        for record, previous in stored:
            if previous is not None and previous.health is not record.health:
                hooks.ua_connection_health_changed(
                    connection=record, previous=previous.health, current=record.health
                )
            hooks.ua_connection_established(connection=record, reconnected=previous is not None)
        return [AsyncConnection(self, record.key) for record, _ in stored]

    async def disconnect(
        self, *, consumer_id: str, provider: str, company_id: str | None = None, force: bool = False
    ) -> bool:
        """End this consumer's access to one company and forget the connection.

        The provider is told first (Xero removes the tenant connection; QuickBooks and others revoke
        the grant). Returns whether the provider confirmed; a grant already gone, or a provider
        without revocation, still removes the connection here. If the provider cannot be reached the
        error is raised and the connection kept, unless ``force=True``.
        """
        connection = await self.connection(consumer_id=consumer_id, provider=provider, company_id=company_id)
        return await disconnect_connection(self, connection.key, whole_grant=False, force=force)

    async def revoke(
        self, *, consumer_id: str, provider: str, company_id: str | None = None, force: bool = False
    ) -> bool:
        """Revoke the whole grant behind a connection, and forget every connection it covered.

        For Xero one consent may cover several organisations: all of them end. Returns whether the
        provider confirmed (see :meth:`disconnect` for ``force``).
        """
        connection = await self.connection(consumer_id=consumer_id, provider=provider, company_id=company_id)
        return await disconnect_connection(self, connection.key, whole_grant=True, force=force)

    # ---------------------------------------------------------------------------------- database

    async def database(self) -> Database:
        """The database of the client's vault, where the mirror, the sync state and the webhook inbox
        live beside the connections (opened and migrated on first use). Async only: it is what the
        sync engine, the webhook processor and the connect page work on."""
        if not isinstance(self.store, VaultStore):
            raise ConfigurationError(
                "the mirror, sync and webhook inbox live in the vault's database: create the client "
                f"with database_url= (or UA_DATABASE_URL), not with store={type(self.store).__name__}()"
            )
        return await self.store.start()

    # --------------------------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        if isinstance(self.limiter, SharedLimiter) and self._owns_limiter:
            await self.limiter.aclose()
        await self._http.aclose()
        close = getattr(self.store, "close", None)
        if self._owns_store and close is not None:
            await close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
