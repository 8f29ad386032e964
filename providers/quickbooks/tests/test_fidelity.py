"""Real QuickBooks shapes survive reading and updating; odd records and inputs stay in the error tree.

The shapes (free-form ``Line1``–``Line5`` addresses without a city, ``ShipAddr`` with coordinates,
``TxnTaxDetail`` with ``TxnTaxCodeRef`` and ``TaxLine``, jobs with ``ParentRef``) are those of Intuit's
API reference examples and of real companies; the fixtures under ``fixtures/shapes`` hold our own data.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.codec import EncodeContext, QuickBooksCodec, encode_fields
from unified_accounting_quickbooks.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_emulator
from unified_accounting_quickbooks.testing import SERVICE_ITEM_ID, new_realm_id

from unified_accounting import AsyncClient, DecodeFailed, Invoice, LineItem, ValidationFailed
from unified_accounting.models import Address, Customer

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
codec = QuickBooksCodec()


def shape(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# ------------------------------------------------------------------------------------ mapping


def test_a_free_form_taxed_invoice_keeps_every_address_line() -> None:
    invoice = codec.decode("invoice", shape("invoice_taxed_free_form.json"))
    assert invoice.billing_address == Address(
        line1="Chinwe Okafor", line2="Okafor Surveying", line3="77 Quarry Road", line4="Beaverton, OR  97005"
    )
    assert invoice.shipping_address == Address(
        line1="Attn: Site office",
        line2="Okafor Surveying",
        line3="Unit 4",
        line4="77 Quarry Road",
        line5="Beaverton, OR  97005",
    )
    assert invoice.total_tax == Decimal("36.0") and invoice.total == Decimal("486.0")
    assert [line.tax_rate_id for line in invoice.line_items] == ["2"]  # TAX at the transaction's code


def test_the_fast_page_decoder_keeps_every_address_line_too() -> None:
    row = shape("invoice_taxed_free_form.json")["Invoice"]
    body = json.dumps({"QueryResponse": {"Invoice": [row], "startPosition": 1, "maxResults": 1}}).encode()
    (fast,) = codec.decode_list("invoice", body)
    assert fast == codec.decode("invoice", row)
    assert fast.shipping_address is not None and fast.shipping_address.line5 == "Beaverton, OR  97005"


def test_a_job_customer_with_a_five_line_address() -> None:
    customer = codec.decode("customer", shape("customer_job.json"))
    assert isinstance(customer, Customer)
    assert customer.display_name == "Bakery remodel" and customer.company_name == "Vega Family Bakery"
    assert customer.billing_address is not None
    assert [
        customer.billing_address.line3,
        customer.billing_address.line4,
        customer.billing_address.line5,
    ] == [
        "12 Orchard Lane",
        "Suite 3",
        "Eugene, OR  97401",
    ]
    assert customer.shipping_address == Address(
        line1="12 Orchard Lane", city="Eugene", region="OR", postal_code="97401"
    )


def test_an_address_written_back_keeps_every_line() -> None:
    invoice = codec.decode("invoice", shape("invoice_taxed_free_form.json"))
    fields = encode_fields(
        "invoice",
        {"billing_address": invoice.billing_address, "shipping_address": invoice.shipping_address},
        EncodeContext(),
    )
    read = shape("invoice_taxed_free_form.json")["Invoice"]
    for key in ("BillAddr", "ShipAddr"):
        lines = {name: value for name, value in read[key].items() if name.startswith("Line")}
        assert {name: value for name, value in fields[key].items() if name.startswith("Line")} == lines


# ------------------------------------------------------------------------- against the emulator


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the emulator and keeps them, to look at what was sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    def bodies(self, method: str = "POST") -> list[dict[str, Any]]:
        return [
            json.loads(request.content)
            for request in self.sent
            if request.method == method and "/v3/company/" in request.url.path and request.content
        ]

    def api_calls(self) -> list[httpx.Request]:
        return [request for request in self.sent if "/v3/company/" in request.url.path]


class Env:
    def __init__(self) -> None:
        self.realm = new_realm_id()
        self.app = create_emulator(realms=[self.realm], retry_after_s=0)
        self.emulator = self.app.state.emulator
        self.emulator.create("Item", {"Name": "Services", "Type": "Service", "UnitPrice": 0})
        self.transport = Recorder(httpx.ASGITransport(app=self.app))
        self.client = AsyncClient(
            providers={
                "quickbooks": {
                    "client_id": DEFAULT_CLIENT_ID,
                    "client_secret": DEFAULT_CLIENT_SECRET,
                    "base_url": "http://qbo.test",
                    "default_item_id": SERVICE_ITEM_ID,
                }
            },
            transport=self.transport,
            environ={},
            max_retries=2,
        )

    async def connect(self) -> Any:
        tokens = self.emulator.issue_tokens()
        return await self.client.import_connection(
            consumer_id="tests",
            provider="quickbooks",
            company_id=self.realm,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )

    def stored(self, entity: str, record_id: str) -> dict[str, Any]:
        found = self.emulator.record(entity, record_id)
        assert found is not None
        return found

    def corrupt(self, entity: str, record_id: str, **fields: Any) -> None:
        """Change a stored record behind the API's back (what another app could have written)."""
        record = self.emulator.realms[self.realm].table(entity).get(record_id)
        record.data.update(fields)
        record.changed()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    made = Env()
    yield made
    await made.client.aclose()


