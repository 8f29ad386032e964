"""The rate limiter every provider shares: waits for a slot, refuses what cannot be waited out,
and learns from the provider's answers.

One limiter serves the whole process (:func:`process_limiter`): every client and every event loop
(the blocking ``Client`` runs its own) spends the same budgets, keyed by
:class:`~unified_accounting.ratelimits.LimitKey` — provider, app, realm and company — never by the
identity of a settings or client object. Its state is guarded by a thread lock; waiting for time is
done by sleeping on the caller's loop, and waiting for a call in flight to finish by a future the
releasing thread completes on the waiter's own loop (``call_soon_threadsafe``). Clock and sleep are
attributes, so tests drive time without sleeping.

These windows are this process's: it learns what other processes spent only from the provider's
remaining-calls headers where it sends them. A client with a database vault uses
:class:`~unified_accounting.shared_limits.SharedLimiter` instead, which implements
:class:`Limiter` over rows of the database with the same rules; see docs/scale.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Protocol

from ..errors import RateLimited
from .declaration import LimitFeedback, LimitKey, RateLimits, Window, current_kinds
from .windows import Windows, WindowState

#: Longest wait for a release before asking again (a release elsewhere may not wake this waiter:
#: app-wide windows, or a call of another company of the app).
RELEASE_POLL = 0.25

Refusal = Callable[[Window, float], RateLimited]


def default_refusal(window: Window, retry_after: float) -> RateLimited:
    """The error of a full ``when_full="refuse"`` window, for limiters used without a provider."""
    return RateLimited(
        f"the {window.name} budget of {window.calls} calls is spent",
        retry_after=retry_after,
        code=window.name,
    )


class Limiter(Protocol):
    """What a provider's requests go through (:class:`RateLimiter`, or a shared implementation)."""

    def slot(
        self,
        key: LimitKey,
        limits: RateLimits,
        *,
        kinds: frozenset[str] | None = None,
        refuse: Refusal = default_refusal,
    ) -> contextlib.AbstractAsyncContextManager[None]: ...

    def learn(self, key: LimitKey, limits: RateLimits, feedback: LimitFeedback) -> None: ...


class RateLimiter:
    """Sliding windows and concurrency per budget: ``async with limiter.slot(key, limits): ...``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._windows = Windows()
        self._waiters: dict[LimitKey, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}
        self._releases: dict[LimitKey, int] = {}

    @contextlib.asynccontextmanager
    async def slot(
        self,
        key: LimitKey,
        limits: RateLimits,
        *,
        kinds: frozenset[str] | None = None,
        refuse: Refusal = default_refusal,
    ) -> AsyncIterator[None]:
        """Wait until one more request fits every window and the concurrency cap, and hold its
        place until the block ends (its answer has been read): then it is counted. ``kinds``
        defaults to those of the enclosing :func:`~unified_accounting.ratelimits.counted_as`."""
        chosen = current_kinds() if kinds is None else kinds
        await self._acquire(key, limits, chosen, refuse)
        try:
            yield
        finally:
            self._release(key, limits, chosen)

    async def _acquire(
        self, key: LimitKey, limits: RateLimits, kinds: frozenset[str], refuse: Refusal
    ) -> None:
        while True:
            with self._lock:
                releases = self._releases.get(key, 0)
                verdict = self._windows.reserve(key, limits, kinds, self.clock())
            if verdict.refused is not None:
                raise refuse(verdict.refused, max(0.0, verdict.retry_after))
            if verdict.wait is None:
                await self._await_release(key, releases)
            elif verdict.wait > 0:
                await self.sleep(verdict.wait)
            else:
                return

    async def _await_release(self, key: LimitKey, seen: int) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._releases.get(key, 0) != seen:
                return  # a call finished since we asked: ask again at once
            waiters = self._waiters.setdefault(key, [])
            waiters.append((loop, future))
        try:
            await asyncio.wait({future}, timeout=RELEASE_POLL)
        finally:
            with self._lock, contextlib.suppress(ValueError):
                waiters.remove((loop, future))

    def _release(self, key: LimitKey, limits: RateLimits, kinds: frozenset[str]) -> None:
        with self._lock:
            self._windows.release(key, limits, kinds, self.clock())
            self._releases[key] = self._releases.get(key, 0) + 1
            waiters = self._waiters.pop(key, [])
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits there
                loop.call_soon_threadsafe(_wake, future)

    def learn(self, key: LimitKey, limits: RateLimits, feedback: LimitFeedback) -> None:
        """Take in what an answer says about the provider's own count (see :class:`LimitFeedback`)."""
        with self._lock:
            self._windows.learn(key, limits, feedback, self.clock())

    # ----------------------------------------------------------------------------- inspection

    def in_flight(self, key: LimitKey) -> int:
        """Requests of ``key`` holding a slot now."""
        with self._lock:
            budget = self._windows.peek(key)
            return budget.in_flight if budget else 0

    def used(self, key: LimitKey, window: Window) -> int:
        """Calls ``window`` of ``key`` counts now (in flight ones excluded), unseen ones included."""
        with self._lock:
            budget = self._windows.peek(key.app_key if window.scope == "app" else key)
            state: WindowState | None = budget.windows.get((window.name, window.seconds)) if budget else None
            return state.used(self.clock()) if state else 0

    def reset(self) -> None:
        """Forget every window (a fresh process, as far as limits go; for tests)."""
        with self._lock:
            self._windows.clear()


