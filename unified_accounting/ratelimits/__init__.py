"""Client-side rate limiting that every provider declares instead of rebuilding.

A provider states its limits as :class:`RateLimits` (``Provider.rate_limits``), says what its
answers reveal about the provider's own count through ``Provider.rate_limit_feedback``, and the
core does the rest: every request waits for a slot in each window of its budget, in the limiter its
client chose — :func:`process_limiter`, shared by every client of the process, or the
:class:`~unified_accounting.shared_limits.SharedLimiter` of a database vault, shared by every
process using the database. Budgets are keyed by :class:`LimitKey` — provider, app (OAuth client
id), realm and company. Sharing rules: ``docs/scale.md``.
"""

from .declaration import LimitFeedback, LimitKey, RateLimits, Window, counted_as, current_kinds
from .limiter import (
    Limiter,
    RateLimiter,
    Refusal,
    Unlimited,
    counting_departure,
    default_refusal,
    departing,
    flow_limiter,
    limiting_flow,
    process_limiter,
)

__all__ = [
    "LimitFeedback",
    "LimitKey",
    "Limiter",
    "RateLimiter",
    "RateLimits",
    "Refusal",
    "Unlimited",
    "Window",
    "counted_as",
    "counting_departure",
    "current_kinds",
    "default_refusal",
    "departing",
    "flow_limiter",
    "limiting_flow",
    "process_limiter",
]
