"""Initial and incremental sync into the mirror, on SQLite and PostgreSQL (Ledgerly provider)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ua_ledgerly.emulator import create_emulator

from unified_accounting import RecordChange, hookimpl
from unified_accounting.mirror import records
from unified_accounting.sync import SyncOptions, SyncService
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


async def test_the_sweep_skips_resources_the_mirror_held_nothing_of(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row of a resource listed into an empty mirror was written by the run itself: the scan
    for rows it did not see (a pass over all of them) is skipped, and only there."""
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=2, invoices=5)
    scanned: list[str] = []
    real = records.unseen

    async def unseen(conn: Any, **where: Any) -> Any:
        scanned.append(where["resource"])
        return await real(conn, **where)

    monkeypatch.setattr(records, "unseen", unseen)
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        await SyncService(client, SyncOptions(resources=("customer",))).sync(conn)
        assert scanned == []
        vanished = next(iter(emulator.table("c-1", "customers")))
        del emulator.table("c-1", "customers")[vanished]
        both = SyncService(client, SyncOptions(resources=("customer", "invoice")))
        report = await both.sync(conn, full=True)
        assert set(scanned) == {"customer"}  # the customers mirrored before were swept; invoices were new
        assert (report.kind, report.deleted) == ("initial", 1)
        assert len(await conn.invoices.list(source="mirror").to_list()) == 5


async def test_tax_rates_are_mirrored_and_filtered_by_status_there(
    database_url: str, secret_key: str
) -> None:
    """A resource added to the catalog and to a provider is mirrored with nothing else to change."""
    app = create_emulator()
    emulator = app.state.emulator
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        kept = await conn.tax_rates.create({"name": "GST", "rate": "10"})
        gone = await conn.tax_rates.create({"name": "Old", "rate": "9", "status": "archived"})
        report = await SyncService(client).sync(conn)
        assert report.kind == "initial" and report.records == 2
        assert [r.id for r in await conn.tax_rates.list(source="mirror").to_list()] == [kept.id]
        # Archived records are tombstones in the mirror; asking for that status finds them.
        archived = await conn.tax_rates.list(source="mirror", status="archived").to_list()
        assert [(r.id, r.rate) for r in archived] == [(gone.id, Decimal("9"))]
        assert (await conn.tax_rates.get(str(kept.id), source="mirror")).name == "GST"


async def test_a_resource_the_last_run_did_not_mirror_is_listed_whole(
    database_url: str, secret_key: str
) -> None:
    """Its records older than the bookmark would never come from a change read."""
    app = create_emulator()
    emulator = app.state.emulator
    seed(emulator, customers=2, invoices=3)
    async with ledgerly_client(app, database_url, secret_key) as client:
        conn = await connect(client, emulator)
        rate = await conn.tax_rates.create({"name": "GST", "rate": "10"})
        narrow = await SyncService(client, SyncOptions(resources=("customer", "invoice"))).sync(conn)
        assert (narrow.kind, narrow.records) == ("initial", 5)
        emulator.advance(600)
        assert (
            await SyncService(client, SyncOptions(resources=("invoice",))).sync(conn)
        ).kind == "incremental"
        widened = await SyncService(client).sync(conn)
        assert widened.kind == "initial"
        assert [r.id for r in await conn.tax_rates.list(source="mirror").to_list()] == [rate.id]
        assert (await SyncService(client).sync(conn)).kind == "incremental"
