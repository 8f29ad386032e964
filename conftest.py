"""Repository-wide pytest settings shared by the core and provider test suites.

Test tiers (markers registered in pyproject.toml; see docs/testing.md for the commands):
``mapping``, ``conformance``, ``cassette`` and ``postgres`` are given here from what a test is (a
codec test module, a ``ConformanceSuite`` class, a cassette module, the PostgreSQL parameter or
fixture); ``integration`` (servers, processes), ``browser`` and ``slow`` are written on the tests
(or, for an inherited conformance test, named in the suite class's ``slow_tests``).

Under CI (``CI=true``) every collected test must run: a skip fails the run, naming its reason (a
missing chromium, say), so that a green CI never hides tests that did not run. Locally a skip stays
a skip, with the reason saying how to make the test run.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

from unified_accounting.ratelimits import RateLimiter
from unified_accounting.testing import ConformanceSuite

# The test plugin (Ledgerly) registers its provider only where the suite turns it on; the processes
# the tests start inherit this.
os.environ["UA_TEST_PLUGINS"] = "1"

#: Tests of the suite's own pytest machinery run pytest inside pytest.
pytest_plugins = ["pytester"]

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


def left_out(item: pytest.Item) -> str | None:
    """Why ``item`` is not part of this run (its ``deselect_if`` condition holds), or ``None``."""
    for marker in item.iter_markers("deselect_if"):
        condition = marker.args[0] if marker.args else marker.kwargs.get("condition", False)
        if condition:
            return str(marker.kwargs.get("reason", "deselect_if"))
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in tiers(item):
            item.add_marker(marker)
    # A test that cannot run in this mode (recording against a real provider, say) is left out as
    # deselected, not skipped: under CI no test may be skipped.
    dropped = [item for item in items if left_out(item) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if left_out(item) is None]


SKIPPED_UNDER_CI = "skipped under CI (CI=true), where every test must run"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _skip_reason(longrepr: Any) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason").
    return str(longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    # An expected failure is reported as skipped with ``wasxfail``: that is an outcome, not a skip.
    if report.skipped and under_ci() and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"{SKIPPED_UNDER_CI}: {_skip_reason(report.longrepr)}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    if report.skipped and under_ci():  # a whole module skipped (pytest.importorskip, say)
        report.outcome = "failed"
        report.longrepr = f"{SKIPPED_UNDER_CI}: {_skip_reason(report.longrepr)}"
    return report
