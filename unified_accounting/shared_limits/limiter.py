"""``SharedLimiter``: the rate limiter whose windows every process of one database shares.

It keeps the guarantee of the process limiter (:class:`~unified_accounting.ratelimits.RateLimiter`)
across processes and machines: never more requests in a window than declared, however late a
starved process sends what it took a slot for. A request takes its room in one short transaction
(:func:`.ledger.take`), holds it while in flight — with an expiry, so a process that dies cannot
block a company for longer than ``hold`` plus a window — and is counted from the moment its answer
was read (:func:`.ledger.record_answer`). That moment is written in the transaction of this
process's next take, or by a task of its own a few milliseconds later when none comes: a busy
process pays one transaction per request, and until the answer is written the call still holds its
room (late, never early). No transaction is open while the request is.

Waiting. A take that finds no room learns why in the same transaction: a window whose oldest
call leaves at a known moment (sleep until then), a 429 that blocks until a known moment, or
calls in flight whose answers alone can make room — then it waits for a release of this process
or :attr:`SharedLimiter.poll` seconds, whichever comes first, and asks again (other processes'
releases are seen by asking). Requests of this process for one budget wait their turn here, in
order, so that one of them at a time asks the database. A request waiting for a known moment takes
its room a little before it (:data:`RESERVE_AHEAD`), written for that moment, then waits for it
outside its turn: a transaction that has to wait for the database then (SQLite's one write lock,
held by a sync writing a page) no longer makes the request leave late.

What answers tell (``learn``: remaining calls, a 429's ``Retry-After``) is written for every
process in a task of its own: ``learn`` is called synchronously from ``Provider.observe_response``.
This process's next take waits for that write, so its own requests never miss what it learned.

A limiter belongs to one event loop — its client's — as its database does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from ..ratelimits import (
    LimitFeedback,
    LimitKey,
    RateLimits,
    Refusal,
    Window,
    counting_departure,
    current_kinds,
    default_refusal,
)
from ..ratelimits.windows import Verdict
from ..storage.database import Database
from . import ledger
from .clock import DatabaseClock
from .ledger import Ask, Lesson


@dataclass(frozen=True)
class Answer:
    """A call answered at ``stamp`` (seconds on the database's clock), not written yet."""

    ask: Ask
    call: str
    stamp: float


logger = logging.getLogger(__name__)

#: How long a request holds its room without an answer before it is taken to have been counted
#: (its process died). Longer than any one HTTP attempt: the client's timeout applies per phase.
DEFAULT_HOLD = timedelta(minutes=2)
#: Seconds between two looks at the database while only other processes' answers can make room.
DEFAULT_POLL = 0.1
#: Seconds between two clean-ups of a budget's rows that no window counts any more.
PRUNE_EVERY = 60.0
#: Seconds an answer waits to be written with this process's next take before a task writes it:
#: a busy process records answers in its takes' transactions, one transaction per request.
ANSWER_DELAY = 0.005

#: Seconds a call counted from its send may leave after the moment written for it before that
#: moment is moved to its real departure (see ``SharedLimiter._departed``). Shorter delays are
#: left to the margin (50 ms by default), which keeps most of itself for the network's jitter:
#: moving every call by the few milliseconds a busy event loop takes would slow each window.
DEPARTURE_TOLERANCE = 0.02

#: Seconds before its moment a call waiting for a window reserves its room. While a sync writes a
#: page on SQLite (tens of milliseconds, with the transactions queued behind it), a take waits for
#: the write lock; taken at the moment itself it would leave that much late, and every call after
#: it in that window's chain with it.
RESERVE_AHEAD = 0.25
#: Takes one transaction tries, each at the moment the one before found room would come.
TAKES_PER_TRANSACTION = 4

#: A database, or a coroutine function opening it on first use (``client.database``).
DatabaseSource = Database | Callable[[], Awaitable[Database]]


class SharedLimiter:
    """A :class:`~unified_accounting.ratelimits.Limiter` whose windows live in ``database``.

    ``database`` is a :class:`~unified_accounting.storage.Database` or a coroutine function
    returning one (``client.database``: opened on first use). ``clock`` replaces the database's
    clock (:class:`~.clock.DatabaseClock`) and ``sleep`` the waiting, for tests
    (:class:`~unified_accounting.testing.LimiterTime`).
    """

    def __init__(
        self,
        database: DatabaseSource,
        *,
        hold: timedelta = DEFAULT_HOLD,
        poll: float = DEFAULT_POLL,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if hold <= timedelta(0) or poll <= 0:
            raise ValueError("a shared limiter needs a positive hold and poll interval")
        self._database = database
        self._db: Database | None = None
        self.hold = hold.total_seconds()
        self.poll = poll
        self.clock: Callable[[], float] = clock if clock is not None else DatabaseClock()
        self.sleep = sleep
        self._budgets: dict[LimitKey, tuple[str, str]] = {}
        self._turns: dict[tuple[LimitKey, frozenset[str]], asyncio.Lock] = {}
        self._released: dict[LimitKey, asyncio.Event] = {}
        self._pruned: dict[str, float] = {}
        self._lessons: list[Lesson] = []
        self._writing: asyncio.Task[None] | None = None
        self._answers: list[Answer] = []
        self._departures: list[Answer] = []
        self._answer_timer: asyncio.TimerHandle | None = None
        self._answering: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<SharedLimiter on {self._db!r}>" if self._db else "<SharedLimiter>"

    # ----------------------------------------------------------------------------------- clock

    @property
    def _error(self) -> float:
        return self.clock.error if isinstance(self.clock, DatabaseClock) else 0.0

    def _early(self) -> float:
        """Now, at the earliest: the moment windows are judged at."""
        return self.clock() - self._error

    def _late(self) -> float:
        """Now, at the latest: the moment written for a call."""
        return self.clock() + self._error

    async def database(self) -> Database:
        if self._db is None:
            given = self._database
            self._db = given if isinstance(given, Database) else await given()
        if isinstance(self.clock, DatabaseClock):
            await self.clock.synced(self._db)
        return self._db

    # ------------------------------------------------------------------------------------ slots

    def _ids(self, key: LimitKey) -> tuple[str, str]:
        """The ids of ``key``'s company budget and of its app's."""
        ids = self._budgets.get(key)
        if ids is None:
            ids = self._budgets[key] = (ledger.budget_id(key), ledger.budget_id(key.app_key))
        return ids

    def _ask(self, key: LimitKey, limits: RateLimits, kinds: frozenset[str]) -> Ask:
        company, app = self._ids(key)
        return Ask.of(company, app, limits, kinds)

    @contextlib.asynccontextmanager
    async def slot(
        self,
        key: LimitKey,
        limits: RateLimits,
        *,
        kinds: frozenset[str] | None = None,
        refuse: Refusal = default_refusal,
    ) -> AsyncIterator[None]:
        """Wait until one more request fits every window and the concurrency cap, in every process
        of the database, and hold its room until the block ends: then it is counted."""
        chosen = current_kinds() if kinds is None else kinds
        ask = self._ask(key, limits, chosen)
        call, stamp = await self._acquire(key, chosen, ask, refuse)
        try:
            if limits.count_from == "send":
                with counting_departure(functools.partial(self._departed, ask, call, stamp)):
                    yield
            else:
                yield
        finally:
            self._release(key, ask, call)

    async def _acquire(
        self, key: LimitKey, kinds: frozenset[str], ask: Ask, refuse: Refusal
    ) -> tuple[str, float]:
        """The call's id and the moment written for it, once it has room and that moment has come."""
        await self._lessons_written()
        turn = self._turns.get((key, kinds))
        if turn is None:
            turn = self._turns[(key, kinds)] = asyncio.Lock()
        async with turn:
            call, moment, stamp = await self._reserve(key, ask, refuse)
        # The next call of this process reserves its room while this one waits for its moment.
        try:
            if (ahead := moment - self.clock()) > 0:
                await self.sleep(ahead)
        except asyncio.CancelledError:
            db = await self.database()
            await db.transaction(self._forgetting(ask, call))
            raise
        self._departed(ask, call, stamp)  # at the latest now, if nobody says
        return call, stamp

    async def _reserve(self, key: LimitKey, ask: Ask, refuse: Refusal) -> tuple[str, float, float]:
        """Room for one call: its id, the moment on the clock it may leave at, and the stamp
        written for it. Once the windows say when room comes, it is reserved up to
        :data:`RESERVE_AHEAD` seconds before that moment, so that a write holding the database then
        (a page of a sync on SQLite) does not delay the call."""
        at: float | None = None  # the moment asked for; None: now
        while True:
            db = await self.database()
            released = self._release_event(key)
            call = secrets.token_hex(16)
            try:
                verdict, moment, stamp = await db.transaction(self._taking(db, ask, call, at))
            except asyncio.CancelledError:
                # The take may have committed before the cancellation got through.
                await db.transaction(self._forgetting(ask, call))
                raise
            if verdict is None:
                return call, moment, stamp
            if verdict.refused is not None:
                judged = moment - self._error
                raise refuse(verdict.refused, max(0.0, verdict.retry_after + judged - self._early()))
            if verdict.wait is None:
                await self._await_release(released)
                at = None
            elif verdict.wait == 0:
                # The counts and the take disagree: look again shortly, not at once.
                await self.sleep(self.poll)
                at = None
            else:
                at = moment + verdict.wait
                if (early := at - RESERVE_AHEAD - self.clock()) > 0:
                    await self.sleep(early)

    def _taking(
        self,
        db: Database,
        ask: Ask,
        call: str,
        at: float | None,
    ) -> Callable[[AsyncConnection], Awaitable[tuple[Verdict | None, float, float]]]:
        """The take: its verdict (``None`` once room is taken, else why not), the moment it was
        judged for and the stamp written. When room comes within :data:`RESERVE_AHEAD`, it is
        taken for then in the same transaction: every transaction may first wait for the
        database, and a call needing two would leave late."""

        async def take(conn: AsyncConnection) -> tuple[Verdict | None, float, float]:
            await self._recording(conn)  # answers of this process first: they may make room
            # The clock is read inside the transaction: on SQLite it may have waited for the lock,
            # past the moment asked for.
            moment = self.clock() if at is None else max(at, self.clock())
            tries = TAKES_PER_TRANSACTION
            while True:
                # Judged at the moment at the earliest, written for it at the latest.
                now, stamp = moment - self._error, moment + self._error
                found = await ledger.take(conn, db, ask, call, now=now, stamp=stamp, hold=self.hold)
                if found is None:
                    return None, moment, stamp
                # Judged at the take's own moment: a window that emptied since is no disagreement.
                verdict = ledger.verdict(ask, found, now)
                tries -= 1
                if (
                    not tries
                    or verdict.refused is not None
                    or not verdict.wait
                    or moment + verdict.wait - self.clock() > RESERVE_AHEAD
                ):
                    return verdict, moment, stamp
                moment += verdict.wait

        return take

    def _departed(self, ask: Ask, call: str, stamp: float) -> None:
        """A call counted from its send leaves only once its take has committed and its request
        has a connection, which in a busy process can be tens of milliseconds after the moment
        written for it, more than the margin: the provider, counting it on arrival, would then see
        the tenth call after it inside its window. Its moment is moved to when it really left
        (the HTTP layer says so: :func:`~unified_accounting.ratelimits.departing`), written with
        this process's next take, or soon after by a task."""
        if ask.limits.count_from != "send":
            return
        departed = self._late()
        if departed - stamp > DEPARTURE_TOLERANCE:
            self._departures.append(Answer(ask, call, departed + ask.limits.margin))
            self._write_soon()

    @staticmethod
    def _forgetting(ask: Ask, call: str) -> Callable[[AsyncConnection], Awaitable[None]]:
        async def forget(conn: AsyncConnection) -> None:
            await ledger.forget(conn, ask, call)

        return forget

    def _release_event(self, key: LimitKey) -> asyncio.Event:
        event = self._released.get(key)
        if event is None:
            event = self._released[key] = asyncio.Event()
        return event

    async def _await_release(self, released: asyncio.Event) -> None:
        """Until a call of this process ends, or ``poll`` seconds (another process's may have)."""
        if released.is_set():
            return
        waiters = {asyncio.ensure_future(released.wait()), asyncio.ensure_future(self.sleep(self.poll))}
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _release(self, key: LimitKey, ask: Ask, call: str) -> None:
        """The call was answered: written with this process's next take (one transaction for
        both), or by a task of its own :data:`ANSWER_DELAY` seconds later when no take comes."""
        self._answers.append(Answer(ask, call, self._late()))
        self._write_soon()
        # This process's waiters ask again at once: their take writes the answer before it counts.
        event = self._released.pop(key, None)
        if event is not None:
            event.set()

    def _write_soon(self) -> None:
        if self._answer_timer is None:
            loop = asyncio.get_running_loop()
            self._answer_timer = loop.call_later(ANSWER_DELAY, self._write_answers_soon)

    def _write_answers_soon(self) -> None:
        self._answer_timer = None
        if (self._answers or self._departures) and (self._answering is None or self._answering.done()):
            self._answering = asyncio.get_running_loop().create_task(
                self._write_answers(), name="ua-shared-limits-answers"
            )

    async def _write_answers(self) -> None:
        while self._answers or self._departures:
            try:
                db = await self.database()
                await db.transaction(self._recording)
            except Exception:
                # The holds expire by themselves: those calls are counted from then, late rather
                # than early.
                logger.warning("could not record the answers of rate-limited calls", exc_info=True)

    async def _recording(self, conn: AsyncConnection) -> None:
        """Write the answers not written yet, in the caller's transaction. They are taken from the
        queue only here, inside the transaction, and put back if it fails."""
        answers, self._answers = self._answers, []
        departures, self._departures = self._departures, []
        try:
            for departure in departures:
                await ledger.record_departure(conn, departure.ask, departure.call, moment=departure.stamp)
            for answer in answers:
                await ledger.record_answer(conn, answer.ask, answer.call, stamp=answer.stamp)
                company = answer.ask.company
                if answer.stamp - self._pruned.get(company, float("-inf")) >= PRUNE_EVERY:
                    self._pruned[company] = answer.stamp
                    await ledger.prune(conn, answer.ask, self._early())
        except BaseException:
            self._answers[:0] = answers
            self._departures[:0] = departures
            raise

    async def settle(self) -> None:
        """Write what this process knows and others do not yet: answers and what they told."""
        if self._answers or self._departures:
            db = await self.database()
            await db.transaction(self._recording)
        await self._lessons_written()

    # --------------------------------------------------------------------------------- learning

    def learn(self, key: LimitKey, limits: RateLimits, feedback: LimitFeedback) -> None:
        """Take in what an answer says about the provider's own count, for every process: written
        in a task of its own (this is called from synchronous code), before this process's next
        take of any budget."""
        if not feedback.remaining and feedback.retry_after is None:
            return
        company, app = self._ids(key)
        self._lessons.append(Lesson(company, app, limits, feedback, self._late()))
        with contextlib.suppress(RuntimeError):  # no loop running: the next take writes it
            if self._writing is None or self._writing.done():
                self._writing = asyncio.get_running_loop().create_task(
                    self._write_lessons(), name="ua-shared-limits-learn"
                )

    async def _write_lessons(self) -> None:
        while self._lessons:
            lessons, self._lessons = self._lessons, []
            try:
                db = await self.database()
                await db.transaction(self._teaching(db, lessons))
            except Exception:
                logger.warning(
                    "could not share what a provider's answer said about its limits", exc_info=True
                )

    @staticmethod
    def _teaching(db: Database, lessons: list[Lesson]) -> Callable[[AsyncConnection], Awaitable[None]]:
        async def write(conn: AsyncConnection) -> None:
            for lesson in lessons:
                await ledger.learn(conn, db, lesson)

        return write

    async def _lessons_written(self) -> None:
        if self._lessons and (self._writing is None or self._writing.done()):
            self._writing = asyncio.get_running_loop().create_task(self._write_lessons())
        if self._writing is not None and not self._writing.done():
            await asyncio.shield(self._writing)

    async def aclose(self) -> None:
        """Write what is not written yet (the client calls it when it closes)."""
        if self._answer_timer is not None:
            self._answer_timer.cancel()
            self._answer_timer = None
        if self._answering is not None:
            await asyncio.shield(self._answering)
        await self.settle()

    # ------------------------------------------------------------------------------ inspection

    async def in_flight(self, key: LimitKey) -> int:
        """Requests of ``key`` holding room now, in every process."""
        await self.settle()
        db = await self.database()
        ask = self._ask(key, RateLimits(), frozenset())
        async with db.read() as conn:
            return (await ledger.counts(conn, ask, self._early())).in_flight

    async def used(self, key: LimitKey, window: Window) -> int:
        """Calls ``window`` of ``key`` counts now in every process (in flight ones included)."""
        await self.settle()
        db = await self.database()
        kinds = frozenset() if window.kind is None else frozenset({window.kind})
        ask = self._ask(key, RateLimits(windows=(window,)), kinds)
        async with db.read() as conn:
            [count] = (await ledger.counts(conn, ask, self._early())).windows
            return count.calls


__all__ = ["DEFAULT_HOLD", "DEFAULT_POLL", "SharedLimiter"]
