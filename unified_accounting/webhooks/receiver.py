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
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping
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
    from ..storage.database import Database

logger = logging.getLogger(__name__)

#: Seconds the first delivery of a group waits for others to share its commit (see
#: :class:`_GroupCommit`): a little latency (the answer budget is seconds) for much less CPU.
COMMIT_WINDOW = 0.015
#: Seconds before a window's end that a receiver sleeping through it wakes (see :class:`_GroupCommit`).
WAKE_BEFORE = 0.002
#: The longest the event loop sleeps through a window: a longer window is waited for awake.
MAX_SLEEP = 0.05


class WebhookReceiver:
    """Receives webhooks for every provider of ``client``; ``receiver.app`` is the ASGI app.

    Each provider's signing secret is its ``webhook_secret`` setting (``UA_QUICKBOOKS_WEBHOOK_SECRET``:
    the QuickBooks verifier token; ``UA_XERO_WEBHOOK_SECRET``: the Xero webhook key), unless
    ``secrets`` gives it. ``commit_window``: seconds a delivery may wait for others to share its
    commit (0: commit at once).
    """

    def __init__(
        self,
        client: AsyncClient,
        queue: JobQueue,
        *,
        secrets: Mapping[str, str] | None = None,
        limits: BodyLimits | None = None,
        commit_window: float = COMMIT_WINDOW,
    ) -> None:
        self.client = client
        self.queue = queue
        self.limits = limits or BodyLimits()
        self._secrets = dict(secrets or {})
        self._inbox = _GroupCommit(client, queue, window=commit_window)
        # Providers and their secrets, looked up once (the client's settings do not change).
        self._providers: dict[str, tuple[Provider, str | None]] = {}
        self.app = self

    async def start(self) -> None:
        """Open the store deliveries are written to (else the first delivery does)."""
        await self._inbox.start()

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
        refused = self.refuse_before_body(name)
        if refused is not None:
            await _answer(send, refused, close=True)
            return None
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        try:
            body = await read_asgi_body(receive, headers.get("content-length"), self.limits)
        except BodyRefused as refused_body:
            logger.warning("webhook for %s refused: %s", name, refused_body.reason)
            await refused_body.response(scope, receive, send)
            return None
        checked = self.check(name, headers, body)
        if isinstance(checked, int):
            return checked
        try:
            await asyncio.shield(self.submit(checked))
        except Exception:
            logger.exception("webhook for %s could not be stored: answered 500, the provider retries", name)
            return 500
        return 200

    def refuse_before_body(self, name: str) -> int | None:
        """The status refusing a delivery to provider ``name`` before its body is read (``404``: no
        such provider; ``401``: no secret configured), or ``None``. The connection is then closed."""
        try:
            _, secret = self._provider(name)
        except ConfigurationError:
            return 404
        if not secret:
            logger.error("webhook for %s refused: no webhook secret is configured for it", name)
            return 401
        return None

    def check(self, name: str, headers: Mapping[str, str], body: bytes) -> int | Delivery:
        """The delivery of a whole ``body`` sent to provider ``name`` (accepted by
        :meth:`refuse_before_body`), or the status that refuses it: ``401`` unsigned, ``400``
        unreadable, ``404`` a provider without webhooks. ``headers``: lower-cased names."""
        provider, secret = self._provider(name)
        assert secret
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
            logger.error("webhook for %s is signed but holds ids the inbox cannot store: dropped", name)
            return 400
        return Delivery(name, body, events)

    def submit(self, delivery: Delivery) -> asyncio.Future[None]:
        """Store a checked delivery: the future is done once it is committed (answer ``200``
        then), or failed (answer ``500``: the provider retries). Cancelling it does not withdraw
        the delivery (it may still be committed; a retry of it is stored once)."""
        return self._inbox.submit(delivery)

    def sleep_through_windows(self, enabled: bool = True) -> None:
        """Let the receiver's event loop sleep while a group's commit window is open, instead of
        waking for each delivery that arrives meanwhile: they wait in the kernel's socket buffers
        and are read together when the window ends, just before their commit (see
        :class:`_GroupCommit`). Only for a loop that runs nothing else that cannot wait a window
        (``ua serve``'s: the receiver and the connect page; its worker is another process)."""
        self._inbox.sleeps = enabled

    def store_then(self, delivery: Delivery, settle: Settle) -> None:
        """:meth:`submit` for a caller that is not a coroutine (``ua serve``'s HTTP protocol):
        ``settle(None)`` is called once ``delivery`` is committed, ``settle(error)`` if it cannot
        be, exactly once."""
        self._inbox.add(delivery, settle)


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


def _settle_future(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _settle_all(group: list[tuple[Delivery, Settle]], error: BaseException | None) -> None:
    for _, settle in group:
        try:
            settle(error)
        except Exception:  # one submitter's failure is no other's
            logger.exception("a webhook delivery's answer failed")


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


#: What a stored delivery's submitter is told: ``None`` once it is committed, else the error.
Settle = Callable[[BaseException | None], None]


class _GroupCommit:
    """Stores deliveries, several per transaction when they arrive together ("group commit").

    Every request still waits until its own events are committed before it is answered. The
    first delivery of a group waits up to ``window`` seconds for others (at 200 deliveries a
    second and 15 ms, about four share each commit), and under load the deliveries that queued up
    while one transaction ran share the next one: one write lock and one commit for many
    requests, instead of each waiting its turn for the database. A full group (``max_group``) is
    written at once. When a group's transaction fails, each of its deliveries is written alone:
    only those that fail alone are answered ``500``.

    On SQLite with the inbox as the queue, a group is written by the window's timer itself, on
    the event loop, whenever the database's write lock is free (:meth:`Database.write_direct_now`),
    and its submitters are told right there: no task, future or thread per group or delivery.
    Otherwise (the lock taken by another process, PostgreSQL, a queue that writes in the
    transaction) the group is written by a task, one at a time.

    With :attr:`sleeps` (``ua serve``), opening a group also puts the event loop to sleep until
    just before the window ends: at 200 deliveries a second each one arrives alone, and waking an
    idle process for it (the wake-up, and caches gone cold meanwhile) costs more CPU than reading
    and checking it. Asleep, the loop lets the deliveries of the window queue up in the kernel's
    socket buffers, then reads them all at once, checks them one after another and commits them
    together; they are answered when they would have been (at the window's end). Not while a
    group is being written by a task: that write needs the loop.

    Companies found connected here are remembered for :data:`KNOWN_FOR` seconds, so that a
    delivery costs no lookup; events of a company disconnected meanwhile are stored and then
    ignored by the worker (it finds no connection), as they would be had they arrived just before.
    """

    #: Seconds a company found connected is not looked up again.
    KNOWN_FOR = 60.0

    def __init__(
        self, client: AsyncClient, queue: JobQueue, max_group: int = 500, window: float = COMMIT_WINDOW
    ) -> None:
        self.client = client
        self.queue = queue
        self.max_group = max_group
        self.window = window
        self._waiting: list[tuple[Delivery, Settle]] = []
        self._due = 0.0  # when the waiting group is written
        self._timer: asyncio.Handle | None = None
        self._writer: asyncio.Task[None] | None = None  # a group written by a task
        self._db: Database | None = None  # known once opened: the timer's writes need it at hand
        self._on_loop = False  # whether groups can be written on the loop (_writes_direct)
        self._known: dict[tuple[str, str], float] = {}
        self.sleeps = False

    def submit(self, delivery: Delivery) -> asyncio.Future[None]:
        """Queue ``delivery`` for the next commit; the future is done when it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.add(delivery, functools.partial(_settle_future, done))
        return done

    def add(self, delivery: Delivery, settle: Settle) -> None:
        """Queue ``delivery`` for the next commit; ``settle(None)`` is called once it is committed,
        ``settle(error)`` if it cannot be (never both, at most once)."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            # The first of a group waits a little for companions: at a steady rate deliveries
            # rarely arrive together, and each commit costs more CPU than the rest of a delivery.
            self._due = loop.time() + self.window
            if self.sleeps and self._writer is None:
                loop.call_soon(self._sleep_through_window)  # once this wake-up's work is done
        self._waiting.append((delivery, settle))
        if self._writer is not None:
            return  # the task writing a group takes the next one when it is done
        if len(self._waiting) >= self.max_group:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_soon(self._flush)  # a full group is written without waiting
        elif self._timer is None:
            self._timer = loop.call_at(self._due, self._flush)

    def _sleep_through_window(self) -> None:
        if not self._waiting or self._writer is not None:
            return
        # Woken a little before the window's end: what arrived meanwhile is read and checked
        # first, then the window's timer writes the group.
        wait = self._due - asyncio.get_running_loop().time() - WAKE_BEFORE
        if wait > 0:
            time.sleep(min(wait, MAX_SLEEP))  # a long window is waited for awake, after that

    async def store(self, delivery: Delivery) -> None:
        await asyncio.shield(self.submit(delivery))

    async def start(self) -> None:
        db = await self._database()
        if self._on_loop:
            await db.write_direct(lambda connection: None)  # its thread and connection

    async def _database(self) -> Database:
        if self._db is None:
            db = await self.client.database()
            self._db, self._on_loop = db, self._writes_direct(db)
        return self._db

    def _flush(self) -> None:
        """The window's end: write the waiting group, here if it can be, else in a task."""
        self._timer = None
        if self._writer is not None or not self._waiting:
            return
        group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
        loop = asyncio.get_running_loop()
        if self._waiting:
            self._due = loop.time()  # left over from a full group: no more waiting
        if self._write_now(group):
            if self._waiting:
                self._timer = loop.call_soon(self._flush)
            return
        self._writer = loop.create_task(self._write_in_task(group))

    def _write_now(self, group: list[tuple[Delivery, Settle]]) -> bool:
        """Write ``group`` on the event loop if the store allows it now (SQLite, the inbox as the
        queue, its write lock free) and tell its submitters; ``False``: nothing was done."""
        db = self._db
        if db is None or not self._on_loop:
            return False
        deliveries = [delivery for delivery, _ in group]
        now = datetime.now(UTC)
        known = self._known_now()
        try:
            done, stored = db.write_direct_now(
                lambda connection: inbox.store_direct(connection, deliveries, known, now)
            )
        except Exception:
            # The group fails as a whole: the task writes each delivery alone.
            return False
        if not done:
            return False
        assert stored is not None
        _, pairs, connected = stored
        self._remember(connected)
        for provider, company in sorted(pairs):
            self.queue.committed(WebhookJob(provider, company))
        _settle_all(group, None)
        return True

    async def _write_in_task(self, group: list[tuple[Delivery, Settle]]) -> None:
        try:
            try:
                await self._commit(group, alone=len(group) == 1)
            except Exception:
                # One delivery the store refuses must not cost the others their answer: each is
                # written alone, and only what fails alone gets its error (``500``, retried).
                logger.warning("a group of %d webhook deliveries failed: storing each alone", len(group))
                for one in group:
                    with contextlib.suppress(Exception):
                        await self._commit([one], alone=True)
        finally:
            self._writer = None
            if self._waiting:
                # Those that came meanwhile: at their window's end, or now if it has passed.
                loop = asyncio.get_running_loop()
                self._timer = loop.call_at(max(self._due, loop.time()), self._flush)

    async def _commit(self, group: list[tuple[Delivery, Settle]], *, alone: bool) -> None:
        """Write ``group`` in one transaction and tell its submitters; on failure, ``alone``:
        tell them the error (else the error is raised, and they are not told)."""
        try:
            jobs = await self._write([delivery for delivery, _ in group])
        except Exception as exc:
            if not alone:
                raise
            _settle_all(group, exc)
            return
        for job in jobs:
            self.queue.committed(job)
        _settle_all(group, None)

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

    def _writes_direct(self, db: Database) -> bool:
        return db.supports_direct_writes and getattr(self.queue, "inbox_is_queue", False)

    def _defers_by_rows(self) -> bool:
        """Whether the queue's jobs are rows the receiver can write itself (procrastinate's, or
        none at all when the inbox is the queue)."""
        return hasattr(self.queue, "webhook_job_rows") or getattr(self.queue, "inbox_is_queue", False)

    async def _write(self, group: list[Delivery]) -> list[WebhookJob]:
        db = await self._database()
        now = datetime.now(UTC)
        known = self._known_now()
        if db.supports_direct_postgres and self._defers_by_rows():
            # One statement on the driver: deliveries, events and (procrastinate) their jobs.
            job_rows = getattr(self.queue, "webhook_job_rows", None)
            _, pairs, connected = await db.write_direct_postgres(
                lambda connection: inbox.store_direct_postgres(connection, group, known, now, job_rows)
            )
            self._remember(connected)
            return [WebhookJob(provider, company) for provider, company in sorted(pairs)]
        if self._writes_direct(db):
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
