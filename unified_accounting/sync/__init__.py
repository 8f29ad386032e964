"""Sync engine: keeps each connection's mirror current, run by run.

See ``docs/sync.md``. The pieces: :mod:`.state` (pure sync state), :mod:`.checkpoint` (its storage),
:mod:`.engine` (initial and incremental sync), :mod:`.lease` (one sync per company at a time),
:mod:`.apply` (writes to the mirror, and the record changes they announce), :mod:`.readers` (pages
read in worker processes), :mod:`.outbound` (the outbox) and :mod:`.jobs` (the job types). The
mirror itself is :mod:`unified_accounting.mirror`; webhooks, which keep it current between syncs,
are :mod:`unified_accounting.webhooks`; the job runners are :mod:`unified_accounting.service`.
"""

from .collector import bulk_collection
from .engine import SyncOptions, SyncProgress, SyncReport
from .lease import CompanyBusy
from .outbound import OutboundWebhooks, verify_signature
from .readers import PageReaders, close_page_readers, page_readers
from .service import SyncService
from .state import Phase, SyncState

__all__ = [
    "CompanyBusy",
    "OutboundWebhooks",
    "PageReaders",
    "Phase",
    "SyncOptions",
    "SyncProgress",
    "SyncReport",
    "SyncService",
    "SyncState",
    "bulk_collection",
    "close_page_readers",
    "page_readers",
    "verify_signature",
]
