"""Connections (one consumer's access to one provider company) and where they are kept.

``MemoryConnectionStore`` keeps them in-process; the durable, encrypted vault implements the same
:class:`ConnectionStore` protocol. The protocol's ``refresh_lock`` is what makes token refresh
single-flight: whoever holds it re-reads the record and refreshes only if nobody did meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, NamedTuple, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigurationError
from .models.common import UTCDateTime
from .tokens import TokenSet


class ConnectionKey(NamedTuple):
    consumer_id: str
    provider: str
    company_id: str

    def __str__(self) -> str:
        return f"{self.consumer_id}/{self.provider}/{self.company_id}"


class ConnectionHealth(StrEnum):
    """A connection's state. A refresh in progress is not a state: it is a lease on the grant's row
    (which expires if its holder dies; a stored state would not)."""

    OK = "ok"
    NEEDS_REAUTH = "needs_reauth"
    REVOKED = "revoked"
    ERROR = "error"


#: The ``metadata`` key of the ``base_url`` a connection was made through (an emulator, a proxy):
#: its tokens belong to that host, never to be sent to the provider's real one.
BASE_URL_METADATA = "base_url"


def host_setting(provider: str) -> str:
    """The variable that moves a provider's hosts: ``UA_QUICKBOOKS_BASE_URL``."""
    return f"UA_{provider.upper()}_BASE_URL"


def unreachable_hint(provider: str, url: str, base_url: str | None) -> str:
    """What to check when ``url`` cannot be reached: its host, and the setting it came from."""
    try:
        parsed = httpx.URL(url)
        host = parsed.netloc.decode() or url
        local = parsed.host in ("localhost", "127.0.0.1", "::1")
    except (httpx.InvalidURL, TypeError):
        host, local = url, False
    if base_url or local:
        origin = f" (base_url={base_url})" if base_url else ""
        return (
            f"{host} does not answer; it comes from {host_setting(provider)}{origin}: start what "
            f"serves it ('ua sandbox {provider}' for the emulator) or correct the setting"
        )
    return f"{host} does not answer: check this machine's network, DNS and proxy settings"


def check_host(record: ConnectionRecord, base_url: str | None) -> None:
    """Refuse to use a connection made through a ``base_url`` while none is set: its tokens would
    go to the provider's real hosts (and be refused there, or worse, refreshed into a failure)."""
    made_at = record.metadata.get(BASE_URL_METADATA)
    if made_at and not base_url:
        setting = host_setting(record.provider)
        raise ConfigurationError(
            f"consumer {record.consumer_id!r}'s {record.provider} connection (company "
            f"{record.company_id}) was made through {made_at}, and {setting} (base_url) is not set "
            f"now: set {setting}={made_at} (with 'ua sandbox {record.provider}' running, if it was a "
            "sandbox) or connect again"
        )


class ConnectionRecord(BaseModel):
    """Everything kept about one connection. ``tokens`` hold secrets and never show in a repr."""

    model_config = ConfigDict(frozen=True)

    consumer_id: str
    provider: str
    company_id: str
    company_name: str | None = None
    environment: Literal["sandbox", "production"] = "production"
    tokens: TokenSet = Field(repr=False)
    health: ConnectionHealth = ConnectionHealth.OK
    last_error: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: UTCDateTime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: UTCDateTime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def key(self) -> ConnectionKey:
        return ConnectionKey(self.consumer_id, self.provider, self.company_id)

    @property
    def reauthorize_by(self) -> datetime | None:
        return self.tokens.reauthorize_by


class ConnectionStore(Protocol):
    async def save(self, record: ConnectionRecord) -> None: ...

    async def get(self, key: ConnectionKey) -> ConnectionRecord | None: ...

    async def list(
        self, *, consumer_id: str | None = None, provider: str | None = None
    ) -> list[ConnectionRecord]: ...

    async def delete(self, key: ConnectionKey) -> None: ...

    def refresh_lock(self, key: ConnectionKey) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while one caller refreshes the connection's tokens; others wait, then re-read.

        The holder calls the provider's token endpoint inside the block: a durable store must not
        keep a database transaction or lock open for it (the vault holds a lease row instead).
        """
        ...


class MemoryConnectionStore:
    """Connections in a dict, for one process. Locks are per event loop (not shared across threads)."""

    def __init__(self) -> None:
        self._records: dict[ConnectionKey, ConnectionRecord] = {}
        self._locks: dict[ConnectionKey, asyncio.Lock] = {}

    async def save(self, record: ConnectionRecord) -> None:
        self._records[record.key] = record

    async def get(self, key: ConnectionKey) -> ConnectionRecord | None:
        return self._records.get(key)

    async def list(
        self, *, consumer_id: str | None = None, provider: str | None = None
    ) -> list[ConnectionRecord]:
        return [
            r
            for r in self._records.values()
            if (consumer_id is None or r.consumer_id == consumer_id)
            and (provider is None or r.provider == provider)
        ]

    async def delete(self, key: ConnectionKey) -> None:
        self._records.pop(key, None)

    @contextlib.asynccontextmanager
    async def refresh_lock(self, key: ConnectionKey) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield
