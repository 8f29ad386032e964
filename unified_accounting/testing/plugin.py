"""pytest plugin (entry point ``pytest11``): fixtures for testing code built on unified-accounting.

It is loaded automatically wherever unified-accounting is installed and defines fixtures only;
nothing runs unless a test asks for them.
"""

from __future__ import annotations

import pytest

from .harness import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    """Override in your conftest.py to return your provider's :class:`ProviderHarness`."""
    raise pytest.UsageError(
        "the unified-accounting conformance suite needs a 'ua_harness' fixture returning your "
        "ProviderHarness subclass; define it in your conftest.py"
    )
