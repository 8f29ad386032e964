"""Initial and incremental sync into the mirror, on SQLite and PostgreSQL (Ledgerly provider)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ua_ledgerly.emulator import create_emulator

from unified_accounting import RecordChange, hookimpl
from unified_accounting.sync import SyncService
from unified_accounting.sync.checkpoint import read_state
from unified_accounting.sync.state import Phase

from .ledgerly import connect, ledgerly_client, seed

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.changes: list[RecordChange] = []

    @hookimpl
    def ua_record_changed(self, change: RecordChange) -> None:
        self.changes.append(change)


async def test_initial_then_incremental(database_url: str, secret_key: str) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=3, invoices=450)
    recorder = Recorder()
    async with ledgerly_client(app, database_url, secret_key, plugins=(recorder,)) as client:
        conn = await connect(client, emulator)
        service = SyncService(client)
        report = await service.sync(conn)
        assert (report.kind, report.records, report.created) == ("initial", 453, 453)
        invoices = await conn.invoices.list(source="mirror").to_list()
        assert len(invoices) == 450
        assert sum((i.total for i in invoices), Decimal(0)) == sum(
            (Decimal(r["total"]) for r in emulator.table("c-1", "invoices").values()), Decimal(0)
        )
        assert {c.operation.value for c in recorder.changes} == {"created"}
        assert {c.source for c in recorder.changes} == {"sync"}
        state = await read_state(await client.database(), conn.key)
        assert state.phase is Phase.IDLE and state.bookmark is not None

        # Change one invoice, delete another, add a third; the next run is incremental.
        emulator.advance(60)
        first, second = sorted(emulator.table("c-1", "invoices"), key=lambda i: int(i.split("-")[1]))[:2]
        await conn.invoices.update(first, {"memo": "changed"})
        await conn.invoices.delete(second)
        customer = next(iter(emulator.table("c-1", "customers")))
        created = await conn.invoices.create(
            {
                "customer_id": customer,
                "line_items": [{"description": "x", "quantity": 1, "unit_price": "9.99"}],
            }
        )
        recorder.changes.clear()
        report = await service.sync(conn)
        assert report.kind == "incremental"
        seen = {(c.record_id, c.operation.value) for c in recorder.changes}
        assert seen == {(first, "updated"), (second, "deleted"), (str(created.id), "created")}
        assert (await conn.invoices.get(first, source="mirror")).memo == "changed"
        assert len(await conn.invoices.list(source="mirror").to_list()) == 450
        deleted = await conn.invoices.get(second, source="mirror", include_deleted=True)
        assert deleted.status.value == "deleted"

        # Nothing changed: another run applies nothing and tells nothing.
        recorder.changes.clear()
        report = await service.sync(conn)
        assert (report.created, report.updated, report.deleted) == (0, 0, 0)
        assert recorder.changes == []


async def test_full_sync_sweeps_records_gone_unseen(database_url: str, secret_key: str) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=1, invoices=5)
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        service = SyncService(client)
        await service.sync(conn)
        vanished = next(iter(emulator.table("c-1", "invoices")))
        del emulator.table("c-1", "invoices")[vanished]  # purged without a trace: only a full listing knows
        report = await service.sync(conn, full=True)
        assert report.kind == "initial" and report.deleted == 1
        ids: Any = {i.id for i in await conn.invoices.list(source="mirror").to_list()}
        assert ids == set(emulator.table("c-1", "invoices"))