def taxed_free_form_invoice(env: Env) -> dict[str, Any]:
    customer = env.emulator.create("Customer", {"DisplayName": f"Okafor {new_realm_id()[-6:]}"})
    body = shape("invoice_taxed_free_form.json")["Invoice"]
    for key in ("Id", "SyncToken", "MetaData", "domain", "sparse", "DocNumber", "TotalAmt", "Balance"):
        body.pop(key, None)
    body["CustomerRef"] = {"value": customer["Id"]}
    body["Line"][0]["SalesItemLineDetail"]["ItemRef"] = {"value": SERVICE_ITEM_ID}
    created = env.emulator.create("Invoice", body)
    assert created["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"}
    return created


@pytest.mark.anyio
async def test_an_unrelated_update_keeps_every_address_line_and_the_tax_code(env: Env) -> None:
    conn = await env.connect()
    created = taxed_free_form_invoice(env)
    invoice = await conn.invoices.get(created["Id"])
    await conn.invoices.update(created["Id"], {"memo": "Updated"}, row_version=invoice.row_version)
    stored = env.stored("Invoice", created["Id"])
    assert stored["CustomerMemo"] == {"value": "Updated"}
    assert stored["BillAddr"] == created["BillAddr"] and stored["ShipAddr"] == created["ShipAddr"]
    assert stored["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"}
    # Sparse: what was not changed was not sent (so it could not be sent truncated).
    (sent,) = [body for body in env.transport.bodies() if body.get("sparse")]
    assert "BillAddr" not in sent and "TxnTaxDetail" not in sent


