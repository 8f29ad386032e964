"""The webhook receiver: an ASGI app answering providers' webhook deliveries.

``POST /{provider}`` (mount it under ``/webhooks``): the body is read within a size limit and a
deadline (``413``/``408`` otherwise, see :mod:`.body`), then the signature is checked against the
raw body — a bad or missing one gets ``401`` and nothing is stored. A signed body that cannot be
read gets ``400``; the same body delivered again is stored once. A verified delivery's events are
written to the inbox **in the same transaction** as the job that will process them, then ``200``
goes back with an empty body (deliveries arriving together share one transaction: see
:class:`_GroupCommit`). Nothing is fetched or applied before answering: QuickBooks wants an
answer within 3 seconds, Xero within 5, and both retry (or give up on) slow endpoints.

Xero's *intent to receive* is a signed delivery with no events: it gets ``200``, or ``401`` when
its signature is wrong, exactly as Xero checks. Events of companies without a connection here are
dropped and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import ConfigurationError, UnsupportedOperation
from ..models import WebhookEvent
from ..sync.jobs import JobQueue, WebhookJob
from . import inbox
from .body import BodyLimits, BodyRefused, read_body

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient

logger = logging.getLogger(__name__)


class WebhookReceiver:
    """Receives webhooks for every provider of ``client``; ``receiver.app`` is the ASGI app.

    Each provider's signing secret is its ``webhook_secret`` setting (``UA_QUICKBOOKS_WEBHOOK_SECRET``:
    the QuickBooks verifier token; ``UA_XERO_WEBHOOK_SECRET``: the Xero webhook key), unless
    ``secrets`` gives it.
    """

    def __init__(
        self,
        client: AsyncClient,
        queue: JobQueue,
        *,
        secrets: Mapping[str, str] | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        self.client = client
        self.queue = queue
        self.limits = limits or BodyLimits()
        self._secrets = dict(secrets or {})
        self._inbox = _GroupCommit(client, queue)
        self.app = Starlette(routes=[Route("/{provider}", self.receive, methods=["POST"])])

    def secret_for(self, provider: str) -> str | None:
        if provider in self._secrets:
            return self._secrets[provider]
        configured = self.client.settings_for(provider).webhook_secret
        return configured.get_secret_value() if configured is not None else None

    async def receive(self, request: Request) -> Response:
        name = request.path_params["provider"]
        try:
            provider = self.client.provider(name)
            secret = self.secret_for(name)
        except ConfigurationError:
            return _unread(404)
        if not secret:
            logger.error("webhook for %s refused: no webhook secret is configured for it", name)
            return _unread(401)
        try:
            body = await read_body(request, self.limits)
        except BodyRefused as refused:
            logger.warning("webhook for %s refused: %s", name, refused.reason)
            return refused.response
        try:
            verified = provider.verify_webhook(body, request.headers, secret)
        except UnsupportedOperation:
            return Response(status_code=404)
        except Exception:
            logger.warning("webhook for %s refused: its signature could not be checked", name, exc_info=True)
            return Response(status_code=401)
        if not verified:
            logger.warning("webhook for %s refused: bad signature", name)
            return Response(status_code=401)
        try:
            # Signed is not well-formed: any failure to read it (a JSON array where an object was
            # expected, nesting deep enough to exhaust the parser) is the sender's error, not ours.
            events = provider.parse_webhook(body)
            unfit = [event for event in events if not inbox.storable(event)]
        except Exception as exc:
            logger.error("webhook for %s is signed but unreadable (%s): dropped", name, type(exc).__name__)
            return Response(status_code=400)
        if unfit:
            logger.error("webhook for %s is signed but holds ids too long to store: dropped", name)
            return Response(status_code=400)
        try:
            await self._inbox.store(_Delivery(name, body, events))
        except Exception:
            logger.exception("webhook for %s could not be stored: answered 500, the provider retries", name)
            return Response(status_code=500)
        return Response(status_code=200)


def _unread(status_code: int) -> Response:
    """An answer given before the body was read: close the connection rather than wait for it."""
    return Response(status_code=status_code, headers={"Connection": "close"})


@dataclass
class _Delivery:
    provider: str
    body: bytes
    events: list[WebhookEvent]


class _GroupCommit:
    """Stores deliveries, several per transaction when they arrive together ("group commit").

    Every request still waits until its own events are committed before it is answered. Under
    load, the deliveries that queued up while one transaction ran share the next one: one write
    lock and one commit for many requests, instead of each waiting its turn for the database.
    """

    def __init__(self, client: AsyncClient, queue: JobQueue, max_group: int = 200) -> None:
        self.client = client
        self.queue = queue
        self.max_group = max_group
        self._waiting: list[tuple[_Delivery, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, delivery: _Delivery) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
            try:
                jobs = await self._write(group)
            except Exception as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for job in jobs:
                self.queue.committed(job)
            for _, done in group:
                if not done.done():
                    done.set_result(None)

    async def _write(self, group: list[tuple[_Delivery, asyncio.Future[None]]]) -> list[WebhookJob]:
        db = await self.client.database()
        now = datetime.now(UTC)

        async def store(conn: AsyncConnection) -> list[WebhookJob]:
            jobs: dict[WebhookJob, None] = {}
            for delivery, _ in group:
                name, events = delivery.provider, delivery.events
                companies = {e.company_id for e in events}
                known = await inbox.connected_companies(conn, name, companies)
                if companies - known:
                    logger.warning(
                        "webhook events for unknown %s companies ignored: %s", name, sorted(companies - known)
                    )
                kept = [e for e in events if e.company_id in known]
                if not await inbox.store(db, conn, name, delivery.body, kept, now):
                    continue  # the same body was stored before: nothing new to process
                for company in sorted(known):
                    jobs[WebhookJob(name, company)] = None
            for job in jobs:
                await self.queue.defer_in_transaction(conn, job)
            return list(jobs)

        return await db.transaction(store)
