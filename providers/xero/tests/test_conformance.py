"""The Xero provider passes the conformance suite against its emulator."""

from unified_accounting.testing import ConformanceSuite


class TestXeroConformance(ConformanceSuite):
    pass
