"""The statements of the shared limiter: take room, record an answer, learn, forget.

A request's room is a row per budget it spends (:data:`~.schema.rate_limit_calls`). A window of
``calls`` per ``seconds`` counts the rows whose ``moment`` lies within the last ``seconds``; a row
in flight carries its hold's expiry as moment, so it counts (holds room) until it is answered, and
a row whose process died counts until a window-span after that expiry. Taking room is one
conditional ``INSERT ... SELECT ... WHERE <every window has room> RETURNING``: the rows go in
only when the counts allow them, and what it returns says whether they did.

What makes the counts true at that moment. On SQLite the transaction begins with ``BEGIN
IMMEDIATE``, so takes of every process run one at a time. On PostgreSQL the take first waits for a
transaction-scoped advisory lock of each budget (the app's before the company's, always in that
order), and the ``INSERT`` that follows takes its snapshot after the lock is granted: it sees
every take committed before. Nothing is locked between transactions; no transaction spans the
request itself.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from ..ratelimits import LimitFeedback, LimitKey, RateLimits, Window
from ..ratelimits.windows import Verdict
from ..storage.database import Database
from .schema import rate_limit_calls, rate_limit_learned

#: The first key of the advisory locks taken here (PostgreSQL's two-key locks do not overlap the
#: one-key ones that migrations and job queues use).
LOCK_CLASS = 0x7561  # "ua"
#: ``window_name`` of what applies to the whole budget.
WHOLE_BUDGET = ""

calls = rate_limit_calls.c
learned = rate_limit_learned.c


def budget_id(key: LimitKey) -> str:
    """A budget's id: a digest of its key, the same in every process."""
    text = json.dumps([key.provider, key.app, key.realm, key.company], separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def lock_key(budget: str) -> int:
    """The budget's advisory lock (a signed 32-bit key)."""
    value = int(budget[:8], 16)
    return value - (1 << 32) if value >= 1 << 31 else value


def kinds_text(kinds: frozenset[str]) -> str:
    return "," + "".join(f"{kind}," for kind in sorted(kinds))


@dataclass(frozen=True)
class Ask:
    """What one request spends: the budgets, and each window that applies with its budget."""

    company: str
    #: The app's budget, when a window of ``scope="app"`` applies.
    app: str | None
    windows: tuple[tuple[Window, str], ...]
    kinds: str
    limits: RateLimits

    @classmethod
    def of(cls, company: str, app: str, limits: RateLimits, kinds: frozenset[str]) -> Ask:
        applying = tuple(
            (w, app if w.scope == "app" else company)
            for w in limits.windows
            if w.kind is None or w.kind in kinds
        )
        spends_app = any(w.scope == "app" for w, _ in applying)
        return cls(company, app if spends_app else None, applying, kinds_text(kinds), limits)

    @property
    def budgets(self) -> tuple[str, ...]:
        return (self.company,) if self.app is None else (self.company, self.app)

    @property
    def longest(self) -> float:
        return max((w.seconds for w, _ in self.windows), default=0.0)


@dataclass(frozen=True)
class WindowCount:
    """One window of one budget, as the database has it now."""

    #: Rows in the window, those in flight included.
    calls: int
    #: The earliest moment of a row that will not move (answered, counted at send, or expired).
    first_known: float | None
    #: The earliest moment of any row.
    first: float | None
    unseen: int = 0
    unseen_until: float | None = None
    blocked_until: float | None = None
    #: When the window is full: the moments of its oldest rows that will not move, as many as must
    #: leave for one more call to fit (fewer when not that many are known), oldest first.
    leaving: tuple[float, ...] = ()


@dataclass(frozen=True)
class Counts:
    windows: tuple[WindowCount, ...]
    in_flight: int
    #: A 429 that named no window blocks the whole company budget until then.
    blocked_until: float | None


# ------------------------------------------------------------------------------------ predicates


def _in_window(budget: str, window: Window, now: Any) -> ColumnElement[bool]:
    found = [calls.budget == budget, calls.moment > now - window.seconds]
    if window.kind is not None:
        found.append(calls.kinds.contains(f",{window.kind},", autoescape=True))
    return and_(*found)


def _final(now: float) -> ColumnElement[bool]:
    """Rows whose moment will not move: answered, counted at send, or whose hold expired."""
    return or_(calls.held_until.is_(None), calls.held_until <= now, calls.moment < calls.held_until)


def _count(where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(rate_limit_calls).where(where).scalar_subquery()


def _unseen(budget: str, window: Window, now: Any) -> Any:
    found = (
        select(learned.unseen)
        .where(learned.budget == budget, learned.window_name == window.name, learned.unseen_until > now)
        .scalar_subquery()
    )
    return func.coalesce(found, 0)


def _in_flight(budget: str, now: Any) -> Any:
    return _count(and_(calls.budget == budget, calls.held_until > now))


def _room(ask: Ask, now: Any) -> ColumnElement[bool]:
    """Every window has room for one more, nothing blocks, the concurrency cap is not reached."""
    blocks = [and_(learned.budget == budget, learned.window_name == w.name) for w, budget in ask.windows]
    blocks.append(and_(learned.budget == ask.company, learned.window_name == WHOLE_BUDGET))
    conditions: list[ColumnElement[bool]] = [
        ~exists().where(learned.blocked_until > now, or_(*blocks)),
    ]
    for window, budget in ask.windows:
        used = _count(_in_window(budget, window, now)) + _unseen(budget, window, now)
        conditions.append(used < window.calls)
    if ask.limits.concurrent is not None:
        conditions.append(_in_flight(ask.company, now) < ask.limits.concurrent)
    return and_(*conditions)


# ------------------------------------------------------------------------------------ statements


async def _lock(conn: AsyncConnection, db: Database, ask: Ask) -> None:
    if db.dialect != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the database's one write lock
    # App before company, always: two takes never wait for each other's second lock.
    for budget in reversed(ask.budgets):
        await conn.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, lock_key(budget))))


