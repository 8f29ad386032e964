import pytest
from ua_ledgerly.testing import LedgerlyHarness

from unified_accounting.testing import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    return LedgerlyHarness()
