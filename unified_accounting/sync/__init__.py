"""Sync engine: a local mirror of each connection's records, kept current by syncs and webhooks.

See ``docs/sync.md``. The pieces: :mod:`.state` (pure sync state), :mod:`.mirror` (ordered upserts),
:mod:`.engine` (initial and incremental sync), :mod:`.jobs` with the embedded and distributed
runners, and :mod:`unified_accounting.webhooks` (receiver and inbox).
"""

from .engine import SyncOptions, SyncProgress, SyncReport
from .lease import CompanyBusy
from .outbound import OutboundWebhooks, verify_signature
from .service import SyncService
from .state import Phase, SyncState

__all__ = [
    "CompanyBusy",
    "OutboundWebhooks",
    "Phase",
    "SyncOptions",
    "SyncProgress",
    "SyncReport",
    "SyncService",
    "SyncState",
    "verify_signature",
]
