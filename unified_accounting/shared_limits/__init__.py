"""Rate-limit windows shared by every process of one database.

:class:`SharedLimiter` implements :class:`~unified_accounting.ratelimits.Limiter` with the
process limiter's rules — declared windows, concurrency, count when answered, refuse what cannot
be waited out, learn from answers — over rows in the database (:mod:`.schema`), so that workers,
``ua serve`` and a product's web processes calling one company stay under its limits together.
Moments are the database's clock (:mod:`.clock`). Sharing rules: ``docs/scale.md``.
"""

from .clock import DatabaseClock
from .limiter import DEFAULT_HOLD, DEFAULT_POLL, SharedLimiter

__all__ = ["DEFAULT_HOLD", "DEFAULT_POLL", "DatabaseClock", "SharedLimiter"]
