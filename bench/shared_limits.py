"""What keeping rate-limit windows in the database costs each request, in CPU of this process.

In one run, for the same requests (QuickBooks' declared limits, one realm, kept full): the
process limiter (``RateLimiter``, windows in memory) and the shared limiter
(``SharedLimiter``: one short transaction to take a slot, one to record the answer) on a SQLite
file, and on PostgreSQL when ``UA_BENCH_POSTGRES_URL`` names a database. CPU time
(``time.process_time``) rather than wall time: the database's own work (PostgreSQL's server
process) is not this process's, and a busy machine does not change the figure much.

Prints CPU per request, the bound and the ratio against the process limiter; exits non-zero when
the shared limiter costs more than the bound (``--no-check`` only prints)::

    uv run --group dev python bench/shared_limits.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from unified_accounting.ratelimits import LimitKey, RateLimiter, RateLimits, Window
from unified_accounting.shared_limits import SharedLimiter
from unified_accounting.storage.database import Database
from unified_accounting.testing import LimiterTime

#: CPU of this process per request through the shared limiter, in milliseconds: one or two short
#: transactions (take a slot; record the answer, with the next take when one follows), each a few
#: round trips through the driver (an empty write transaction costs about 0.9 ms on SQLite).
#: Measured at about 1.6 ms on SQLite and 1.7 ms on PostgreSQL; the bound catches a regression such
#: as a transaction more, statements built per request, or a statement scanning every row.
BOUND_MS = 3.0
#: QuickBooks' declared limits (10 a second, 500 a minute, 10 at once), kept full: requests wait on
#: a fake clock (no real time passes), so the windows hold what they hold under real load.
LIMITS = RateLimits(
    windows=(Window("second", calls=10, seconds=1.0), Window("minute", calls=500, seconds=60.0)),
    concurrent=10,
)
KEY = LimitKey("quickbooks", "bench-app", "production", "9130355096301234")


async def _cpu_per_request(limiter: RateLimiter | SharedLimiter, requests: int) -> float:
    async def one() -> None:
        async with limiter.slot(KEY, LIMITS):
            await asyncio.sleep(0)

    for _ in range(20):  # warm-up: connections opened, statements compiled
        await one()
    start = time.process_time()
    for _ in range(requests):
        await one()
    return (time.process_time() - start) / requests


async def _shared(url: str, requests: int) -> float:
    db = await Database.open(url)
    fake = LimiterTime(now=1e9)
    limiter = SharedLimiter(db, clock=fake.clock, sleep=fake.sleep)
    try:
        return await _cpu_per_request(limiter, requests)
    finally:
        await limiter.aclose()
        await db.dispose()


async def main(requests: int, check: bool) -> int:
    fake = LimiterTime()
    process = await _cpu_per_request(RateLimiter(clock=fake.clock, sleep=fake.sleep), requests)
    print(f"process limiter        {process * 1e6:8.1f} µs CPU per request")
    stores = {}
    with tempfile.TemporaryDirectory() as directory:
        stores["SQLite"] = await _shared(f"sqlite:///{Path(directory) / 'limits.sqlite3'}", requests)
    postgres = os.environ.get("UA_BENCH_POSTGRES_URL")
    if postgres:
        stores["PostgreSQL"] = await _shared(postgres, requests)
    missed = False
    for store, cpu in stores.items():
        over = cpu * 1000 > BOUND_MS
        missed |= over
        print(
            f"shared ({store:10})    {cpu * 1e6:8.1f} µs CPU per request  bound {BOUND_MS * 1000:.0f} µs  "
            f"ratio to the process limiter {cpu / process:6.1f}x  {'MISSED' if over else 'ok'}"
        )
    if not postgres:
        print("(set UA_BENCH_POSTGRES_URL to measure PostgreSQL too)")
    return 1 if missed and check else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-check", action="store_true")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.requests, not arguments.no_check)))
