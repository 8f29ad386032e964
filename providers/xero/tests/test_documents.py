"""Xero attachments, document PDFs, invoice email and raw requests, against the emulator."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from unified_accounting_xero.emulator import XeroEmulator
from unified_accounting_xero.testing import XeroHarness, emulator_of

from unified_accounting import AsyncClient, AsyncConnection
from unified_accounting.emulation.pdf import pdf_problems
from unified_accounting.errors import NotFound, PermissionDenied, UnsupportedOperation, ValidationFailed
from unified_accounting.models import (
    CreditNote,
    Customer,
    Invoice,
    InvoiceStatus,
    LineItem,
    Supplier,
)

pytestmark = pytest.mark.anyio
Conn = tuple[AsyncConnection, XeroEmulator]
#: Every byte value, several times over: no text codec carries it unchanged.
FILE = bytes(range(256)) * 1024


def line(amount: str) -> LineItem:
    return LineItem(
        description="Design work", quantity=Decimal(1), unit_price=Decimal(amount), account_id="200"
    )


async def _invoice(
    conn: AsyncConnection, *, email: str | None = "accounts@customer.example", **fields: object
) -> Invoice:
    customer = await conn.customers.create(
        Customer(display_name=f"Customer {id(fields)}-{email}", email=email)
    )
    return await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id), issue_date=date(2026, 2, 2), line_items=[line("120.00")], **fields
        )
    )


def _api_calls(emulator: XeroEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emulator.request_log if r.path.startswith("/api.xro/")]


# ---------------------------------------------------------------------------------------- attachments


async def test_attachments_round_trip_byte_for_byte_in_chunks(xero_conn: Conn, tmp_path: Path) -> None:
    conn, emulator = xero_conn
    invoice = await _invoice(conn)
    emulator.request_log.clear()
    made = await conn.attachments.upload(
        "invoice", str(invoice.id), FILE, file_name="receipt [March].pdf", include_online=True
    )
    assert (made.file_name, made.content_type, made.size, made.include_online) == (
        "receipt [March].pdf",
        "application/pdf",
        len(FILE),
        True,
    )
    (put,) = [r for r in emulator.request_log if r.method == "PUT"]
    assert put.path.endswith("/Attachments/receipt [March].pdf") and put.query == {"IncludeOnline": "true"}
    chunks = [chunk async for chunk in conn.attachments.download(made)]
    assert len(chunks) > 1 and b"".join(chunks) == FILE
    by_id = [
        c async for c in conn.attachments.download(made.id, resource="invoice", record_id=str(invoice.id))
    ]
    assert b"".join(by_id) == FILE
    target = tmp_path / "copy.pdf"
    assert await conn.attachments.download_to(made, target) == len(FILE)
    assert target.read_bytes() == FILE
    assert emulator.record("Invoice", str(invoice.id))["HasAttachments"] is True


async def test_a_file_of_the_same_name_replaces_the_first(xero_conn: Conn, tmp_path: Path) -> None:
    conn, _ = xero_conn
    invoice = await _invoice(conn)
    source = tmp_path / "notes.txt"
    source.write_bytes(b"first")
    first = await conn.attachments.upload("invoice", str(invoice.id), source)
    second = await conn.attachments.upload(
        "invoice", str(invoice.id), io.BytesIO(b"second"), file_name="notes.txt"
    )
    listed = await conn.attachments.list("invoice", str(invoice.id))
    assert [(a.id, a.file_name, a.content_type, a.size) for a in listed] == [
        (first.id, "notes.txt", "text/plain", 6)
    ]
    assert second.id == first.id
    assert b"".join([c async for c in conn.attachments.download(listed[0])]) == b"second"


async def test_other_records_take_files_too(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    supplier = await conn.suppliers.create(Supplier(display_name="Attach Supplies"))
    made = await conn.attachments.upload("supplier", str(supplier.id), b"contract", file_name="contract.txt")
    assert (made.resource, made.record_id) == ("supplier", str(supplier.id))
    account = await conn.attachments.upload("ledger_account", "090", b"statement", file_name="statement.csv")
    listed = await conn.attachments.list("ledger_account", str(account.record_id))
    assert [a.file_name for a in listed] == ["statement.csv"] and account.record_id != "090"


async def test_xero_limits_are_checked_before_the_file_is_sent(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    invoice = await _invoice(conn)
    for number in range(10):
        await conn.attachments.upload("invoice", str(invoice.id), b"x", file_name=f"page-{number}.txt")
    supplier = await conn.suppliers.create(Supplier(display_name="Limits Ltd"))
    emulator.request_log.clear()
    refused = {
        "record_id": lambda: conn.attachments.upload(
            "invoice", str(invoice.id), b"x", file_name="eleven.txt"
        ),
        "file_name": lambda: conn.attachments.upload("invoice", str(invoice.id), b"x", file_name="a|b.txt"),
        "note": lambda: conn.attachments.upload(
            "supplier", str(supplier.id), b"x", file_name="n.txt", note="hi"
        ),
        "include_online": lambda: conn.attachments.upload(
            "supplier", str(supplier.id), b"x", file_name="o.txt", include_online=True
        ),
    }
    for field, call in refused.items():
        with pytest.raises(ValidationFailed) as caught:
            await call()
        assert [issue.field for issue in caught.value.issues] == [field]
    # Counting the invoice's files took one list; nothing was uploaded.
    assert [c for c in _api_calls(emulator) if not c.startswith("GET")] == []
    with pytest.raises(UnsupportedOperation):
        await conn.attachments.delete("any-id", resource="invoice", record_id=str(invoice.id))
    with pytest.raises(ValidationFailed) as caught:
        [c async for c in conn.attachments.download("an-id")]
    assert [issue.field for issue in caught.value.issues] == ["record_id"]


async def test_the_emulator_enforces_the_limits_itself(xero_conn: Conn) -> None:
    conn, _ = xero_conn
    invoice = await _invoice(conn)
    supplier = await conn.suppliers.create(Supplier(display_name="Raw Attach"))
    put = {"content": b"x", "headers": {"Content-Type": "text/plain"}}
    answers = [
        await conn.request(
            "PUT", f"Invoices/{invoice.id}/Attachments/a*b.txt", raise_for_status=False, **put
        ),
        await conn.request(
            "PUT",
            f"Contacts/{supplier.id}/Attachments/a.txt",
            params={"IncludeOnline": "true"},
            raise_for_status=False,
            **put,
        ),
        await conn.request("DELETE", f"Invoices/{invoice.id}/Attachments/a.txt", raise_for_status=False),
        await conn.request("GET", f"Payments/{invoice.id}/Attachments", raise_for_status=False),
    ]
    assert [a.status_code for a in answers] == [400, 400, 405, 404]


# ------------------------------------------------------------------------------------------------ PDFs


async def test_invoice_and_credit_note_pdfs_are_well_formed(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    invoice = await _invoice(conn)
    note = await conn.credit_notes.create(
        CreditNote(customer_id=invoice.customer_id, issue_date=date(2026, 2, 3), line_items=[line("20.00")])
    )
    emulator.request_log.clear()
    for document in (await conn.invoices.pdf(str(invoice.id)), await conn.credit_notes.pdf(str(note.id))):
        assert document.startswith(b"%PDF-") and pdf_problems(document) == []
        assert len(PdfReader(io.BytesIO(document), strict=True).pages) == 1  # a PDF reader opens it
    assert invoice.number is not None and invoice.number.encode() in await conn.invoices.pdf(str(invoice.id))
    with pytest.raises(NotFound):
        await conn.invoices.pdf("00000000-0000-4000-8000-000000000000")
    with pytest.raises(UnsupportedOperation):
        await conn.bills.pdf(str(invoice.id))


# ------------------------------------------------------------------------------------------------ email


async def test_send_emails_an_approved_invoice_to_its_customer(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    invoice = await _invoice(conn)
    sent = await conn.invoices.send(str(invoice.id))
    assert sent.id == invoice.id
    tenant = emulator.tenant()
    assert [(e["InvoiceID"], e["To"]) for e in tenant.emails] == [
        (str(invoice.id), ["accounts@customer.example"])
    ]
    assert emulator.record("Invoice", str(invoice.id))["SentToContact"] is True


async def test_send_refuses_what_xero_would_before_emailing(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    draft = await _invoice(conn, status=InvoiceStatus.DRAFT)
    silent = await _invoice(conn, email=None)
    emulator.request_log.clear()
    for record_id, to, field in (
        (draft.id, None, "status"),
        (silent.id, None, "customer_id"),
        (draft.id, "someone@example.com", "to"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await conn.invoices.send(str(record_id), to=to)
        assert [issue.field for issue in caught.value.issues] == [field]
    assert not [c for c in _api_calls(emulator) if c.startswith("POST")]
    assert emulator.tenant().emails == []
    # The emulator holds to the same rules when asked directly.
    answer = await conn.request("POST", f"Invoices/{draft.id}/Email", json={}, raise_for_status=False)
    assert answer.status_code == 400 and "DRAFT" in answer.text


async def test_the_daily_email_limit(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.options = dataclasses.replace(emulator.options, email_daily_limit=1)
    invoice = await _invoice(conn)
    await conn.invoices.send(str(invoice.id))
    with pytest.raises(ValidationFailed):
        await conn.invoices.send(str(invoice.id))
    assert len(emulator.tenant().emails) == 1


# --------------------------------------------------------------------------------------------- raw


async def test_raw_requests_reach_the_organisation_with_its_tenant(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.request_log.clear()
    answer = await conn.request("GET", "Organisation")
    assert answer.json()["Organisations"][0]["Name"] == emulator.tenant().name
    (sent,) = emulator.request_log
    assert sent.path == "/api.xro/2.0/Organisation"
    assert sent.headers["xero-tenant-id"] == emulator.default_tenant_id


async def test_a_raw_write_carries_an_idempotency_key(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.request_log.clear()
    made = await conn.request("PUT", "Contacts", json={"Contacts": [{"Name": "Raw Contact Ltd"}]})
    assert made.json()["Contacts"][0]["Name"] == "Raw Contact Ltd"
    (sent,) = emulator.request_log
    assert sent.headers.get("idempotency-key")
    await conn.request(
        "PUT", "Contacts", json={"Contacts": [{"Name": "Keyed Ltd"}]}, headers={"Idempotency-Key": "mine-1"}
    )
    assert emulator.request_log[-1].headers["idempotency-key"] == "mine-1"


async def test_raw_paths_cannot_leave_the_api(xero_conn: Conn) -> None:
    conn, emulator = xero_conn
    emulator.request_log.clear()
    for path in ("../../connections", "%2E%2E/connections", "https://identity.xero.com/x", "Invoices?page=1"):
        with pytest.raises(ValidationFailed) as caught:
            await conn.request("GET", path)
        assert [issue.field for issue in caught.value.issues] == ["path"]
    assert emulator.request_log == []


async def test_a_connection_without_the_new_scopes_is_told_which_one_it_lacks() -> None:
    harness = XeroHarness()
    app = harness.create_app()
    emulator = emulator_of(app)
    issued = emulator.issue_tokens(
        scopes="openid offline_access accounting.transactions accounting.contacts accounting.settings"
    )
    async with AsyncClient(
        transport=httpx.ASGITransport(app=app),
        providers={"xero": {**harness.settings, "base_url": harness.base_url}},
        environ={},
    ) as client:
        conn = await client.import_connection(
            consumer_id="tests",
            provider="xero",
            company_id=emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=issued["expires_at"],
        )
        invoice = await _invoice(conn)
        with pytest.raises(PermissionDenied, match=r"accounting\.reports\.read"):
            await conn.reports.trial_balance(date(2031, 3, 31))
        with pytest.raises(PermissionDenied, match=r"accounting\.attachments"):
            await conn.attachments.list("invoice", str(invoice.id))
        with pytest.raises(PermissionDenied, match=r"accounting\.attachments"):
            [c async for c in conn.attachments.download("x", resource="invoice", record_id=str(invoice.id))]
        assert (await conn.record()).health == "ok"
