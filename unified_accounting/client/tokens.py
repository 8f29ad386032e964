"""Keeping a connection's access token valid: proactive refresh, single-flight, and ``invalid_grant``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pluggy

from ..connections import ConnectionHealth, ConnectionKey, ConnectionRecord, ConnectionStore
from ..errors import ConfigurationError, ProviderError, ReauthorizationRequired
from ..provider import Provider, ProviderSettings


class TokenKeeper:
    """Hands out a usable access token for a connection, refreshing it at most once at a time."""

    def __init__(
        self,
        store: ConnectionStore,
        http: httpx.AsyncClient,
        plugin_manager: pluggy.PluginManager,
        *,
        lead_time: timedelta,
    ) -> None:
        self._store = store
        self._http = http
        self._hooks = plugin_manager.hook
        self.lead_time = lead_time

    async def record(self, key: ConnectionKey) -> ConnectionRecord:
        record = await self._store.get(key)
        if record is None:
            raise ConfigurationError(f"connection {key} no longer exists (it was disconnected)")
        return record

    async def access_token(
        self,
        key: ConnectionKey,
        provider: Provider,
        settings: ProviderSettings,
        *,
        rejected_token: str | None = None,
        valid_for: timedelta | None = None,
    ) -> str:
        """A token to send now. ``rejected_token`` is one the API just refused (401): replace it.

        ``valid_for`` asks for a token that stays valid that long (before a long job); the default
        is the client's refresh lead time.
        """
        lead_time = self.lead_time if valid_for is None else max(valid_for, self.lead_time)
        record = await self.record(key)
        self._raise_if_unusable(record)
        if not self._needs_refresh(record, rejected_token, lead_time):
            return record.tokens.access_token.get_secret_value()
        async with self._store.refresh_lock(key):
            # Whoever held the lock before us may have refreshed already: re-read, then decide.
            record = await self.record(key)
            self._raise_if_unusable(record)
            if not self._needs_refresh(record, rejected_token, lead_time):
                return record.tokens.access_token.get_secret_value()
            try:
                tokens = await provider.refresh(self._http, settings, record.tokens)
            except ReauthorizationRequired as exc:
                # Terminal: no further refresh is attempted until the user connects again.
                await self.set_health(record, ConnectionHealth.NEEDS_REAUTH, str(exc))
                raise
            except ProviderError as exc:
                # Transient (provider down, refused client): visible as ``error``; later calls retry.
                await self.set_health(record, ConnectionHealth.ERROR, str(exc))
                raise
            # Persist the rotated refresh token before the new access token is used anywhere:
            # losing it would strand the connection at the next refresh.
            refreshed = record.model_copy(
                update={"tokens": tokens, "updated_at": datetime.now(UTC), "health": ConnectionHealth.OK}
            )
            await self._store.save(refreshed)
            if record.health is not ConnectionHealth.OK:
                self._hooks.ua_connection_health_changed(
                    connection=refreshed, previous=record.health, current=ConnectionHealth.OK
                )
            return tokens.access_token.get_secret_value()

    @staticmethod
    def _needs_refresh(record: ConnectionRecord, rejected_token: str | None, lead_time: timedelta) -> bool:
        current = record.tokens.access_token.get_secret_value()
        if rejected_token is not None:
            return current == rejected_token
        return record.tokens.expires_within(lead_time)

    @staticmethod
    def _raise_if_unusable(record: ConnectionRecord) -> None:
        if record.health in (ConnectionHealth.NEEDS_REAUTH, ConnectionHealth.REVOKED):
            raise ReauthorizationRequired(
                f"connection {record.key} is {record.health.value}: the user must connect again"
                + (f" (last error: {record.last_error})" if record.last_error else ""),
                provider=record.provider,
            )

    async def set_health(self, record: ConnectionRecord, health: ConnectionHealth, error: str | None) -> None:
        updated = record.model_copy(
            update={"health": health, "last_error": error, "updated_at": datetime.now(UTC)}
        )
        await self._store.save(updated)
        if record.health is not health:
            self._hooks.ua_connection_health_changed(
                connection=updated, previous=record.health, current=health
            )
