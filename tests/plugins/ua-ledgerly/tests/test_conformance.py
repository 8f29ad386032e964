"""Ledgerly passes the conformance suite exactly as any third-party provider would run it."""

from unified_accounting.testing import ConformanceSuite


class TestLedgerlyConformance(ConformanceSuite):
    pass
