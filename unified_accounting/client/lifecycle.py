"""Ending connections: disconnect one company, or revoke a whole grant, then forget it locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from ..connections import ConnectionHealth, ConnectionKey, ConnectionRecord
from ..errors import ProviderError, ReauthorizationRequired, UnsupportedOperation

if TYPE_CHECKING:
    from .async_client import AsyncClient


async def disconnect_connection(
    client: AsyncClient, key: ConnectionKey, *, whole_grant: bool, force: bool
) -> bool:
    """Tell the provider, then remove the connection (and, for a whole grant, its siblings).

    Returns whether the provider confirmed. A grant the provider already forgot (``invalid_grant``,
    a 401) or a provider without revocation still leads to removal; any other failure is raised and
    nothing is removed, unless ``force``.
    """
    provider = client.provider(key.provider)
    settings = client.settings_for(key.provider)
    tokens = client._tokens
    record = await tokens.record(key)
    confirmed = False
    if record.health not in (ConnectionHealth.NEEDS_REAUTH, ConnectionHealth.REVOKED):
        try:
            # Some providers end access through an API call (Xero's DELETE /connections/{id}):
            # make sure the access token in hand is current first.
            await tokens.access_token(key, provider, settings)
            record = await tokens.record(key)
            if whole_grant:
                await provider.revoke(client._http, settings, record.tokens)
            else:
                await provider.disconnect(client._http, settings, record.tokens, record.metadata)
            confirmed = True
        except (UnsupportedOperation, ReauthorizationRequired):
            pass
        except (ProviderError, httpx.HTTPError):
            if not force:
                raise
    removed = [record]
    if whole_grant:
        removed = [
            other
            for other in await client.store.list(consumer_id=key.consumer_id, provider=key.provider)
            if other.tokens.refresh_token == record.tokens.refresh_token
            and other.tokens.access_token == record.tokens.access_token
        ] or [record]
    for gone in removed:
        await client.store.delete(gone.key)
        _announce(client, gone, confirmed)
    return confirmed


def _announce(client: AsyncClient, record: ConnectionRecord, confirmed: bool) -> None:
    hooks = client.plugin_manager.hook
    revoked = record.model_copy(update={"health": ConnectionHealth.REVOKED})
    if record.health is not ConnectionHealth.REVOKED:
        hooks.ua_connection_health_changed(
            connection=revoked, previous=record.health, current=ConnectionHealth.REVOKED
        )
    hooks.ua_connection_disconnected(connection=revoked, revoked_at_provider=confirmed)