#: The values a take is run with; its statement is built once per ``Ask`` (:func:`_take_statement`).
NOW: BindParameter[float] = bindparam("b_now", type_=Double())
CALL = bindparam("b_call", type_=String())
MOMENT: BindParameter[float] = bindparam("b_moment", type_=Double())
HELD_UNTIL: BindParameter[float] = bindparam("b_held_until", type_=Double())


@functools.lru_cache(maxsize=512)
def _take_statement(ask: Ask) -> Any:
    """``INSERT`` the call's row in each budget ``WHERE`` there is room, ``RETURNING`` them.

    Built once per kind of request (an ``Ask`` is its budgets, windows and kinds): building and
    keying a statement this size costs more CPU than running it."""
    room = _room(ask, NOW)
    rows = [
        select(
            literal(budget).label("budget"),
            CALL.label("call"),
            literal(ask.kinds).label("kinds"),
            MOMENT.label("moment"),
            HELD_UNTIL.label("held_until"),
        ).where(room)
        for budget in ask.budgets
    ]
    chosen = rows[0] if len(rows) == 1 else union_all(*rows)
    return (
        rate_limit_calls.insert()
        .from_select(["budget", "call", "kinds", "moment", "held_until"], chosen)
        .returning(calls.budget)  # SQLAlchemy leaves an INSERT's row count unknown on PostgreSQL
    )


async def take(
    conn: AsyncConnection, db: Database, ask: Ask, call: str, *, now: float, stamp: float, hold: float
) -> Counts | None:
    """Insert ``call``'s rows if every window has room (``None``), else say why not (the counts).

    ``now`` is the moment the windows are judged at, ``stamp`` the moment written for the call
    (``now`` plus the clock's error: late rather than early); it holds room until ``stamp + hold``.
    """
    await _lock(conn, db, ask)
    held_until = stamp + hold
    moment = held_until if ask.limits.count_from == "answer" else stamp + ask.limits.margin
    values = {"b_now": now, "b_call": call, "b_moment": moment, "b_held_until": held_until}
    inserted = await conn.execute(_take_statement(ask), values)
    if inserted.first() is not None:
        return None
    return await counts(conn, ask, now)


