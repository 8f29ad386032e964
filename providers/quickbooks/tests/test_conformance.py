"""QuickBooks passes the shared conformance suite against its emulator."""

from unified_accounting.testing import ConformanceSuite


class TestQuickBooksConformance(ConformanceSuite):
    pass
