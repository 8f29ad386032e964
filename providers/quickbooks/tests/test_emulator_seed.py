"""Deterministic seeding of sample companies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from unified_accounting_quickbooks.emulator import EmulatorOptions, QuickBooksEmulator, create_emulator

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def build(**options: object) -> QuickBooksEmulator:
    return QuickBooksEmulator(clock=lambda: START, **options)


def test_same_seed_same_data_and_different_seed_differs() -> None:
    one = build(seed=42)
    two = build(seed=42)
    three = build(seed=43)
    for entity in ("Customer", "Item", "Invoice", "Payment", "Account", "CompanyInfo"):
        assert one.records(entity) == two.records(entity)
    assert one.records("Customer") != three.records("Customer")
    assert one.records("Invoice") != three.records("Invoice")


def test_default_counts_and_realistic_content() -> None:
    emulator = build(seed=7)
    assert emulator.count("Customer") == 25
    assert emulator.count("Item") == 10
    assert emulator.count("Invoice") == 60
    assert 0 < emulator.count("Payment") <= 24
    customer = emulator.records("Customer")[0]
    assert customer["DisplayName"]
    assert customer["PrimaryEmailAddr"]["Address"].count("@") == 1
    assert customer["BillAddr"]["City"]
    invoices = emulator.records("Invoice")
    dates = [invoice["TxnDate"] for invoice in invoices]
    assert dates == sorted(dates)
    assert dates[0] < (START - timedelta(days=365)).date().isoformat()
    assert dates[-1] <= START.date().isoformat()
    assert any(
        len([line for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail"]) > 1
        for invoice in invoices
    )
    paid = [invoice for invoice in invoices if invoice["Balance"] == 0]
    partial = [invoice for invoice in invoices if 0 < invoice["Balance"] < invoice["TotalAmt"]]
    assert paid
    assert partial


def test_seeded_numbers_are_consistent() -> None:
    emulator = build(seed=3, invoices=300, customers=20)
    applied: dict[str, Decimal] = {}
    for payment in emulator.records("Payment"):
        assert payment["UnappliedAmt"] == 0
        for line in payment["Line"]:
            invoice_id = line["LinkedTxn"][0]["TxnId"]
            applied[invoice_id] = applied.get(invoice_id, Decimal(0)) + line["Amount"]
    balances: dict[str, Decimal] = {}
    for invoice in emulator.records("Invoice"):
        sales = sum(line["Amount"] for line in invoice["Line"] if line["DetailType"] == "SalesItemLineDetail")
        for line in invoice["Line"]:
            if line["DetailType"] == "SalesItemLineDetail":
                detail = line["SalesItemLineDetail"]
                assert line["Amount"] == detail["UnitPrice"] * detail["Qty"]
        subtotal = next(line for line in invoice["Line"] if line["DetailType"] == "SubTotalLineDetail")
        assert subtotal["Amount"] == sales
        discount = sum(
            line["Amount"] for line in invoice["Line"] if line["DetailType"] == "DiscountLineDetail"
        )
        tax = invoice["TxnTaxDetail"]["TotalTax"]
        assert tax == sum((line["Amount"] for line in invoice["TxnTaxDetail"].get("TaxLine", ())), Decimal(0))
        assert invoice["TotalAmt"] == sales - discount + tax
        assert invoice["Balance"] == invoice["TotalAmt"] - applied.get(invoice["Id"], Decimal(0))
        assert invoice["SyncToken"] == ("1" if invoice["Id"] in applied else "0")
        customer_id = invoice["CustomerRef"]["value"]
        balances[customer_id] = balances.get(customer_id, Decimal(0)) + invoice["Balance"]
    for customer in emulator.records("Customer"):
        assert customer["Balance"] == balances.get(customer["Id"], Decimal(0))


@pytest.mark.anyio
async def test_seeded_invoice_round_trips_through_the_write_path() -> None:
    app = create_emulator(seed=9, invoices=5, clock=lambda: START, limits=False)
    emulator = app.state.emulator
    invoice = next(i for i in emulator.records("Invoice") if i["Balance"] > 0)
    async with emulator.http_client(app) as c:
        response = await c.post(
            f"{emulator.api_path()}/invoice",
            json={
                "Id": invoice["Id"],
                "SyncToken": invoice["SyncToken"],
                "sparse": True,
                "PrivateNote": "touched",
            },
        )
    assert response.status_code == 200, response.text
    updated = emulator.record("Invoice", invoice["Id"])
    assert updated["TotalAmt"] == invoice["TotalAmt"]
    assert updated["Balance"] == invoice["Balance"]


def test_empty_company_without_seed_and_several_realms() -> None:
    emulator = build(realms=["100", "200"])
    assert emulator.realm_ids == ["100", "200"]
    for realm in emulator.realm_ids:
        assert emulator.count("Invoice", realm) == 0
        assert emulator.count("Customer", realm) == 0
        assert emulator.count("Account", realm) >= 10
        assert emulator.count("CompanyInfo", realm) == 1
    seeded = build(seed=1, realms=2, invoices=10)
    first, second = seeded.realm_ids
    assert seeded.records("Customer", first) != seeded.records("Customer", second)
    assert (
        seeded.records("CompanyInfo", first)[0]["CompanyName"]
        != seeded.records("CompanyInfo", second)[0]["CompanyName"]
    )


def test_options_are_validated() -> None:
    with pytest.raises(TypeError, match="unknown emulator option"):
        create_emulator(sed=1)
    with pytest.raises(ValueError, match="rotation"):
        create_emulator(refresh_token_rotation="weekly")
    emulator = QuickBooksEmulator(EmulatorOptions(seed=1, invoices=3, clock=lambda: START))
    assert emulator.count("Invoice") == 3
