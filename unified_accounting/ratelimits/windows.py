"""The counting behind the limiter: rolling windows of calls, per budget, in this process.

Not thread-safe on its own: :class:`~unified_accounting.ratelimits.limiter.RateLimiter` holds a lock
around every use. Times are the limiter's clock (monotonic seconds).

A window keeps the moments its calls were counted, in buckets of ``span / 1000`` seconds, so a
daily budget costs a thousand entries rather than one per call. A call is stamped with the latest
moment of its bucket: it leaves the window at most one bucket late, never early.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .declaration import LimitFeedback, LimitKey, RateLimits, Window

#: Buckets per window span: the resolution of the counting (1 ms for a one-second window).
BUCKETS_PER_SPAN = 1000


@dataclass(slots=True)
class _Bucket:
    moment: float
    calls: int


class WindowState:
    """One window of one budget: counted calls, calls in flight, and what the provider told."""

    def __init__(self, span: float) -> None:
        self.span = span
        self.granularity = span / BUCKETS_PER_SPAN
        self.buckets: deque[_Bucket] = deque()
        self.counted = 0
        #: Calls holding a slot, not counted yet (``count_from="answer"``): room is kept for them.
        self.in_flight = 0
        #: No call may start before this moment (a 429's ``Retry-After``).
        self.blocked_until = 0.0
        #: Calls the provider counted that this process did not make (other processes'), and when
        #: they are taken to leave the window.
        self.unseen = 0
        self.unseen_until = 0.0

    def count(self, moment: float) -> None:
        last = self.buckets[-1] if self.buckets else None
        if last is not None and moment - last.moment <= self.granularity:
            last.moment = max(last.moment, moment)
            last.calls += 1
        else:
            self.buckets.append(_Bucket(moment, 1))
        self.counted += 1

    def prune(self, now: float) -> None:
        while self.buckets and self.buckets[0].moment <= now - self.span:
            self.counted -= self.buckets.popleft().calls
        if self.unseen and now >= self.unseen_until:
            self.unseen = 0

    def used(self, now: float) -> int:
        self.prune(now)
        return self.counted + self.unseen

    def _departure(self, need: int) -> float:
        """When the ``need``-th call to leave the window leaves it (``need`` <= calls in it)."""
        unseen, gone = self.unseen, 0
        for bucket in self.buckets:
            leaves = bucket.moment + self.span
            if unseen and self.unseen_until <= leaves:
                gone, unseen = gone + unseen, 0
                if gone >= need:
                    return self.unseen_until
            gone += bucket.calls
            if gone >= need:
                return leaves
        return self.unseen_until

    def frees_at(self, now: float) -> float:
        """When the oldest call leaves (a full span from now when none is counted)."""
        return self._departure(1) if self.used(now) else now + self.span

    def wait(self, now: float, limit: int, busy: int) -> float | None:
        """Seconds until one more call fits beside ``busy`` calls in flight; ``None`` when only
        their answers can make room (they are not counted yet, so no time is known)."""
        used = self.used(now)
        blocked = max(0.0, self.blocked_until - now)
        room = limit - busy
        if used < room:
            return blocked
        if room <= 0:
            return blocked or None
        return max(self._departure(used - room + 1) - now, blocked)

    def learn_remaining(self, now: float, limit: int, remaining: int) -> None:
        """The provider says ``remaining`` calls are left: whatever it counted beyond this
        process's own calls was made elsewhere. Those calls are taken to leave when this window's
        oldest call does (a full span from now when there is none): the provider's oldest call
        is no younger than ours. The latest answer replaces what an earlier one said."""
        self.prune(now)
        self.unseen = 0
        unseen = limit - self.counted - max(remaining, 0)
        if unseen > 0:
            self.unseen_until = self.frees_at(now)
            self.unseen = unseen


@dataclass
class _Budget:
    windows: dict[tuple[str, float], WindowState] = field(default_factory=dict)
    in_flight: int = 0
    blocked_until: float = 0.0

    def window(self, declared: Window) -> WindowState:
        key = (declared.name, declared.seconds)
        state = self.windows.get(key)
        if state is None:
            state = self.windows[key] = WindowState(declared.seconds)
        return state


@dataclass(frozen=True)
class Verdict:
    """The answer to "may one more call start now?"."""

    #: 0: the slot is taken. Otherwise the seconds to wait before asking again, ``None`` when only
    #: an answer to a call in flight can make room (wait for a release).
    wait: float | None = 0.0
    #: A full ``when_full="refuse"`` window, and when it frees.
    refused: Window | None = None
    retry_after: float = 0.0


class Windows:
    """Every budget's windows in this process, by :class:`LimitKey` (app-wide ones by its app key)."""

    def __init__(self) -> None:
        self._budgets: dict[LimitKey, _Budget] = {}

    def budget(self, key: LimitKey) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = _Budget()
        return budget

    def peek(self, key: LimitKey) -> _Budget | None:
        return self._budgets.get(key)

    def _applying(
        self, key: LimitKey, limits: RateLimits, kinds: frozenset[str]
    ) -> list[tuple[Window, WindowState]]:
        return [
            (w, self.budget(key.app_key if w.scope == "app" else key).window(w))
            for w in limits.windows
            if w.kind is None or w.kind in kinds
        ]

    def reserve(self, key: LimitKey, limits: RateLimits, kinds: frozenset[str], now: float) -> Verdict:
        company = self.budget(key)
        applying = self._applying(key, limits, kinds)
        keeps_room = limits.count_from == "answer"
        waits: list[float | None] = []
        for declared, state in applying:
            wait = state.wait(now, declared.calls, state.in_flight if keeps_room else 0)
            if declared.when_full == "refuse" and wait != 0:
                return Verdict(refused=declared, retry_after=wait if wait else state.frees_at(now) - now)
            waits.append(wait)
        waits.append(max(0.0, company.blocked_until - now))
        if limits.concurrent is not None and company.in_flight >= limits.concurrent:
            waits.append(None)
        if None in waits:
            return Verdict(wait=None)
        longest = max(w for w in waits if w is not None)
        if longest > 0:
            return Verdict(wait=longest)
        company.in_flight += 1
        for _, state in applying:
            state.in_flight += 1
            if not keeps_room:
                state.count(now + limits.margin)
        return Verdict()

    def release(self, key: LimitKey, limits: RateLimits, kinds: frozenset[str], now: float) -> None:
        # Never below zero: a call that took its slot before the state was cleared ends after.
        company = self.budget(key)
        company.in_flight = max(0, company.in_flight - 1)
        for _, state in self._applying(key, limits, kinds):
            state.in_flight = max(0, state.in_flight - 1)
            if limits.count_from == "answer":
                state.count(now)

    def learn(self, key: LimitKey, limits: RateLimits, feedback: LimitFeedback, now: float) -> None:
        for name, remaining in feedback.remaining.items():
            declared = limits.window(name)
            if declared is not None:
                state = self.budget(key.app_key if declared.scope == "app" else key).window(declared)
                state.learn_remaining(now, declared.calls, remaining)
        if feedback.retry_after is None:
            return
        until = now + feedback.retry_after
        declared = limits.window(feedback.exceeded) if feedback.exceeded else None
        if declared is None:
            company = self.budget(key)
            company.blocked_until = max(company.blocked_until, until)
        else:
            state = self.budget(key.app_key if declared.scope == "app" else key).window(declared)
            state.blocked_until = max(state.blocked_until, until)

    def clear(self) -> None:
        self._budgets.clear()


__all__ = ["Verdict", "WindowState", "Windows"]
