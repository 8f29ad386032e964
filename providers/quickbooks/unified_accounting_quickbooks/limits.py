"""QuickBooks' throttles, declared for the core's rate limiter.

Intuit limits each company *and app* to 500 requests a minute, 10 a second and 10 in flight at
once, and batch calls to 40 a minute. A 429 costs a minute of waiting, so every request waits for a
slot in these windows first (see ``unified_accounting.ratelimits``). QuickBooks counts a request
when it arrives; the limiter counts it from the moment its answer has been read, so it can never
let an eleventh request into a second QuickBooks counts ten in, however late a starved process
sends it (``limiter_counts_from`` chooses; docs/providers/quickbooks.md). QuickBooks sends no
remaining-calls headers: the windows alone pace the requests.
"""

from __future__ import annotations

from unified_accounting.ratelimits import RateLimits, Window

#: The kind batch calls are counted as (``counted_as(BATCH)``), for the batch window.
BATCH = "batch"

RATE_LIMITS = RateLimits(
    windows=(
        Window("second", calls=10, seconds=1.0),
        Window("minute", calls=500, seconds=60.0),
        Window(BATCH, calls=40, seconds=60.0, kind=BATCH),
    ),
    concurrent=10,
)
