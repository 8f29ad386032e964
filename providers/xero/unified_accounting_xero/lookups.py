"""What the provider reads about an organisation to check and write records: its currencies, tax
rates and tracking categories, each kept a short while per app and organisation.

They change rarely, and a check that runs on every write would otherwise cost a call per write
(Xero allows 60 a minute). Kept :data:`LOOKUP_TTL`, like the company's info (``Provider.company``);
the provider forgets an organisation's tracking categories and tax rates when it changes them
itself, and reads tracking categories again when a line names one it does not know. A change made
elsewhere shows within the TTL at worst; Xero still refuses what it cannot take.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from unified_accounting.provider import ProviderSession

from . import api

#: How long a lookup is kept before it is read again.
LOOKUP_TTL = timedelta(minutes=10)

T = TypeVar("T")
Key = tuple[str | None, str | None, str]


def key_of(session: ProviderSession) -> Key:
    return (session.settings.client_id, session.settings.base_url, session.company_id)


@dataclass
class Lookup(Generic[T]):
    """One kind of organisation data, read with ``read`` and kept :data:`LOOKUP_TTL`."""

    read: Callable[[ProviderSession], Awaitable[T]]
    _kept: dict[Key, tuple[datetime, T]] = field(default_factory=dict)

    async def get(self, session: ProviderSession, *, fresh: bool = False) -> T:
        key = key_of(session)
        now = datetime.now(UTC)
        kept = self._kept.get(key)
        if kept is not None and not fresh and now - kept[0] < LOOKUP_TTL:
            return kept[1]
        value = await self.read(session)
        self._kept[key] = (now, value)
        return value

    def forget(self, session: ProviderSession | None = None) -> None:
        """Drop what is kept for the session's organisation (every organisation: no session)."""
        if session is None:
            self._kept.clear()
        else:
            self._kept.pop(key_of(session), None)


async def _tax_rates(session: ProviderSession) -> list[dict[str, Any]]:
    return await api.fetch_all(session, "tax_rate")


async def _tracking(session: ProviderSession) -> list[dict[str, Any]]:
    return await api.fetch_all(session, "tracking_category")


class Lookups:
    """The organisation data one provider keeps."""

    def __init__(self) -> None:
        self.currencies: Lookup[list[str]] = Lookup(api.fetch_currencies)
        self.tax_rates: Lookup[list[dict[str, Any]]] = Lookup(_tax_rates)
        self.tracking: Lookup[list[dict[str, Any]]] = Lookup(_tracking)

    def forget(self, session: ProviderSession | None = None) -> None:
        for lookup in (self.currencies, self.tax_rates, self.tracking):
            lookup.forget(session)
