"""Payments against invoices: balances, SyncToken bumps, over-application, void and delete."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import create_emulator

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def make_app() -> Any:
    return create_emulator(clock=lambda: START, limits=False)


async def setup(c: httpx.AsyncClient, base: str) -> tuple[str, list[dict[str, Any]]]:
    customer = (await c.post(f"{base}/customer", json={"DisplayName": "Payer Inc"})).json()["Customer"]
    invoices = []
    for amount in ("100.00", "40.00"):
        response = await c.post(
            f"{base}/invoice",
            content=f'{{"CustomerRef":{{"value":"{customer["Id"]}"}},"Line":[{{"DetailType":"SalesItemLineDetail",'
            f'"Amount":{amount},"SalesItemLineDetail":{{}}}}]}}',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        invoices.append(response.json()["Invoice"])
    return customer["Id"], invoices


def payment(customer_id: str, total: str, *applications: tuple[str, str]) -> str:
    lines = ",".join(
        f'{{"Amount":{amount},"LinkedTxn":[{{"TxnId":"{invoice_id}","TxnType":"Invoice"}}]}}'
        for invoice_id, amount in applications
    )
    return f'{{"CustomerRef":{{"value":"{customer_id}"}},"TotalAmt":{total},"Line":[{lines}]}}'


def money(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.mark.anyio
async def test_payment_lowers_balances_and_bumps_invoice_sync_token() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        customer_id, (first, second) = await setup(c, base)
        response = await c.post(
            f"{base}/payment",
            content=payment(customer_id, "130.00", (first["Id"], "100.00"), (second["Id"], "25.50")),
        )
        assert response.status_code == 200, response.text
        paid = response.json()["Payment"]
        assert money(paid["TotalAmt"]) == Decimal("130.00")
        assert money(paid["UnappliedAmt"]) == Decimal("4.50")
        assert paid["DepositToAccountRef"]["name"] == "Undeposited Funds"
        one = (await c.get(f"{base}/invoice/{first['Id']}")).json()["Invoice"]
        two = (await c.get(f"{base}/invoice/{second['Id']}")).json()["Invoice"]
        assert one["Balance"] == 0
        assert money(two["Balance"]) == Decimal("14.50")
        assert one["SyncToken"] == "1"
        assert one["LinkedTxn"] == [{"TxnId": paid["Id"], "TxnType": "Payment"}]
        assert emulator.record("Customer", customer_id)["Balance"] == Decimal("14.50")
        other = (await c.post(f"{base}/customer", json={"DisplayName": "New Owner"})).json()["Customer"]
        moved = await c.post(
            f"{base}/invoice",
            json={"Id": first["Id"], "SyncToken": "1", "sparse": True, "CustomerRef": {"value": other["Id"]}},
        )
        assert moved.json()["Fault"]["Error"][0]["code"] == "6000"
        # the classic 5010: an update with the token read before the payment
        stale = await c.post(
            f"{base}/invoice",
            json={"Id": first["Id"], "SyncToken": first["SyncToken"], "sparse": True, "PrivateNote": "x"},
        )
        assert stale.json()["Fault"]["Error"][0]["code"] == "5010"
        count = await c.get(
            f"{base}/query", params={"query": "select count(*) from Invoice where Balance > '0'"}
        )
        assert count.json()["QueryResponse"]["totalCount"] == 1


@pytest.mark.anyio
async def test_over_application_is_6000() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        customer_id, (first, _second) = await setup(c, base)
        over_invoice = await c.post(
            f"{base}/payment", content=payment(customer_id, "500", (first["Id"], "100.01"))
        )
        assert over_invoice.status_code == 400
        assert over_invoice.json()["Fault"]["Error"][0]["code"] == "6000"
        over_payment = await c.post(
            f"{base}/payment", content=payment(customer_id, "10", (first["Id"], "20"))
        )
        assert over_payment.json()["Fault"]["Error"][0]["code"] == "6000"
        await c.post(f"{base}/payment", content=payment(customer_id, "60", (first["Id"], "60")))
        second_try = await c.post(f"{base}/payment", content=payment(customer_id, "50", (first["Id"], "50")))
        assert second_try.json()["Fault"]["Error"][0]["code"] == "6000"
        other = (await c.post(f"{base}/customer", json={"DisplayName": "Someone Else"})).json()["Customer"]
        wrong_customer = await c.post(
            f"{base}/payment", content=payment(other["Id"], "1", (first["Id"], "1"))
        )
        assert wrong_customer.json()["Fault"]["Error"][0]["code"] == "6000"
        missing_invoice = await c.post(f"{base}/payment", content=payment(customer_id, "1", ("9999", "1")))
        assert missing_invoice.json()["Fault"]["Error"][0]["code"] == "2500"
    assert emulator.record("Invoice", first["Id"])["Balance"] == Decimal("40.00")


@pytest.mark.anyio
async def test_void_payment_restores_balances() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        customer_id, (first, _second) = await setup(c, base)
        paid = (
            await c.post(f"{base}/payment", content=payment(customer_id, "70", (first["Id"], "70")))
        ).json()["Payment"]
        voided = await c.post(
            f"{base}/payment",
            params={"operation": "update", "include": "void"},
            json={"Id": paid["Id"], "SyncToken": paid["SyncToken"], "sparse": True},
        )
        assert voided.status_code == 200, voided.text
        data = voided.json()["Payment"]
        assert data["TotalAmt"] == 0
        assert data["PrivateNote"] == "Voided"
        assert data["SyncToken"] == "1"
        invoice = (await c.get(f"{base}/invoice/{first['Id']}")).json()["Invoice"]
        assert money(invoice["Balance"]) == Decimal("100.00")
        assert invoice["SyncToken"] == "2"
        assert invoice["LinkedTxn"] == []
        assert emulator.record("Customer", customer_id)["Balance"] == Decimal("140.00")


@pytest.mark.anyio
async def test_delete_payment_restores_balances_and_partial_payments_add_up() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        customer_id, (first, _second) = await setup(c, base)
        a = (await c.post(f"{base}/payment", content=payment(customer_id, "30", (first["Id"], "30")))).json()[
            "Payment"
        ]
        b = (
            await c.post(f"{base}/payment", content=payment(customer_id, "20.25", (first["Id"], "20.25")))
        ).json()["Payment"]
        assert emulator.record("Invoice", first["Id"])["Balance"] == Decimal("49.75")
        refused = await c.post(f"{base}/invoice?operation=void", json={"Id": first["Id"], "SyncToken": "2"})
        assert refused.json()["Fault"]["Error"][0]["code"] == "6000"
        deleted = await c.post(f"{base}/payment?operation=delete", json={"Id": a["Id"], "SyncToken": "0"})
        assert deleted.json()["Payment"]["status"] == "Deleted"
        invoice = emulator.record("Invoice", first["Id"])
        assert invoice["Balance"] == Decimal("79.75")
        assert invoice["LinkedTxn"] == [{"TxnId": b["Id"], "TxnType": "Payment"}]
        # updating the remaining payment re-applies the difference
        updated = await c.post(
            f"{base}/payment",
            content=(
                f'{{"Id":"{b["Id"]}","SyncToken":"0","CustomerRef":{{"value":"{customer_id}"}},"TotalAmt":100,'
                f'"Line":[{{"Amount":100,"LinkedTxn":[{{"TxnId":"{first["Id"]}","TxnType":"Invoice"}}]}}]}}'
            ),
        )
        assert updated.status_code == 200, updated.text
        assert emulator.record("Invoice", first["Id"])["Balance"] == 0
