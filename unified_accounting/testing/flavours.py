"""Run one async test body against both clients: ``AsyncClient`` and the derived blocking ``Client``.

The blocking flavour calls the real ``Client`` from a worker thread, so the same ``await`` in the
test exercises the sync API end to end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread

from ..client import AsyncClient, Client


class FlavouredResource:
    def __init__(self, resource: Any, blocking: bool) -> None:
        self._resource = resource
        self._blocking = blocking

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._resource, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self._blocking:
                return await anyio.to_thread.run_sync(lambda: method(*args, **kwargs))
            return await method(*args, **kwargs)

        return call

    async def list_plan(self, **kwargs: Any) -> Any:
        """The ``ListPlan`` of ``list(**kwargs)`` (nothing is fetched)."""
        if self._blocking:
            return await anyio.to_thread.run_sync(lambda: self._resource.list(**kwargs).plan)
        return self._resource.list(**kwargs).plan

    async def collect(self, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        """Everything the iterator ``name(*args, **kwargs)`` yields (``download``'s chunks)."""
        method = getattr(self._resource, name)
        if self._blocking:
            return await anyio.to_thread.run_sync(lambda: list(method(*args, **kwargs)))
        return [item async for item in method(*args, **kwargs)]

    async def list_all(self, **kwargs: Any) -> list[Any]:
        if self._blocking:
            return await anyio.to_thread.run_sync(lambda: list(self._resource.list(**kwargs)))
        return [record async for record in self._resource.list(**kwargs)]


class FlavouredClient:
    """Either client behind one awaitable interface."""

    def __init__(self, blocking: bool, **options: Any) -> None:
        self.blocking = blocking
        self._options = options
        self._client: Any = None

    async def __aenter__(self) -> FlavouredClient:
        if self.blocking:
            self._client = await anyio.to_thread.run_sync(lambda: Client(**self._options))
        else:
            self._client = AsyncClient(**self._options)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.blocking:
            await anyio.to_thread.run_sync(self._client.close)
        else:
            await self._client.aclose()

    async def call(self, name: str, **kwargs: Any) -> Any:
        method = getattr(self._client, name)
        if self.blocking:
            return await anyio.to_thread.run_sync(lambda: method(**kwargs))
        return await method(**kwargs)

    async def resource(self, name: str, **connection: Any) -> FlavouredResource:
        conn = await self.call("connection", **connection)
        return FlavouredResource(getattr(conn, name), self.blocking)
