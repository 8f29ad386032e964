"""``AsyncClient``: the source of truth of the client API. ``Client`` is derived from it."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Literal

import httpx
import pluggy
from pydantic import SecretStr

from ..changes import RecordChange
from ..connections import ConnectionKey, ConnectionRecord, ConnectionStore, MemoryConnectionStore
from ..errors import ConfigurationError
from ..http.retry import RetryPolicy
from ..models import Customer, Invoice, Payment, RecordMeta
from ..models.common import to_utc
from ..plugins import ProviderRegistry, default_registry, get_plugin_manager
from ..provider import Provider, ProviderSettings
from ..settings import resolve_settings
from ..tokens import TokenSet
from .resources import AsyncResource
from .session import HttpSession
from .tokens import TokenKeeper


class AsyncConnection:
    """One consumer's access to one company at one provider; resources hang off it."""

    def __init__(self, client: AsyncClient, key: ConnectionKey) -> None:
        self._client = client
        self.key = key
        self.consumer_id = key.consumer_id
        self.company_id = key.company_id
        self.provider: Provider = client.provider(key.provider)

    def __repr__(self) -> str:
        return f"<Connection {self.key}>"

    @functools.cached_property
    def invoices(self) -> AsyncResource[Invoice]:
        return AsyncResource(self, "invoice", Invoice)

    @functools.cached_property
    def customers(self) -> AsyncResource[Customer]:
        return AsyncResource(self, "customer", Customer)

    @functools.cached_property
    def payments(self) -> AsyncResource[Payment]:
        return AsyncResource(self, "payment", Payment)

    def resource(self, name: str, model: type[RecordMeta]) -> AsyncResource[Any]:
        """Any other resource the provider offers (for example ``"item"`` or ``"account"``)."""
        return AsyncResource(self, name, model)

    async def record(self) -> ConnectionRecord:
        """The stored connection: health, company name, token expiry, ``reauthorize_by``."""
        return await self._client._tokens.record(self.key)

    def session(self, include_raw: bool | None = None) -> HttpSession:
        """The provider session this connection's calls go through (for provider-specific APIs)."""
        client = self._client
        return HttpSession(
            provider=self.provider,
            settings=client.settings_for(self.key.provider),
            key=self.key,
            include_raw=client.include_raw if include_raw is None else include_raw,
            http=client._http,
            tokens=client._tokens,
            retry_policy=client.retry_policy,
            plugin_manager=client.plugin_manager,
        )

    def fire_change(self, change: RecordChange) -> None:
        self._client.plugin_manager.hook.ua_record_changed(change=change)


class AsyncClient:
    """One accounting API over every installed provider.

    ``transport`` takes any ``httpx.AsyncBaseTransport`` (``httpx.ASGITransport(app=emulator)``,
    ``httpx.MockTransport``) so tests and emulators plug in below the provider code.
    """

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
        self.plugin_manager: pluggy.PluginManager = self.registry.plugin_manager
        self._settings: dict[str, ProviderSettings] = {}
        for name, given in (providers or {}).items():
            self._settings[name] = resolve_settings(self.registry.get(name), given, self._environ)
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self.store: ConnectionStore = store or MemoryConnectionStore()
        self._tokens = TokenKeeper(self.store, self._http, self.plugin_manager, lead_time=refresh_lead_time)

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
                raise ConfigurationError(f"{name} must not be empty")
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

    # --------------------------------------------------------------------------------- lifecycle

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
