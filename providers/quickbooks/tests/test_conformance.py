"""QuickBooks passes the shared conformance suite against its emulator."""

from typing import ClassVar

from unified_accounting.testing import ConformanceSuite


class TestQuickBooksConformance(ConformanceSuite):
    #: Some forty calls through QuickBooks' limit of 10 a second: seconds of waiting (marked ``slow``).
    slow_tests: ClassVar[frozenset[str]] = frozenset({"test_ids_stay_inside_one_url_path_segment"})
