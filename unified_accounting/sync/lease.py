"""At most one sync per company at a time, across tasks, processes and machines: a lease row.

A holder takes the row with a conditional ``UPDATE`` (free, expired, or already its own): the
database decides, so two workers cannot both win, on SQLite and PostgreSQL alike. The lease
expires on its own when a holder dies without releasing it; a live holder renews it in the
background. (On PostgreSQL with procrastinate, the job lock already serialises jobs per company;
the lease also covers syncs started outside the job queue, such as ``ua sync``.)

A cancelled holder (a shutdown) releases the lease before its cancellation completes: taking,
renewing and releasing are transactions a cancellation cannot cut short (see
:meth:`~unified_accounting.storage.database.Database.transaction`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import UnifiedAccountingError
from ..storage.database import Database
from .schema import sync_leases

DEFAULT_TTL = timedelta(seconds=30)


class CompanyBusy(UnifiedAccountingError):
    """Another worker is syncing this company now."""


async def try_acquire(
    db: Database, provider: str, company_id: str, owner: str, ttl: timedelta = DEFAULT_TTL
) -> bool:
    async def take(conn: AsyncConnection) -> bool:
        now = datetime.now(UTC)
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
        return bool(taken.rowcount == 1)

    return await db.transaction(take)


async def release(db: Database, provider: str, company_id: str, owner: str) -> None:
    async def free(conn: AsyncConnection) -> None:
        lease = sync_leases.c
        await conn.execute(
            update(sync_leases)
            .where(lease.provider == provider, lease.company_id == company_id, lease.owner == owner)
            .values(owner=None, until=None)
        )

    await db.transaction(free)


@contextlib.asynccontextmanager
async def company_lease(
    db: Database,
    provider: str,
    company_id: str,
    *,
    wait: bool = True,
    ttl: timedelta = DEFAULT_TTL,
    poll: float = 0.2,
) -> AsyncIterator[str]:
    """Hold the company's lease for the block (waiting for it, or raising :class:`CompanyBusy`)."""
    owner = secrets.token_hex(8)
    try:
        while not await try_acquire(db, provider, company_id, owner, ttl):
            if not wait:
                raise CompanyBusy(f"{provider} company {company_id} is being synced by another worker")
            await asyncio.sleep(poll)
    except asyncio.CancelledError:
        # Cancelled as the lease was being taken: it may be ours already.
        await release(db, provider, company_id, owner)
        raise

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
        await release(db, provider, company_id, owner)
