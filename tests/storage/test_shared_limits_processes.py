"""The shared rate limiter across real processes: a process that dies holding a slot.

A child process takes the only slot of a budget and exits without releasing it (``os._exit``:
nothing is cleaned up, as when a worker is killed). This process then waits for the slot on the
real clock until the child's hold expires — a couple of seconds, hence the tiers.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from datetime import timedelta
from subprocess import PIPE

import pytest

from unified_accounting.ratelimits import LimitKey, RateLimits, Window
from unified_accounting.shared_limits import SharedLimiter
from unified_accounting.storage.database import Database

pytestmark = [pytest.mark.anyio, pytest.mark.integration, pytest.mark.slow]

HOLD_SECONDS = 2
CHILD = textwrap.dedent(
    f"""
    import asyncio, os, sys
    from datetime import timedelta
    from unified_accounting.ratelimits import LimitKey, RateLimits, Window
    from unified_accounting.shared_limits import SharedLimiter
    from unified_accounting.storage.database import Database

    async def main(url):
        limiter = SharedLimiter(await Database.open(url), hold=timedelta(seconds={HOLD_SECONDS}))
        limits = RateLimits(windows=(Window("minute", calls=100, seconds=60.0),), concurrent=1)
        await limiter.slot(LimitKey("acme", "app", "production", "company"), limits).__aenter__()
        print("held", flush=True)
        os._exit(3)  # killed mid-request: no release, no clean-up

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_slot_held_by_a_process_that_died_is_freed_when_its_hold_expires(database_url: str) -> None:
    db = await Database.open(database_url)  # migrated before the child opens it
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, database_url, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(child.communicate(), timeout=120)
        assert child.returncode == 3 and out.decode().strip() == "held", err.decode()
        key = LimitKey("acme", "app", "production", "company")
        limits = RateLimits(windows=(Window("minute", calls=100, seconds=60.0),), concurrent=1)
        limiter = SharedLimiter(db, hold=timedelta(seconds=30))
        assert await limiter.in_flight(key) == 1  # the dead child's request still holds the slot
        # Bounded, so that a hold that never expires fails the test instead of hanging it.
        async with asyncio.timeout(60), limiter.slot(key, limits):
            assert await limiter.in_flight(key) == 1  # this one: the child's hold has expired
        # The child's request may have reached the provider: it still counts in the window.
        assert await limiter.used(key, limits.windows[0]) == 2
        await limiter.aclose()
    finally:
        await db.dispose()
