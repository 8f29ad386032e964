"""Repository-wide pytest settings shared by the core and provider test suites.

Test tiers (markers registered in pyproject.toml; see docs/testing.md for the commands):
``mapping``, ``conformance``, ``cassette`` and ``postgres`` are given here from what a test is (a
codec test module, a ``ConformanceSuite`` class, a cassette module, the PostgreSQL parameter or
fixture); ``integration`` (servers, processes), ``browser`` and ``slow`` are written on the tests
(or, for an inherited conformance test, named in the suite class's ``slow_tests``).
"""

from __future__ import annotations

import pytest

from unified_accounting.ratelimits import RateLimiter
from unified_accounting.testing import ConformanceSuite

POSTGRES_FIXTURES = frozenset({"postgres_url", "postgres_server"})


@pytest.fixture
def anyio_backend() -> str:
    # The library is asyncio-based (httpx, SQLAlchemy async); trio is not a target.
    return "asyncio"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(ua_fresh_rate_limits: RateLimiter) -> RateLimiter:
    # Emulators reuse company ids from test to test: each test starts as a fresh process would.
    return ua_fresh_rate_limits


def tiers(item: pytest.Item) -> list[str]:
    """The tier markers a test gets from what it is."""
    found = []
    name = item.path.name
    if name.startswith("test_codec") or name == "test_models.py":
        found.append("mapping")
    cls = getattr(item, "cls", None)
    if isinstance(cls, type) and issubclass(cls, ConformanceSuite):
        found.append("conformance")
    if getattr(item, "originalname", None) in getattr(cls, "slow_tests", ()):
        found.append("slow")  # a provider's suite class names its tests that take seconds
    if name.startswith("test_cassette"):
        found.append("cassette")
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
    if on_postgres or POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
        found.append("postgres")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker in tiers(item):
            item.add_marker(marker)
