"""pytest plugin (entry point ``pytest11``): fixtures for testing code built on unified-accounting.

It is loaded automatically wherever unified-accounting is installed and defines fixtures; its one
hook deselects conformance-suite tests the provider under test declares too little for (nothing
else is touched), so nothing runs unless a test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..ratelimits import RateLimiter, process_limiter
from .conformance import deselect_undeclared
from .harness import ProviderHarness
from .limits import LimiterTime


@pytest.fixture
def ua_harness() -> ProviderHarness:
    """Override in your conftest.py to return your provider's :class:`ProviderHarness`."""
    raise pytest.UsageError(
        "the unified-accounting conformance suite needs a 'ua_harness' fixture returning your "
        "ProviderHarness subclass; define it in your conftest.py"
    )


@pytest.fixture
def ua_fresh_rate_limits() -> Iterator[RateLimiter]:
    """The process's rate limiter with no budget spent, before and after the test.

    Budgets are per process and keyed by provider, app, realm and company, so tests that reuse an
    emulator's company ids would otherwise spend one another's budgets. Make it autouse in your
    conftest.py (``@pytest.fixture(autouse=True)`` wrapping it) to start every test fresh.
    """
    limiter = process_limiter()
    limiter.reset()
    yield limiter
    limiter.reset()


@pytest.fixture
def ua_limiter_time(ua_fresh_rate_limits: RateLimiter, monkeypatch: pytest.MonkeyPatch) -> LimiterTime:
    """The process's rate limiter, fresh, on a :class:`LimiterTime` clock for this test: a request
    that has to wait for its slot does so at once, and ``slept`` says how long it waited."""
    time = LimiterTime()
    monkeypatch.setattr(ua_fresh_rate_limits, "clock", time.clock)
    monkeypatch.setattr(ua_fresh_rate_limits, "sleep", time.sleep)
    return time


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Conformance tests the provider under test declares too little for are generated once and
    # dropped here, so they show as deselected rather than skipped (see testing.conformance).
    deselect_undeclared(config, items)
