"""``resource.pdf(id)``: the document as the provider prints it, checked to be a PDF."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import (
    Customer,
    DecodeFailed,
    Invoice,
    LineItem,
    NotFound,
    UnsupportedOperation,
    ValidationFailed,
)
from unified_accounting.client.async_client import AsyncConnection
from unified_accounting.emulation.pdf import document_pdf, pdf_problems

pytestmark = pytest.mark.anyio


async def new_invoice(conn: AsyncConnection) -> str:
    customer = await conn.customers.create(Customer(display_name="Printed Ltd"))
    invoice = await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            number="INV-(7)",
            line_items=[LineItem(description="Work", quantity=Decimal(2), unit_price=Decimal("12.50"))],
        )
    )
    return str(invoice.id)


async def test_an_invoice_pdf_is_a_well_formed_pdf(conn: AsyncConnection, emulator: LedgerlyEmulator) -> None:
    invoice = await new_invoice(conn)
    document = await conn.invoices.pdf(invoice)
    assert document.startswith(b"%PDF-")
    assert pdf_problems(document) == []
    assert b"(Invoice INV-\\(7\\))" in document  # the title, escaped as PDF strings are
    reader = PdfReader(io.BytesIO(document), strict=True)  # a PDF reader opens it without repairs
    assert reader.metadata is not None and reader.metadata.title == "Invoice INV-(7)"
    assert "Invoice INV-(7)" in reader.pages[0].extract_text()
    (call,) = [r for r in emulator.requests_to("/v1/") if r.path.endswith("/pdf")]
    assert call.headers.get("accept") == "application/pdf"


async def test_pdf_errors(conn: AsyncConnection, emulator: LedgerlyEmulator) -> None:
    with pytest.raises(NotFound):
        await conn.invoices.pdf("inv-404")
    before = emulator.api_calls
    with pytest.raises(UnsupportedOperation) as caught:
        await conn.customers.pdf("cus-1")
    assert caught.value.operation == "pdf"
    with pytest.raises(ValidationFailed):
        await conn.invoices.pdf("..")
    assert emulator.api_calls == before


async def test_an_answer_that_is_not_a_pdf_is_a_decode_failure(
    conn: AsyncConnection, monkeypatch: Any
) -> None:
    invoice = await new_invoice(conn)

    async def html(*args: Any) -> bytes:
        return b"<html>Log in to continue</html>"

    monkeypatch.setattr(conn.provider, "pdf", html)
    with pytest.raises(DecodeFailed, match="not a PDF") as caught:
        await conn.invoices.pdf(invoice)
    assert caught.value.record_id == invoice


def test_the_structure_check_finds_what_a_reader_would_stumble_on() -> None:
    good = document_pdf("Invoice 1", ["Work 1 x 5.00"])
    assert pdf_problems(good) == []
    assert pdf_problems(document_pdf("Invoice 1", ["Work 1 x 5.00"])) == [] and good == document_pdf(
        "Invoice 1", ["Work 1 x 5.00"]
    )
    assert pdf_problems(b"<html>") == ["does not start with %PDF- (starts b'<html>')"]
    assert pdf_problems(good[:-6]) == ["does not end with %%EOF"]
    moved = good.replace(b"3 0 obj", b"3 0 obx")
    assert pdf_problems(moved) == [f"object 3 is not at offset {good.index(b'3 0 obj')}"]
    assert "points past the end" in pdf_problems(good.replace(b"startxref\n", b"startxref\n9"))[0]
