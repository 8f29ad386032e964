"""``SyncService``: sync a connection into the mirror, one run per company at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..storage.database import Database
from .engine import SyncEngine, SyncOptions, SyncProgress, SyncReport
from .lease import company_lease

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient, AsyncConnection


class SyncService:
    """Runs syncs for the connections of ``client`` (whose vault database holds the mirror).

    ``await service.sync(conn)`` does an initial sync the first time (resuming an interrupted one)
    and an incremental one afterwards; ``full=True`` lists everything again. Only one sync of a
    company runs at a time, across processes: a second caller waits (or, with ``wait=False``,
    gets :class:`~unified_accounting.sync.lease.CompanyBusy`).
    """

    def __init__(self, client: AsyncClient, options: SyncOptions | None = None) -> None:
        self.client = client
        self.engine = SyncEngine(client, options)

    @property
    def options(self) -> SyncOptions:
        return self.engine.options

    async def database(self) -> Database:
        return await self.client.database()

    async def sync(
        self,
        connection: AsyncConnection,
        *,
        full: bool = False,
        progress: SyncProgress | None = None,
        wait: bool = True,
    ) -> SyncReport:
        db = await self.database()
        key = connection.key
        async with company_lease(db, key.provider, key.company_id, wait=wait, ttl=self.options.lease_ttl):
            return await self.engine.sync(connection, full=full, progress=progress)