@pytest.mark.anyio
async def test_an_address_read_and_written_back_keeps_every_line(env: Env) -> None:
    conn = await env.connect()
    created = taxed_free_form_invoice(env)
    invoice = await conn.invoices.get(created["Id"])
    moved = invoice.shipping_address.model_copy(update={"line3": "Unit 5"})
    await conn.invoices.update(created["Id"], {"shipping_address": moved})
    (sent,) = [body for body in env.transport.bodies() if body.get("sparse")]
    assert sent["ShipAddr"]["Line5"] == "Beaverton, OR  97005" and sent["ShipAddr"]["Line3"] == "Unit 5"
    stored = env.stored("Invoice", created["Id"])
    assert [stored["ShipAddr"].get(f"Line{n}") for n in range(1, 6)] == [
        "Attn: Site office",
        "Okafor Surveying",
        "Unit 5",
        "77 Quarry Road",
        "Beaverton, OR  97005",
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("with_version", [True, False], ids=["row-version", "last-writer-wins"])
async def test_an_update_of_the_tax_total_keeps_the_tax_code_it_was_read_with(
    env: Env, with_version: bool
) -> None:
    conn = await env.connect()
    created = taxed_free_form_invoice(env)
    invoice = await conn.invoices.get(created["Id"])
    version = invoice.row_version if with_version else None
    await conn.invoices.update(created["Id"], {"total_tax": Decimal("30.00")}, row_version=version)
    (sent,) = [body for body in env.transport.bodies() if body.get("sparse")]
    assert sent["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": 30.0}
    stored = env.stored("Invoice", created["Id"])
    assert stored["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"}
    assert stored["TxnTaxDetail"]["TotalTax"] == Decimal("30.00")


@pytest.mark.anyio
async def test_one_undecodable_invoice_does_not_fail_the_page(env: Env) -> None:
    conn = await env.connect()
    customer = env.emulator.create("Customer", {"DisplayName": "Page test"})
    ids = [
        env.emulator.create(
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "Amount": 5,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": SERVICE_ITEM_ID}},
                    }
                ],
            },
        )["Id"]
        for _ in range(3)
    ]
    env.corrupt("Invoice", ids[1], CurrencyRef={"value": "ZZZ"})
    pager = conn.invoices.list()
    records = await pager.to_list()
    assert [record.id for record in records] == [ids[0], ids[2]]
    (issue,) = pager.issues
    assert issue.record_id == ids[1] and issue.resource == "invoice"
    assert isinstance(issue.error, DecodeFailed) and issue.raw["CurrencyRef"] == {"value": "ZZZ"}
    with pytest.raises(DecodeFailed, match="ISO 4217") as caught:
        await conn.invoices.get(ids[1])
    assert caught.value.raw["Id"] == ids[1] and caught.value.record_id == ids[1]


@pytest.mark.anyio
async def test_an_invoice_due_before_its_date_is_read(env: Env) -> None:
    conn = await env.connect()
    created = taxed_free_form_invoice(env)
    env.corrupt("Invoice", created["Id"], DueDate="2025-10-01")
    (listed,) = await conn.invoices.list().to_list()
    assert listed.due_date == date(2025, 10, 1) and listed.issue_date == date(2025, 11, 3)
    assert (await conn.invoices.get(created["Id"])).due_date == date(2025, 10, 1)


@pytest.mark.anyio
@pytest.mark.parametrize("cursor", ["junk", "-4", "0", "1.5"])
async def test_a_junk_cursor_is_a_validation_error_before_any_call(env: Env, cursor: str) -> None:
    conn = await env.connect()
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.list(cursor=cursor).to_list()
    assert [issue.field for issue in caught.value.issues] == ["cursor"]
    assert env.transport.api_calls() == []


@pytest.mark.anyio
async def test_an_amount_beyond_quickbooks_bound_is_refused_before_any_call(env: Env) -> None:
    conn = await env.connect()
    customer = env.emulator.create("Customer", {"DisplayName": "Big spender"})
    with pytest.raises(ValidationFailed) as caught:
        await conn.invoices.create(
            Invoice(customer_id=customer["Id"], line_items=[LineItem(quantity=1, unit_price=Decimal("1e30"))])
        )
    assert {issue.field for issue in caught.value.issues} == {
        "line_items.0.unit_price",
        "line_items.0.total_amount",
    }
    with pytest.raises(ValidationFailed, match="total_tax"):
        await conn.invoices.update("1", {"total_tax": Decimal("1e30")})
    assert env.transport.api_calls() == []


@pytest.mark.anyio
async def test_the_emulator_answers_an_out_of_range_amount_with_a_validation_fault(env: Env) -> None:
    customer = env.emulator.create("Customer", {"DisplayName": "Direct"})
    async with env.emulator.http_client(env.app) as http:
        response = await http.post(
            f"{env.emulator.api_path()}/invoice",
            json={
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "Amount": 1e30,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": SERVICE_ITEM_ID}},
                    }
                ],
            },
        )
    assert response.status_code == 400
    assert response.json()["Fault"]["type"] == "ValidationFault"
