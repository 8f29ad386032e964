"""Fixtures shared by the QuickBooks provider tests."""

from __future__ import annotations

import pytest
from unified_accounting_quickbooks.testing import QuickBooksHarness

from unified_accounting.testing import ProviderHarness


@pytest.fixture
def ua_harness() -> ProviderHarness:
    # Both tracking categories on, so that the kit lists, pages and reads them.
    return QuickBooksHarness(class_tracking="line", track_departments=True)
