"""The webhook receiver: an ASGI app answering providers' webhook deliveries.

``POST /{provider}`` (mount it under ``/webhooks``): the body is read within a size limit and a
deadline (``413``/``408`` otherwise, see :mod:`.body`), then the signature is checked against the
raw body — a bad or missing one gets ``401`` and nothing is stored. A signed body that cannot be
read gets ``400``; the same body delivered again is stored once. A verified delivery's events are
written to the inbox **in the same transaction** as the job that will process them, then ``200``
goes back with an empty body (deliveries arriving together share one transaction: see
:class:`_GroupCommit`). Nothing is fetched or applied before answering: QuickBooks wants an
answer within 3 seconds, Xero within 5, and both retry (or give up on) slow endpoints.

The receiver is a plain ASGI app, not a framework route: a delivery costs the signature, the
parse and its share of one commit, and little else (see the performance page of the docs).

Xero's *intent to receive* is a signed delivery with no events: it gets ``200``, or ``401`` when
its signature is wrong, exactly as Xero checks. Events of companies without a connection here are
dropped and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import ConfigurationError, UnsupportedOperation
from ..provider import Provider
from ..sync.jobs import JobQueue, WebhookJob
from ..types import Receive, Scope, Send
from . import inbox
from .body import BodyLimits, BodyRefused, read_asgi_body
from .inbox import Delivery

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
        # Providers and their secrets, looked up once (the client's settings do not change).
        self._providers: dict[str, tuple[Provider, str | None]] = {}
        self.app = self

    def secret_for(self, provider: str) -> str | None:
        if provider in self._secrets:
            return self._secrets[provider]
        configured = self.client.settings_for(provider).webhook_secret
        return configured.get_secret_value() if configured is not None else None

    def _provider(self, name: str) -> tuple[Provider, str | None]:
        found = self._providers.get(name)
        if found is None:
            found = self._providers[name] = (self.client.provider(name), self.secret_for(name))
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan of its own; mounted apps never see one
        name = _provider_name(scope)
        if name is None:
            await _answer(send, 404, close=True)
            return
        if scope["method"] != "POST":
            await _answer(send, 405, close=True, extra=[(b"allow", b"POST")])
            return
        status = await self.receive(name, scope, receive, send)
        if status is not None:
            await _answer(send, status)

    async def receive(self, name: str, scope: Scope, receive: Receive, send: Send) -> int | None:
        """Handle one delivery to provider ``name``; return the status to answer (``None``: answered)."""
        try:
            provider, secret = self._provider(name)
        except ConfigurationError:
            await _answer(send, 404, close=True)
            return None
        if not secret:
            logger.error("webhook for %s refused: no webhook secret is configured for it", name)
            await _answer(send, 401, close=True)
            return None
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        try:
            body = await read_asgi_body(receive, headers.get("content-length"), self.limits)
        except BodyRefused as refused:
            logger.warning("webhook for %s refused: %s", name, refused.reason)
            await refused.response(scope, receive, send)
            return None
        try:
            verified = provider.verify_webhook(body, headers, secret)
        except UnsupportedOperation:
            return 404
        except Exception:
            logger.warning("webhook for %s refused: its signature could not be checked", name, exc_info=True)
            return 401
        if not verified:
            logger.warning("webhook for %s refused: bad signature", name)
            return 401
        try:
            # Signed is not well-formed: any failure to read it (a JSON array where an object was
            # expected, nesting deep enough to exhaust the parser) is the sender's error, not ours.
            events = provider.parse_webhook(body)
            unfit = [event for event in events if not inbox.storable(event)]
        except Exception as exc:
            logger.error("webhook for %s is signed but unreadable (%s): dropped", name, type(exc).__name__)
            return 400
        if unfit:
            logger.error("webhook for %s is signed but holds ids too long to store: dropped", name)
            return 400
        try:
            await self._inbox.store(Delivery(name, body, events))
        except Exception:
            logger.exception("webhook for %s could not be stored: answered 500, the provider retries", name)
            return 500
        return 200


def _provider_name(scope: Scope) -> str | None:
    """``provider`` of ``/{provider}`` under the app's mount point, or ``None`` for another path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    name = path[1:] if path.startswith("/") else ""
    if not name or "/" in name:
        return None
    return name


