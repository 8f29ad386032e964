"""Real Xero shapes decode; odd records and inputs stay in the error tree.

Fixtures under ``fixtures/shapes`` hold our own data in the shapes of Xero's API reference examples
and recorded SDK responses: contacts with ``Balances``, ``AddressLine2``–``4`` and ``ContactPersons``,
invoices whose due date precedes their date.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from unified_accounting_xero.codec import XeroCodec
from unified_accounting_xero.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator

from unified_accounting import AsyncClient, DecodeFailed, Invoice, LineItem, ValidationFailed
from unified_accounting.client.updates import validate_update
from unified_accounting.models import Address

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
codec = XeroCodec()


def test_a_contact_keeps_every_address_line_and_its_balance() -> None:
    customer = codec.decode("customer", (FIXTURES / "contact_full.json").read_bytes())
    assert customer.shipping_address == Address(
        line1="Unit 7",
        line2="Level 2",
        line3="Wharf Building",
        line4="14 Quay Street",
        city="Auckland",
        region="Auckland",
        postal_code="1010",
        country="New Zealand",
        contact_name="Tamsin Ngata",
    )
    assert customer.billing_address == Address(
        line1="PO Box 4410",
        line2="Shortland Street",
        city="Auckland",
        postal_code="1140",
        country="New Zealand",
    )
    assert customer.balance == Decimal("1840.50")
    assert customer.phone == "+64 09 309 1234"


def test_an_invoice_due_before_its_date_decodes_as_stored() -> None:
    invoice = codec.decode("invoice", (FIXTURES / "invoice_due_before_date.json").read_bytes())
    assert (invoice.issue_date, invoice.due_date) == (date(2025, 11, 10), date(2025, 10, 31))
    assert invoice.total == Decimal("920.00")
    # The rule still protects what users send.
    inverted = {"issue_date": date(2025, 11, 10), "due_date": date(2025, 10, 31)}
    with pytest.raises(ValidationFailed, match="due_date"):
        validate_update(Invoice, inverted)


def test_a_contact_address_written_back_keeps_every_xero_line() -> None:
    from unified_accounting_xero.codec import EncodeOptions, encode_changes

    customer = codec.decode("customer", (FIXTURES / "contact_full.json").read_bytes())
    payload = encode_changes("customer", {"shipping_address": customer.shipping_address}, EncodeOptions())
    (street,) = payload["Addresses"]
    assert [street.get(f"AddressLine{n}") for n in range(1, 5)] == [
        "Unit 7",
        "Level 2",
        "Wharf Building",
        "14 Quay Street",
    ]


class Env:
    def __init__(self, **options: Any) -> None:
        self.app = create_emulator(**options)
        self.emulator = self.app.state.emulator
        self.client = AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            providers={
                "xero": {
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                    "base_url": "http://xero.test",
                }
            },
            max_retries=2,
            environ={},
        )

    async def connect(self) -> Any:
        issued = self.emulator.issue_tokens([self.emulator.default_tenant_id])
        return await self.client.import_connection(
            consumer_id="u",
            provider="xero",
            company_id=self.emulator.default_tenant_id,
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=issued["expires_at"],
        )

    def api_calls(self) -> list[Any]:
        return list(self.emulator.requests_to("/api.xro/"))


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = Env(seed=5, contacts=6, invoices=30, payments=5)
    yield made
    await made.client.aclose()


@pytest.mark.anyio
async def test_a_page_holding_invoices_due_before_their_date_is_read_whole(env: Env) -> None:
    conn = await env.connect()
    early = [
        invoice
        for invoice in env.emulator.tenant().invoices.values()
        if invoice["Type"] == "ACCREC" and invoice["DueDate"] < invoice["Date"]
    ]
    assert early, "the seed has invoices due before their date"
    pager = conn.invoices.list()
    listed = {invoice.id: invoice for invoice in await pager.to_list()}
    assert pager.issues == []
    for invoice in early:
        assert listed[invoice["InvoiceID"]].due_date < listed[invoice["InvoiceID"]].issue_date


@pytest.mark.anyio
async def test_a_single_contact_carries_balances_persons_and_extra_lines(env: Env) -> None:
    conn = await env.connect()
    contact = next(c for c in env.emulator.tenant().contacts.values() if c.get("ContactPersons"))
    session = conn.session()
    response = await session.request("GET", f"http://xero.test/api.xro/2.0/Contacts/{contact['ContactID']}")
    (wire,) = response.json()["Contacts"]
    assert set(wire["Balances"]) == {"AccountsReceivable", "AccountsPayable"}
    assert wire["ContactPersons"][0]["IncludeInEmails"] is True
    street = next(a for a in wire["Addresses"] if a["AddressType"] == "STREET")
    assert street["AddressLine4"]
    customer = await conn.customers.get(contact["ContactID"])
    assert customer.shipping_address.line4 == street["AddressLine4"]
    assert customer.balance == Decimal(str(wire["Balances"]["AccountsReceivable"]["Outstanding"]))


@pytest.mark.anyio
async def test_one_undecodable_invoice_does_not_fail_the_page(env: Env) -> None:
    conn = await env.connect()
    spoiled = next(
        i
        for i in env.emulator.tenant().invoices.values()
        if i["Type"] == "ACCREC" and i["Status"] != "DELETED"
    )
    spoiled["CurrencyCode"] = "ZZZ"
    pager = conn.invoices.list()
    records = await pager.to_list()
    assert spoiled["InvoiceID"] not in {record.id for record in records} and records
    (issue,) = pager.issues
    assert issue.record_id == spoiled["InvoiceID"] and issue.raw["CurrencyCode"] == "ZZZ"
    with pytest.raises(DecodeFailed, match="ISO 4217"):
        await conn.invoices.get(spoiled["InvoiceID"])


@pytest.mark.anyio
async def test_an_amount_beyond_the_bound_is_refused_before_any_call(env: Env) -> None:
    conn = await env.connect()
    before = len(env.api_calls())
    customer_id = next(iter(env.emulator.tenant().contacts))
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.create(
            Invoice(customer_id=customer_id, line_items=[LineItem(quantity=1, unit_price=Decimal("1e30"))])
        )
    assert "line_items.0.unit_price" in {issue.field for issue in caught.value.issues}
    assert len(env.api_calls()) == before


@pytest.mark.anyio
async def test_the_emulator_answers_an_absurd_amount_with_a_validation_error(env: Env) -> None:
    conn = await env.connect()
    customer_id = next(iter(env.emulator.tenant().contacts))
    session = conn.session()
    with pytest.raises(ValidationFailed, match="too large"):
        await session.request(
            "PUT",
            "http://xero.test/api.xro/2.0/Invoices",
            json={
                "Invoices": [
                    {
                        "Type": "ACCREC",
                        "Contact": {"ContactID": customer_id},
                        "LineItems": [
                            {"Description": "x", "Quantity": 1, "UnitAmount": 1e30, "AccountCode": "200"}
                        ],
                    }
                ]
            },
        )
    assert not [entry for entry in env.api_calls() if entry.status >= 500]
