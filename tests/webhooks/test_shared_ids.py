"""Xero webhooks that do not say which resource a record is, on SQLite and PostgreSQL.

An INVOICE event may be a sales invoice's or a bill's, a CREDITNOTE event without ``data`` a
customer's or a supplier's credit note: processing reads the id as whichever it is and writes it
under that resource only. The other resource gets nothing: no tombstone, no "deleted" for product
code or the outbound webhooks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from unified_accounting import RecordChange, hookimpl
from unified_accounting.errors import NotFound
from unified_accounting.mirror.schema import mirror_records
from unified_accounting.sync import SyncService
from unified_accounting.webhooks.processor import process_company

from ..sync.providers import CASES
from .helpers import RecordingQueue, mount, post
from .test_receiver import emulator_with_receiver, sign

pytestmark = pytest.mark.anyio

CASE = CASES["xero"]


@dataclass
class Told:
    """What product code is told (``ua_record_changed``)."""

    changes: list[RecordChange] = field(default_factory=list)

    @hookimpl
    def ua_record_changed(self, change: RecordChange) -> None:
        self.changes.append(change)

    def about(self, record_id: str) -> list[tuple[str, str]]:
        return [(c.resource, c.operation.value) for c in self.changes if c.record_id == record_id]


async def _rows(client: Any, record_id: str) -> set[str]:
    """The resources the mirror has a row of ``record_id`` under (tombstones too)."""
    db = await client.database()
    async with db.read() as conn:
        found = await conn.execute(
            select(mirror_records.c.resource).where(mirror_records.c.record_id == record_id)
        )
        return {row[0] for row in found}


async def _absent(conn: Any, resource: str, record_id: str) -> bool:
    try:
        await conn.resource(resource).get(record_id, source="mirror", include_deleted=True)
    except NotFound:
        return True
    return False


async def test_a_bill_event_updates_the_mirrored_bill_and_nothing_else(
    database_url: str, secret_key: str
) -> None:
    app, late = emulator_with_receiver(CASE)
    told = Told()
    async with CASE.client(app, database_url, secret_key, plugins=(told,)) as client:
        conn = await CASE.connect(client, app)
        sample = await CASE.harness.sample("bill", _Records(conn))
        bill = await conn.bills.create(sample)
        await SyncService(client).sync(conn)
        assert (await conn.bills.get(str(bill.id), source="mirror")).number == bill.number
        late.target = mount(client, RecordingQueue())
        told.changes.clear()

        CASE.harness.advance(app, 5)
        changed = await conn.bills.update(
            str(bill.id), {"number": "SUP-WEBHOOK"}, row_version=bill.row_version
        )
        told.changes.clear()  # what the write itself told
        await CASE.emulator(app).deliver_webhooks()
        report = await process_company(client, "xero", conn.company_id)

        assert report.events >= 1 and report.failures == {}
        mirrored = await conn.bills.get(str(bill.id), source="mirror")
        assert mirrored.number == "SUP-WEBHOOK" and mirrored.row_version == changed.row_version
        # The event named "invoice": no invoice row for the bill's id, not even a tombstone.
        assert await _absent(conn, "invoice", str(bill.id))
        assert await _rows(client, str(bill.id)) == {"bill"}
        assert told.about(str(bill.id)) == [("bill", "updated")]


async def test_a_sales_invoice_event_still_updates_the_invoice(database_url: str, secret_key: str) -> None:
    app, late = emulator_with_receiver(CASE)
    async with CASE.client(app, database_url, secret_key) as client:
        conn = await CASE.connect(client, app)
        await SyncService(client).sync(conn)
        late.target = mount(client, RecordingQueue())
        customer_id = next(iter(CASE.expected(app, "customer")))
        invoice = await conn.invoices.create(CASE.harness.invoice(customer_id))
        await CASE.emulator(app).deliver_webhooks()
        await process_company(client, "xero", conn.company_id)
        assert (await conn.invoices.get(str(invoice.id), source="mirror")).total == invoice.total
        assert await _absent(conn, "bill", str(invoice.id))


@pytest.mark.parametrize("with_type", [True, False], ids=["data-type", "no-data"])
async def test_a_supplier_credit_event_is_read_as_a_supplier_credit(
    database_url: str, secret_key: str, with_type: bool
) -> None:
    app, late = emulator_with_receiver(CASE)
    told = Told()
    async with CASE.client(app, database_url, secret_key, plugins=(told,)) as client:
        conn = await CASE.connect(client, app)
        credit = await conn.supplier_credits.create(
            await CASE.harness.sample("supplier_credit", _Records(conn))
        )
        await SyncService(client).sync(conn)
        receiver = mount(client, RecordingQueue())
        late.target = receiver
        told.changes.clear()
        CASE.harness.advance(app, 5)
        await conn.supplier_credits.update(
            str(credit.id), {"number": "SC-WEBHOOK"}, row_version=credit.row_version
        )
        told.changes.clear()  # what the write itself told
        if with_type:
            await CASE.emulator(app).deliver_webhooks()
        else:
            # A delivery whose CREDITNOTE event has no ``data``: it cannot be routed by its Type.
            body = json.dumps(
                {
                    "events": [
                        {
                            "resourceUrl": f"https://api.xero.com/api.xro/2.0/CreditNotes/{credit.id}",
                            "resourceId": str(credit.id),
                            "eventDateUtc": "2026-01-07T10:00:00.000",
                            "eventType": "UPDATE",
                            "eventCategory": "CREDITNOTE",
                            "tenantId": conn.company_id,
                            "tenantType": "ORGANISATION",
                        }
                    ],
                    "firstEventSequence": 1,
                    "lastEventSequence": 1,
                    "entropy": "KLMNOPQRST",
                }
            ).encode()
            response = await post(receiver, "xero", body, {"x-xero-signature": sign(CASE, app, body)})
            assert response.status_code == 200
        await process_company(client, "xero", conn.company_id)
        assert (await conn.supplier_credits.get(str(credit.id), source="mirror")).number == "SC-WEBHOOK"
        assert await _absent(conn, "credit_note", str(credit.id))
        assert await _rows(client, str(credit.id)) == {"supplier_credit"}
        assert told.about(str(credit.id)) == [("supplier_credit", "updated")]


def _invoice_event(company_id: str, record_id: str) -> bytes:
    return json.dumps(
        {
            "events": [
                {
                    "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{record_id}",
                    "resourceId": record_id,
                    "eventDateUtc": "2026-01-07T10:00:00.000",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": company_id,
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 1,
            "lastEventSequence": 1,
            "entropy": "UVWXYZABCD",
        }
    ).encode()


async def test_an_id_found_as_neither_is_tombstoned_only_where_it_was_held(
    database_url: str, secret_key: str
) -> None:
    app, late = emulator_with_receiver(CASE)
    told = Told()
    async with CASE.client(app, database_url, secret_key, plugins=(told,)) as client:
        conn = await CASE.connect(client, app)
        bill = await conn.bills.create(await CASE.harness.sample("bill", _Records(conn)))
        await SyncService(client).sync(conn)
        receiver = mount(client, RecordingQueue())
        late.target = receiver
        told.changes.clear()

        # Never held by the mirror: nothing is written, nobody is told.
        missing = "0b5c8f0e-0000-4000-8000-00000000abcd"
        body = _invoice_event(conn.company_id, missing)
        assert (
            await post(receiver, "xero", body, {"x-xero-signature": sign(CASE, app, body)})
        ).status_code == 200
        report = await process_company(client, "xero", conn.company_id)
        assert report.failures == {} and told.about(missing) == []
        assert await _rows(client, missing) == set()

        # Held as a bill, then gone from the organisation: a tombstone for the bill only.
        del CASE.emulator(app).tenant().invoices[str(bill.id)]
        body = _invoice_event(conn.company_id, str(bill.id))
        assert (
            await post(receiver, "xero", body, {"x-xero-signature": sign(CASE, app, body)})
        ).status_code == 200
        await process_company(client, "xero", conn.company_id)
        assert told.about(str(bill.id)) == [("bill", "deleted")]
        assert await _rows(client, str(bill.id)) == {"bill"}
        gone = await conn.bills.get(str(bill.id), source="mirror", include_deleted=True)
        assert gone.number == bill.number  # the tombstone keeps the last content seen


@dataclass
class _Records:
    """What ``XeroHarness.sample`` needs: records it depends on, created through the connection."""

    conn: Any
    made: dict[str, Any] = field(default_factory=dict)

    async def created(self, resource: str) -> Any:
        if resource not in self.made:
            sample = await CASE.harness.sample(resource, self)
            self.made[resource] = await self.conn.resource(resource).create(sample)
        return self.made[resource]