_CLOSE = (b"connection", b"close")


async def _answer(
    send: Send, status: int, *, close: bool = False, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """An empty answer; ``close``: one given before the body was read closes the connection rather
    than wait for the body."""
    headers = [(b"content-length", b"0"), *(extra or ())]
    if close:
        headers.append(_CLOSE)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


class _GroupCommit:
    """Stores deliveries, several per transaction when they arrive together ("group commit").

    Every request still waits until its own events are committed before it is answered. Under
    load, the deliveries that queued up while one transaction ran share the next one: one write
    lock and one commit for many requests, instead of each waiting its turn for the database.

    Companies found connected here are remembered for :data:`KNOWN_FOR` seconds, so that a
    delivery costs no lookup; events of a company disconnected meanwhile are stored and then
    ignored by the worker (it finds no connection), as they would be had they arrived just before.
    """

    #: Seconds a company found connected is not looked up again.
    KNOWN_FOR = 60.0

    def __init__(self, client: AsyncClient, queue: JobQueue, max_group: int = 500) -> None:
        self.client = client
        self.queue = queue
        self.max_group = max_group
        self._waiting: list[tuple[Delivery, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._known: dict[tuple[str, str], float] = {}

    async def store(self, delivery: Delivery) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await asyncio.shield(done)

    async def _write_all(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
            try:
                jobs = await self._write([delivery for delivery, _ in group])
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

    def _known_now(self) -> set[tuple[str, str]]:
        now = time.monotonic()
        expired = [pair for pair, until in self._known.items() if until <= now]
        for pair in expired:
            del self._known[pair]
        return set(self._known)

    def _remember(self, pairs: set[tuple[str, str]]) -> None:
        until = time.monotonic() + self.KNOWN_FOR
        for pair in pairs:
            self._known[pair] = until

    async def _write(self, group: list[Delivery]) -> list[WebhookJob]:
        db = await self.client.database()
        now = datetime.now(UTC)
        known = self._known_now()
        if db.supports_direct_writes and getattr(self.queue, "inbox_is_queue", False):
            # The inbox rows are the queue (embedded runner): nothing else to write in the
            # transaction, so it runs on the driver directly.
            _, pairs, connected = await db.write_direct(
                lambda connection: inbox.store_direct(connection, group, known, now)
            )
            self._remember(connected)
            return [WebhookJob(provider, company) for provider, company in sorted(pairs)]

        found: set[tuple[str, str]] = set()

        async def store(conn: AsyncConnection) -> list[WebhookJob]:
            kept: list[Delivery] = []
            for delivery in group:
                name, events = delivery.provider, delivery.events
                companies = {e.company_id for e in events}
                unknown = {c for c in companies if (name, c) not in known and (name, c) not in found}
                connected = await inbox.connected_companies(conn, name, unknown)
                found.update((name, company) for company in connected)
                present = (companies - unknown) | connected
                if companies - present:
                    logger.warning(
                        "webhook events for unknown %s companies ignored: %s",
                        name,
                        sorted(companies - present),
                    )
                kept.append(Delivery(name, delivery.body, [e for e in events if e.company_id in present]))
            new = await inbox.store_many(db, conn, kept, now)
            jobs: dict[WebhookJob, None] = {}
            # A delivery stored before adds nothing new to process.
            for delivery, is_new in zip(kept, new, strict=True):
                for company in sorted({e.company_id for e in delivery.events} if is_new else ()):
                    jobs[WebhookJob(delivery.provider, company)] = None
            for job in jobs:
                await self.queue.defer_in_transaction(conn, job)
            return list(jobs)

        jobs = await db.transaction(store)
        self._remember(found)
        return jobs