async def counts(conn: AsyncConnection, ask: Ask, now: float) -> Counts:
    """What every window of ``ask`` holds now, and what answers told about them."""
    columns: list[Any] = [_in_flight(ask.company, now)]
    for window, budget in ask.windows:
        inside = _in_window(budget, window, now)
        columns += [
            _count(inside),
            select(func.min(calls.moment)).where(inside, _final(now)).scalar_subquery(),
            select(func.min(calls.moment)).where(inside).scalar_subquery(),
        ]
    row = (await conn.execute(select(*columns))).one()
    told = {
        (r.budget, r.window_name): r
        for r in await conn.execute(select(rate_limit_learned).where(learned.budget.in_(ask.budgets)))
    }
    found = []
    for index, (window, budget) in enumerate(ask.windows):
        used, first_known, first = row[1 + 3 * index : 4 + 3 * index]
        lesson = told.get((budget, window.name))
        count = WindowCount(
            calls=int(used),
            first_known=first_known,
            first=first,
            unseen=lesson.unseen if lesson is not None else 0,
            unseen_until=lesson.unseen_until if lesson is not None else None,
            blocked_until=lesson.blocked_until if lesson is not None else None,
        )
        # A window may hold more calls than it allows (those reserved ahead of their moment are
        # counted already): then several must leave, not only the oldest, before one more fits.
        over = count.calls + _unseen_now(count, now) - window.calls
        if over > 0 and first_known is not None:
            oldest = (
                select(calls.moment)
                .where(_in_window(budget, window, now), _final(now))
                .order_by(calls.moment)
                .limit(over + 1)
            )
            count = replace(count, leaving=tuple((await conn.execute(oldest)).scalars()))
        found.append(count)
    whole = told.get((ask.company, WHOLE_BUDGET))
    return Counts(tuple(found), int(row[0]), whole.blocked_until if whole is not None else None)


@functools.lru_cache(maxsize=512)
def _answer_statement(budgets: tuple[str, ...], counted_from_answer: bool) -> Any:
    values: dict[str, Any] = {"held_until": None}
    if counted_from_answer:
        values["moment"] = MOMENT
    return update(rate_limit_calls).where(calls.budget.in_(budgets), calls.call == CALL).values(**values)


async def record_answer(conn: AsyncConnection, ask: Ask, call: str, *, stamp: float) -> None:
    """The call was answered at ``stamp``: no longer in flight, and (``count_from="answer"``)
    counted from then."""
    counted_from_answer = ask.limits.count_from == "answer"
    values = {"b_call": call, "b_moment": stamp} if counted_from_answer else {"b_call": call}
    await conn.execute(_answer_statement(ask.budgets, counted_from_answer), values)


async def record_departure(conn: AsyncConnection, ask: Ask, call: str, *, moment: float) -> None:
    """The call, counted from its send, left later than the moment written for it: counted from
    ``moment`` (its departure plus the margin) instead."""
    await conn.execute(
        update(rate_limit_calls)
        .where(calls.budget.in_(ask.budgets), calls.call == call, calls.moment < moment)
        .values(moment=moment)
    )


async def forget(conn: AsyncConnection, ask: Ask, call: str) -> None:
    """The call's rows, taken for a request that was never sent, are gone."""
    await conn.execute(delete(rate_limit_calls).where(calls.budget.in_(ask.budgets), calls.call == call))


async def prune(conn: AsyncConnection, ask: Ask, now: float) -> None:
    """Rows of ``ask``'s budgets that no window counts any more are gone."""
    await conn.execute(
        delete(rate_limit_calls).where(calls.budget.in_(ask.budgets), calls.moment <= now - ask.longest)
    )


# -------------------------------------------------------------------------------------- learning


@dataclass(frozen=True)
class Lesson:
    """What one answer told (``LimitFeedback``), with the budgets it speaks of and when."""

    company: str
    app: str
    limits: RateLimits
    feedback: LimitFeedback
    now: float


