"""Testing tools for provider authors and product code: the conformance suite and its harness."""

from .conformance import ConformanceEnv, ConformanceSuite, client_options
from .flavours import FlavouredClient, FlavouredResource
from .harness import EmulatorGrant, ProviderHarness
from .limits import LimiterTime

__all__ = [
    "ConformanceEnv",
    "ConformanceSuite",
    "EmulatorGrant",
    "FlavouredClient",
    "FlavouredResource",
    "LimiterTime",
    "ProviderHarness",
    "client_options",
]
