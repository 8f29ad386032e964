from __future__ import annotations

import pytest
from unified_accounting_xero.testing import XeroHarness

from unified_accounting.testing import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    return XeroHarness()
