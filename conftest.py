"""Repository-wide pytest settings shared by the core and provider test suites."""

import pytest

from unified_accounting.ratelimits import RateLimiter


@pytest.fixture
def anyio_backend() -> str:
    # The library is asyncio-based (httpx, SQLAlchemy async); trio is not a target.
    return "asyncio"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(ua_fresh_rate_limits: RateLimiter) -> RateLimiter:
    # Emulators reuse company ids from test to test: each test starts as a fresh process would.
    return ua_fresh_rate_limits
