"""OAuth ``state`` records: single use, short-lived, bound to one consumer and one provider.

The state travels through the user's browser and the provider; the vault keeps only its SHA-256,
together with the PKCE verifier (encrypted) and the redirect URI the exchange must repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from ..errors import UnifiedAccountingError

#: How long a user has between "Connect" and the provider's redirect back.
STATE_LIFETIME = timedelta(minutes=10)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class StateProblem(StrEnum):
    MISSING = "missing"
    UNKNOWN = "unknown"
    REPLAYED = "replayed"
    EXPIRED = "expired"
    WRONG_PROVIDER = "wrong_provider"
    WRONG_CONSUMER = "wrong_consumer"


_EXPLANATIONS = {
    StateProblem.MISSING: "the provider's answer has no state parameter",
    StateProblem.UNKNOWN: "the state parameter was not issued by this application (forged or from another "
    "installation)",
    StateProblem.REPLAYED: "this authorization answer was already used once",
    StateProblem.EXPIRED: "the authorization took longer than 10 minutes",
    StateProblem.WRONG_PROVIDER: "the state was issued for another provider",
    StateProblem.WRONG_CONSUMER: "the authorization was started by another user",
}


class InvalidState(UnifiedAccountingError):
    """The callback's ``state`` is missing, forged, replayed, expired or not this consumer's.

    No code was exchanged. ``problem`` says which; start the connection again from the beginning.
    """

    def __init__(self, problem: StateProblem) -> None:
        self.problem = problem
        super().__init__(f"authorization refused: {_EXPLANATIONS[problem]}; start connecting again")


class AuthorizationDenied(UnifiedAccountingError):
    """The provider sent the user back with an error (``access_denied`` when they clicked Cancel)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        detail = f" ({description})" if description else ""
        super().__init__(f"the provider did not grant access: {error}{detail}")


@dataclass(frozen=True)
class PendingAuthorization:
    """A consumed state record: what the token exchange needs."""

    consumer_id: str
    provider: str
    redirect_uri: str
    scopes: tuple[str, ...] = ()
    code_verifier: str | None = field(default=None, repr=False)


def check_state(
    pending: PendingAuthorization,
    *,
    used_at: datetime | None,
    expires_at: datetime,
    now: datetime,
    provider: str | None,
    consumer_id: str | None,
) -> None:
    """Raise :class:`InvalidState` unless a found state record may be used now by this caller."""
    if used_at is not None:
        raise InvalidState(StateProblem.REPLAYED)
    if expires_at <= now:
        raise InvalidState(StateProblem.EXPIRED)
    if provider is not None and pending.provider != provider:
        raise InvalidState(StateProblem.WRONG_PROVIDER)
    if consumer_id is not None and pending.consumer_id != consumer_id:
        raise InvalidState(StateProblem.WRONG_CONSUMER)


@runtime_checkable
class StateStore(Protocol):
    """Where OAuth states wait between "Connect" and the callback (the vault, or memory)."""

    async def create_state(
        self,
        *,
        consumer_id: str,
        provider: str,
        redirect_uri: str,
        code_verifier: str | None,
        scopes: Sequence[str] = (),
        lifetime: timedelta = STATE_LIFETIME,
    ) -> str: ...

    async def consume_state(
        self, state: str | None, *, provider: str | None = None, consumer_id: str | None = None
    ) -> PendingAuthorization: ...


@dataclass
class _MemoryState:
    pending: PendingAuthorization
    expires_at: datetime
    used_at: datetime | None = None


class MemoryStateStore:
    """States in a dict, for one process: what a client on an in-memory connection store uses."""

    def __init__(self) -> None:
        self._states: dict[str, _MemoryState] = {}
        self._lock = asyncio.Lock()

    async def create_state(
        self,
        *,
        consumer_id: str,
        provider: str,
        redirect_uri: str,
        code_verifier: str | None,
        scopes: Sequence[str] = (),
        lifetime: timedelta = STATE_LIFETIME,
    ) -> str:
        state = secrets.token_urlsafe(32)
        pending = PendingAuthorization(consumer_id, provider, redirect_uri, tuple(scopes), code_verifier)
        self._states[state_hash(state)] = _MemoryState(pending, datetime.now(UTC) + lifetime)
        return state

    async def consume_state(
        self, state: str | None, *, provider: str | None = None, consumer_id: str | None = None
    ) -> PendingAuthorization:
        if not state:
            raise InvalidState(StateProblem.MISSING)
        async with self._lock:
            found = self._states.get(state_hash(state))
            if found is None:
                raise InvalidState(StateProblem.UNKNOWN)
            now = datetime.now(UTC)
            check_state(
                found.pending,
                used_at=found.used_at,
                expires_at=found.expires_at,
                now=now,
                provider=provider,
                consumer_id=consumer_id,
            )
            found.used_at = now
            return replace(found.pending)
