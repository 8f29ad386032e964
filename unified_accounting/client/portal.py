"""The event loop a blocking ``Client`` runs its async twin on, in a thread of its own.

Every blocking call hands a coroutine to the loop and waits for it: one loop per client keeps
everything loop-bound (the HTTP pool, database engines, locks) on the loop that created it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterable, Coroutine, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Portal:
    """An event loop running in a daemon thread; :meth:`call` runs a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="unified-accounting", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self.loop.is_closed()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._thread is threading.current_thread():
            coroutine.close()
            raise RuntimeError(
                "the blocking Client cannot be called from its own event loop; use AsyncClient"
            )
        if self.closed:
            coroutine.close()
            raise RuntimeError("this Client is closed")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C in the caller also stops the work in the loop thread.
            raise

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()


class BlockingIterator(Iterator[T]):
    """Iterates an async iterable from the calling thread, one item per round trip to the loop."""

    def __init__(self, iterable: AsyncIterable[T], portal: Portal) -> None:
        self._portal = portal
        self._iterator = iterable.__aiter__()

    def __iter__(self) -> BlockingIterator[T]:
        return self

    def __next__(self) -> T:
        async def step() -> tuple[bool, T | None]:
            try:
                return True, await self._iterator.__anext__()
            except StopAsyncIteration:
                return False, None

        has_item, item = self._portal.call(step())
        if not has_item:
            raise StopIteration
        return item  # type: ignore[return-value]  # has_item means a real item, None included

    def close(self) -> None:
        """Stop early: close the async iterator now (a download left half read gives its HTTP
        connection back at once rather than when the iterator is garbage collected)."""
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None and not self._portal.closed:
            self._portal.call(aclose())

    def __enter__(self) -> BlockingIterator[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["BlockingIterator", "Portal"]