class Unlimited:
    """A :class:`Limiter` that never waits: for an emulator started without limits
    (``limits=False``, ``--no-limits``) and tests that are not about pacing. Against a real provider
    the requests would meet its 429s instead."""

    @contextlib.asynccontextmanager
    async def slot(
        self,
        key: LimitKey,
        limits: RateLimits,
        *,
        kinds: frozenset[str] | None = None,
        refuse: Refusal = default_refusal,
    ) -> AsyncIterator[None]:
        yield

    def learn(self, key: LimitKey, limits: RateLimits, feedback: LimitFeedback) -> None:
        return None

    def __repr__(self) -> str:
        return "<Unlimited>"


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_PROCESS_LIMITER = RateLimiter()


def process_limiter() -> RateLimiter:
    """The limiter of this process, which every provider's requests go through by default."""
    return _PROCESS_LIMITER


# The limiter of the client running an OAuth flow: requests made with a brand-new token, before any
# connection exists (``Provider.call_with_token``), spend the same budget as the connection's later
# requests, so the first calls after connecting do not overrun a limit the provider already counts.
_flow_limiter: contextvars.ContextVar[Limiter | None] = contextvars.ContextVar(
    "ua_flow_limiter", default=None
)


# What a limiter that counts a call from its send wants to hear when the call really leaves (its
# request's first bytes are written, after a connection was found or opened), set by its slot.
_departing: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "ua_departing", default=None
)


@contextlib.contextmanager
def counting_departure(mark: Callable[[], None]) -> Iterator[None]:
    """Inside a limiter's slot: ``mark`` is called when the call's request starts to leave."""
    token = _departing.set(mark)
    try:
        yield
    finally:
        _departing.reset(token)


def departing() -> None:
    """Called by the HTTP layer as a request starts to leave (its headers are being written): the
    limiter whose slot it holds, counting it from its send, counts it from now."""
    mark = _departing.get()
    if mark is not None:
        mark()


@contextlib.contextmanager
def limiting_flow(limiter: Limiter) -> Iterator[None]:
    """Requests made outside a connection in this block (OAuth steps) wait in ``limiter``."""
    token = _flow_limiter.set(limiter)
    try:
        yield
    finally:
        _flow_limiter.reset(token)


def flow_limiter() -> Limiter | None:
    """The limiter :func:`limiting_flow` chose for this context, if any."""
    return _flow_limiter.get()


__all__ = [
    "Limiter",
    "RateLimiter",
    "Refusal",
    "Unlimited",
    "counting_departure",
    "default_refusal",
    "departing",
    "flow_limiter",
    "limiting_flow",
    "process_limiter",
]
