"""The turns of one process's writers of a SQLite file: one at a time, short transactions first.

SQLite has one writer at a time, and this process's writers wait for it here rather than in
SQLite's busy handler (see :mod:`.database`). A sync's page write holds the file for tens of
milliseconds; a rate limiter's take, which decides when a request may leave, holds it for one or
two. Served in arrival order, each take would also wait for the page written after the one in
progress, and requests would leave at the pace of page writes. So a bulk write waits while a
short transaction waits: it goes when no short one is queued. Short transactions cannot hold
bulk writes back for long: each is a few statements, and they come a few at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class WriterTurns:
    """One holder at a time; a released turn goes straight to the next waiter, a short one first."""

    def __init__(self) -> None:
        self._held = False
        self._short: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        """Whether a writer holds the turn (waiters are handed it directly: none waits unheld)."""
        return self._held

    @contextlib.asynccontextmanager
    async def turn(self, *, bulk: bool = False) -> AsyncIterator[None]:
        """Hold the turn for the block; ``bulk`` waits while short transactions wait."""
        await self._acquire(bulk)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, bulk: bool) -> None:
        if not self._held:
            self._held = True
            return
        waiting = asyncio.get_running_loop().create_future()
        queue = self._bulk if bulk else self._short
        queue.append(waiting)
        try:
            await waiting
        except asyncio.CancelledError:
            if waiting.done() and not waiting.cancelled():
                self._release()  # handed the turn as the cancellation came: pass it on
            else:
                queue.remove(waiting)
            raise

    def _release(self) -> None:
        for queue in (self._short, self._bulk):
            while queue:
                waiting = queue.popleft()
                if not waiting.done():
                    waiting.set_result(None)  # the turn passes on held
                    return
        self._held = False


__all__ = ["WriterTurns"]
