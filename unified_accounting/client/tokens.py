"""Keeping a connection's access token valid: proactive refresh, single-flight, and ``invalid_grant``.

The dangerous moment of a refresh is between the provider's answer and the commit of the rotated
refresh token: a provider without a grace period has already retired the old one. That moment is
kept as short as it can be: the refresh runs in a task of its own, so a caller cancelled while the
provider answers does not abandon the answer, and the new tokens are committed straight away, in
one short transaction, before any hook or other product code runs. A crash of the process inside
that moment can still lose them (see docs/vault.md, "Persist before use").
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pluggy

from ..connections import ConnectionHealth, ConnectionKey, ConnectionRecord, ConnectionStore, check_host
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
        check_host(record, settings.base_url)
        if not self._needs_refresh(record, rejected_token, lead_time):
            return record.tokens.access_token.get_secret_value()
        # Shielded: once the request is sent the provider may rotate the refresh token, so the
        # refresh goes on to store the answer even when this caller is cancelled meanwhile.
        refresh = asyncio.ensure_future(self._refresh(key, provider, settings, rejected_token, lead_time))
        refresh.add_done_callback(_observe)
        return await asyncio.shield(refresh)

    async def _refresh(
        self,
        key: ConnectionKey,
        provider: Provider,
        settings: ProviderSettings,
        rejected_token: str | None,
        lead_time: timedelta,
    ) -> str:
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
            # Commit the rotated refresh token before anything else: no hook, no other statement
            # runs in between (the vault releases the refresh lease in the same write).
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


def _observe(task: asyncio.Future[str]) -> None:
    """Retrieve the outcome of a refresh whose caller may have gone (cancelled): it was reported
    to the callers still waiting, and is in the connection's health."""
    if not task.cancelled():
        task.exception()
