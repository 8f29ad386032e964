"""At most one sync per company at a time, across tasks, processes and machines: a lease row.

A holder takes the row with a conditional ``UPDATE`` (free, expired, or already its own): the
database decides, so two workers cannot both win, on SQLite and PostgreSQL alike. The lease
expires on its own when a holder dies without releasing it; a live holder renews it in the
background. (On PostgreSQL with procrastinate, the job lock already serialises jobs per company;
the lease also covers syncs started outside the job queue, such as ``ua sync``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update

from ..errors import UnifiedAccountingError
from .database import SyncDatabase
from .schema import sync_leases

DEFAULT_TTL = timedelta(seconds=30)


class CompanyBusy(UnifiedAccountingError):
    """Another worker is syncing this company now."""


async def try_acquire(
    db: SyncDatabase, provider: str, company_id: str, owner: str, ttl: timedelta = DEFAULT_TTL
) -> bool:
    now = datetime.now(UTC)
    async with db.write() as conn:
        await conn.execute(
            db.insert(sync_leases)
            .values(provider=provider, company_id=company_id, owner=None, until=None)
            .on_conflict_do_nothing()
        )
        lease = sync_leases.c
        taken = await conn.execute(
            update(sync_leases)
            .where(
                and_(lease.provider == provider, lease.company_id == company_id),
                or_(lease.owner.is_(None), lease.until < now, lease.owner == owner),
            )
            .values(owner=owner, until=now + ttl)
        )
        return taken.rowcount == 1


async def release(db: SyncDatabase, provider: str, company_id: str, owner: str) -> None:
    async with db.write() as conn:
        lease = sync_leases.c
        await conn.execute(
            update(sync_leases)
            .where(lease.provider == provider, lease.company_id == company_id, lease.owner == owner)
            .values(owner=None, until=None)
        )


@contextlib.asynccontextmanager
async def company_lease(
    db: SyncDatabase,
    provider: str,
    company_id: str,
    *,
    wait: bool = True,
    ttl: timedelta = DEFAULT_TTL,
    poll: float = 0.2,
) -> AsyncIterator[str]:
    """Hold the company's lease for the block (waiting for it, or raising :class:`CompanyBusy`)."""
    owner = secrets.token_hex(8)
    while not await try_acquire(db, provider, company_id, owner, ttl):
        if not wait:
            raise CompanyBusy(f"{provider} company {company_id} is being synced by another worker")
        await asyncio.sleep(poll)

    async def keep_alive() -> None:
        while True:
            await asyncio.sleep(ttl.total_seconds() / 3)
            await try_acquire(db, provider, company_id, owner, ttl)

    renewing = asyncio.create_task(keep_alive())
    try:
        yield owner
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        await asyncio.shield(release(db, provider, company_id, owner))
