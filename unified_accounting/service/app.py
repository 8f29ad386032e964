"""Choosing a runner, and the ASGI app that ``ua serve`` runs (webhooks + worker + connect page)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from ..client.async_client import AsyncClient
from ..sync.engine import SyncOptions
from ..sync.jobs import InboxOnly, JobQueue
from ..types import Receive, Scope, Send
from ..webhooks.body import BodyLimits
from ..webhooks.receiver import WebhookReceiver
from .distributed import DistributedRunner
from .embedded import EmbeddedRunner


def uses_postgresql(client: AsyncClient) -> bool:
    url = client.database_url or ""
    return url.startswith(("postgresql", "postgres"))


def runner_for(client: AsyncClient, options: SyncOptions | None = None) -> EmbeddedRunner | DistributedRunner:
    """The distributed runner on PostgreSQL, else the embedded one."""
    if uses_postgresql(client):
        return DistributedRunner(client, options)
    return EmbeddedRunner(client, options)


@contextlib.asynccontextmanager
async def running(runner: EmbeddedRunner | DistributedRunner, *, worker: bool = True) -> AsyncIterator[None]:
    """Run ``runner`` (and, for the distributed one, a worker in this process) for the block."""
    if isinstance(runner, EmbeddedRunner):
        async with runner:
            yield
        return
    await runner.open()
    task = asyncio.create_task(runner.run_worker()) if worker else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runner.close()


class _ServiceApp(Starlette):
    """The service's Starlette app, except that webhook deliveries go straight to the receiver:
    a provider's delivery skips the framework's middleware and routing (the receiver answers
    every outcome itself)."""

    def __init__(self, receiver: WebhookReceiver, **options: Any) -> None:
        super().__init__(**options)
        self._receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(WEBHOOKS_PREFIX + "/"):
            scope["root_path"] = scope.get("root_path", "") + WEBHOOKS_PREFIX
            await self._receiver(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


#: Where the receiver is mounted: ``/webhooks/{provider}``.
WEBHOOKS_PREFIX = "/webhooks"


def create_service_app(
    client: AsyncClient,
    *,
    runner: EmbeddedRunner | DistributedRunner | None = None,
    connect_app: Any = None,
    worker: bool = True,
    webhook_secrets: Mapping[str, str] | None = None,
    webhook_limits: BodyLimits | None = None,
    close_client: bool = False,
) -> Starlette:
    """One ASGI app: ``/webhooks/{provider}`` (the receiver), the job runner in its lifespan, and —
    when given — the connect page at ``/``. ``close_client`` closes the client at shutdown;
    ``webhook_limits`` bounds webhook bodies (size and read deadline)."""
    jobs = runner or runner_for(client)
    # Without a worker here, an embedded store's inbox waits for the worker process to poll it.
    queue: JobQueue = InboxOnly() if not worker and isinstance(jobs, EmbeddedRunner) else jobs
    receiver = WebhookReceiver(client, queue, secrets=webhook_secrets, limits=webhook_limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            # Opened (and migrated) before the first request: the first deliveries must not
            # wait for it, and a database that cannot be opened stops the server at once.
            await receiver.start()
            if queue is jobs:
                async with running(jobs, worker=worker):
                    yield
            else:
                yield
        finally:
            if close_client:
                await client.aclose()

    routes: list[BaseRoute] = [Mount("/webhooks", app=receiver.app)]
    if connect_app is not None:
        routes.append(Mount("/", app=connect_app))
    app = _ServiceApp(receiver, routes=routes, lifespan=lifespan)
    app.state.runner = jobs
    app.state.receiver = receiver
    return app
