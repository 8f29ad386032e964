from __future__ import annotations

from collections.abc import Iterator

import pytest
from unified_accounting_xero.testing import XeroHarness

from unified_accounting.plugins import get_provider
from unified_accounting.testing import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    return XeroHarness()


@pytest.fixture(autouse=True)
def forget_organisations() -> Iterator[None]:
    """The provider keeps what it read of an organisation for minutes, keyed by app and tenant:
    emulators made with the same seed (and replayed cassettes) share tenant ids, so each test starts
    with nothing kept."""
    provider = get_provider("xero")
    provider.forget()  # type: ignore[attr-defined]
    yield
    provider.forget()  # type: ignore[attr-defined]
