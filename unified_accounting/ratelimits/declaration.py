"""What a provider declares about its rate limits, and what it learns from the provider's answers."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ..settings import ProviderSettings

Scope = Literal["company", "app"]
CountFrom = Literal["answer", "send"]


@dataclass(frozen=True)
class Window:
    """At most ``calls`` requests in any ``seconds``-long span."""

    #: Names the window in settings overrides, in :class:`LimitFeedback` and in refusals.
    name: str
    calls: int
    seconds: float
    #: ``"company"``: one budget per app and company; ``"app"``: one budget per app across its
    #: companies (Xero's 10,000 calls a minute).
    scope: Scope = "company"
    #: Only requests sent under ``counted_as(kind)`` count (QuickBooks' batch calls); ``None``: all.
    kind: str | None = None
    #: A full window makes a request ``"wait"`` for room, or ``"refuse"`` it at once with
    #: ``RateLimited`` — for windows too long to wait out inside a call, such as a daily budget.
    when_full: Literal["wait", "refuse"] = "wait"

    def __post_init__(self) -> None:
        if self.calls < 1 or not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError(f"rate-limit window {self.name!r} needs calls >= 1 and a positive span")


@dataclass(frozen=True)
class RateLimits:
    """A provider's limits (``Provider.rate_limits``), enforced before the provider answers 429."""

    windows: tuple[Window, ...] = ()
    #: Requests in flight at once, per app and company (``None``: no cap).
    concurrent: int | None = None
    #: When a request enters the windows. ``"answer"``: room is held from the moment it takes its
    #: slot, and it is counted when its answer has been read — never before the provider saw it,
    #: however late a starved process sends it. ``"send"``: counted when it takes its slot, stamped
    #: ``margin`` seconds later; faster, but early if the send itself is delayed.
    count_from: CountFrom = "answer"
    #: With ``count_from="send"``: seconds added to the send time, covering network-delay jitter.
    margin: float = 0.05

    def window(self, name: str) -> Window | None:
        return next((w for w in self.windows if w.name == name), None)

    def adjusted(
        self,
        *,
        calls: Mapping[str, int | None] | None = None,
        concurrent: int | None = None,
        count_from: CountFrom | None = None,
        margin: float | None = None,
    ) -> RateLimits:
        """These limits with settings overrides applied; ``None`` keeps the declared value."""
        overrides = {name: value for name, value in (calls or {}).items() if value is not None}
        unknown = sorted(set(overrides) - {w.name for w in self.windows})
        if unknown:
            raise ValueError(f"no rate-limit window named {', '.join(unknown)}")
        return replace(
            self,
            windows=tuple(replace(w, calls=overrides.get(w.name, w.calls)) for w in self.windows),
            concurrent=self.concurrent if concurrent is None else concurrent,
            count_from=count_from or self.count_from,
            margin=self.margin if margin is None else margin,
        )


@dataclass(frozen=True)
class LimitFeedback:
    """What one answer says about the provider's own count (``Provider.rate_limit_feedback``)."""

    #: Window name → calls the provider says are left in it (they count other processes' calls too).
    remaining: Mapping[str, int] = field(default_factory=dict)
    #: A 429's wait, in seconds.
    retry_after: float | None = None
    #: The window a 429 names; ``None`` with ``retry_after``: the whole company waits.
    exceeded: str | None = None


@dataclass(frozen=True)
class LimitKey:
    """Whose budget a request spends: the provider's, for one app (OAuth client id) and company.

    ``realm`` separates environments (sandbox and production companies are limited apart) and the
    ``base_url`` that stands in for the provider's hosts (each emulator is its own provider).
    """

    provider: str
    app: str
    realm: str
    company: str

    @classmethod
    def of(cls, provider: str, settings: ProviderSettings, company_id: str) -> LimitKey:
        return cls(provider, settings.client_id or "", settings.base_url or settings.environment, company_id)

    @property
    def app_key(self) -> LimitKey:
        """The key of the app-wide windows: the same, without the company."""
        return replace(self, company="")


_kinds: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "ua_rate_limit_kinds", default=frozenset()
)


@contextlib.contextmanager
def counted_as(*kinds: str) -> Iterator[None]:
    """Requests sent in this block also spend the windows declared for ``kinds`` (``Window.kind``)."""
    token = _kinds.set(_kinds.get() | frozenset(kinds))
    try:
        yield
    finally:
        _kinds.reset(token)


def current_kinds() -> frozenset[str]:
    return _kinds.get()


__all__ = ["LimitFeedback", "LimitKey", "RateLimits", "Window", "counted_as", "current_kinds"]