async def learn(conn: AsyncConnection, db: Database, lesson: Lesson) -> None:
    """Record a lesson the way :meth:`RateLimiter.learn` takes it in, for every process."""
    now, limits = lesson.now, lesson.limits
    for name, remaining in lesson.feedback.remaining.items():
        declared = limits.window(name)
        if declared is None:
            continue
        budget = lesson.app if declared.scope == "app" else lesson.company
        final = and_(_in_window(budget, declared, now), _final(now))
        # Whatever the provider counted beyond the calls recorded here was made elsewhere; it is
        # taken to leave when the oldest recorded call does (a full span from now when none is).
        unseen = declared.calls - max(remaining, 0) - _count(final)
        oldest = select(func.min(calls.moment)).where(final).scalar_subquery()
        statement = db.insert(rate_limit_learned).values(
            budget=budget,
            window_name=declared.name,
            unseen=case((unseen > 0, unseen), else_=0),
            unseen_until=func.coalesce(oldest + declared.seconds, now + declared.seconds),
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[learned.budget, learned.window_name],
                set_={"unseen": statement.excluded.unseen, "unseen_until": statement.excluded.unseen_until},
            )
        )
    if lesson.feedback.retry_after is None:
        return
    until = now + lesson.feedback.retry_after
    named = limits.window(lesson.feedback.exceeded) if lesson.feedback.exceeded else None
    budget = lesson.company if named is None or named.scope == "company" else lesson.app
    statement = db.insert(rate_limit_learned).values(
        budget=budget,
        window_name=WHOLE_BUDGET if named is None else named.name,
        blocked_until=until,
        unseen=0,
    )
    later = case(
        (func.coalesce(learned.blocked_until, 0) > statement.excluded.blocked_until, learned.blocked_until),
        else_=statement.excluded.blocked_until,
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[learned.budget, learned.window_name], set_={"blocked_until": later}
        )
    )


# -------------------------------------------------------------------------------------- judgment


def verdict(ask: Ask, found: Counts, now: float) -> Verdict:
    """Why a take found no room: how long to wait (``None``: until a call in flight is answered),
    or the ``when_full="refuse"`` window that refuses it — the rules of the process limiter
    (:meth:`~unified_accounting.ratelimits.windows.Windows.reserve`) applied to the shared counts."""
    waits: list[float | None] = []
    for (declared, _), count in zip(ask.windows, found.windows, strict=True):
        wait = _wait(declared, count, now)
        if declared.when_full == "refuse" and wait != 0:
            return Verdict(
                refused=declared, retry_after=wait if wait else _frees_at(declared, count, now) - now
            )
        waits.append(wait)
    waits.append(max(0.0, (found.blocked_until or 0.0) - now))
    if ask.limits.concurrent is not None and found.in_flight >= ask.limits.concurrent:
        waits.append(None)
    if None in waits:
        return Verdict(wait=None)
    return Verdict(wait=max(w for w in waits if w is not None))


def _unseen_now(count: WindowCount, now: float) -> int:
    return count.unseen if count.unseen and (count.unseen_until or 0.0) > now else 0


def _departures(declared: Window, count: WindowCount, now: float, first: float | None) -> Sequence[float]:
    found = [first + declared.seconds] if first is not None else []
    if _unseen_now(count, now) and count.unseen_until is not None:
        found.append(count.unseen_until)
    return found


def _wait(declared: Window, count: WindowCount, now: float) -> float | None:
    blocked = max(0.0, (count.blocked_until or 0.0) - now)
    unseen = _unseen_now(count, now)
    if count.calls + unseen < declared.calls:
        return blocked
    # Full: room comes when enough calls whose moment is final have left (one, unless the window
    # holds more than it allows); a window full of calls in flight frees only when one is answered
    # (no time is known: wait for a release).
    must_leave = count.calls + unseen - declared.calls + 1
    final = count.leaving or ((count.first_known,) if count.first_known is not None else ())
    known = sorted(
        [moment + declared.seconds for moment in final]
        + ([count.unseen_until] * unseen if count.unseen_until is not None else [])
    )
    if len(known) >= must_leave:
        return max(known[must_leave - 1] - now, blocked)
    if not known:
        return blocked or None
    return max(known[0] - now, blocked)  # not enough known: look again when the first leaves


def _frees_at(declared: Window, count: WindowCount, now: float) -> float:
    departures = _departures(declared, count, now, count.first)
    return min(departures) if departures else now + declared.seconds


__all__ = [
    "Ask",
    "Counts",
    "Lesson",
    "WindowCount",
    "budget_id",
    "counts",
    "forget",
    "learn",
    "lock_key",
    "prune",
    "record_answer",
    "take",
    "verdict",
]
