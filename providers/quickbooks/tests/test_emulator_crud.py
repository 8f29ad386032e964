"""Emulated Accounting API writes and reads: create, full/sparse update, locking, faults, void, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import create_emulator

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def make_app(**options: Any) -> Any:
    options.setdefault("clock", lambda: START)
    return create_emulator(seed=5, customers=5, items=4, invoices=3, payments=0, limits=False, **options)


def client(app: Any) -> httpx.AsyncClient:
    client: httpx.AsyncClient = app.state.emulator.http_client(app)
    return client


def fault(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["Fault"]["type"] == "ValidationFault"
    assert "time" in body
    error: dict[str, Any] = body["Fault"]["Error"][0]
    return error


def decimal_json(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal)


async def new_customer(c: httpx.AsyncClient, base: str, name: str = "Acme Anvils") -> dict[str, Any]:
    response = await c.post(
        f"{base}/customer", json={"DisplayName": name, "PrimaryEmailAddr": {"Address": "a@x.example"}}
    )
    assert response.status_code == 200, response.text
    customer: dict[str, Any] = response.json()["Customer"]
    return customer


def sale(
    amount: str | None, qty: Any = None, price: Any = None, item: str = "1", tax: str | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": item}}
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    if tax is not None:
        detail["TaxCodeRef"] = {"value": tax}
    line: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    if amount is not None:
        line["Amount"] = Decimal(amount)
    return line


async def post(c: httpx.AsyncClient, url: str, payload: Any) -> httpx.Response:
    return await c.post(url, content=_raw(payload), headers={"Content-Type": "application/json"})


def _raw(payload: Any) -> str:
    # Decimals are written verbatim, so "12.10" reaches the emulator as the JSON number 12.10.
    class Encoder(json.JSONEncoder):
        def default(self, value: object) -> object:
            if isinstance(value, Decimal):
                return f"@@{value}@@"
            return super().default(value)

    return Encoder().encode(payload).replace('"@@', "").replace('@@"', "")


@pytest.mark.anyio
async def test_create_and_read_customer_wire_format() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with client(app) as c:
        base = emulator.api_path()
        created = await c.post(f"{base}/customer?minorversion=75", json={"DisplayName": "Acme Anvils"})
        assert created.status_code == 200
        body = created.json()
        assert set(body) == {"Customer", "time"}
        assert body["time"].endswith("-08:00")
        customer = body["Customer"]
        assert isinstance(customer["Id"], str)
        assert customer["SyncToken"] == "0"
        assert customer["Active"] is True
        assert customer["MetaData"]["CreateTime"] == "2026-03-02T12:00:00-08:00"
        assert customer["MetaData"]["LastUpdatedTime"] == "2026-03-02T12:00:00-08:00"
        read = await c.get(f"{base}/customer/{customer['Id']}")
        assert read.json()["Customer"] == customer
    assert emulator.request_log[-2].query["minorversion"] == "75"


@pytest.mark.anyio
async def test_offset_is_an_option() -> None:
    app = make_app(utc_offset="+05:30")
    async with client(app) as c:
        created = await c.post(f"{app.state.emulator.api_path()}/customer", json={"DisplayName": "Tz"})
    assert created.json()["Customer"]["MetaData"]["CreateTime"] == "2026-03-03T01:30:00+05:30"


@pytest.mark.anyio
async def test_invoice_totals_are_exact_decimals() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with client(app) as c:
        base = emulator.api_path()
        customer = await new_customer(c, base)
        payload = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                sale("12.10", 1, Decimal("12.10")),
                sale(None, 3, Decimal("0.10")),
                {"DetailType": "DescriptionOnly", "Description": "Thanks"},
                {
                    "DetailType": "DiscountLineDetail",
                    "Amount": Decimal("1.00"),
                    "DiscountLineDetail": {"PercentBased": False},
                },
            ],
        }
        response = await post(c, f"{base}/invoice", payload)
        assert response.status_code == 200, response.text
        assert '"Amount":12.10' in response.text
        invoice = decimal_json(response)["Invoice"]
        kinds = [line["DetailType"] for line in invoice["Line"]]
        assert kinds == [
            "SalesItemLineDetail",
            "SalesItemLineDetail",
            "DescriptionOnly",
            "SubTotalLineDetail",
            "DiscountLineDetail",
        ]
        assert invoice["Line"][1]["Amount"] == Decimal("0.30")
        assert invoice["Line"][3]["Amount"] == Decimal("12.40")
        assert invoice["TotalAmt"] == Decimal("11.40")
        assert invoice["Balance"] == Decimal("11.40")
        assert invoice["TxnTaxDetail"]["TotalTax"] == 0
        assert [line.get("Id") for line in invoice["Line"][:3]] == ["1", "2", "3"]
        assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"]
        assert invoice["CustomerRef"] == {"value": customer["Id"], "name": "Acme Anvils"}
        assert invoice["DocNumber"]
        assert invoice["TxnDate"] == "2026-03-02"
        assert invoice["EmailStatus"] == "NotSet"
        customer_after = emulator.record("Customer", customer["Id"])
        assert customer_after["Balance"] == Decimal("11.40")


@pytest.mark.anyio
async def test_percent_discount_and_flat_tax() -> None:
    app = make_app(tax_rates={"TAX": "10"})
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        payload = {
            "CustomerRef": {"value": customer["Id"]},
            "ApplyTaxAfterDiscount": True,
            "Line": [
                sale("100.00", 2, Decimal("50.00"), tax="TAX"),
                sale("50.00", tax="NON"),
                {
                    "DetailType": "DiscountLineDetail",
                    "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
                },
            ],
        }
        invoice = decimal_json(await post(c, f"{base}/invoice", payload))["Invoice"]
    # subtotal 150, discount 15; taxable 100 scaled by 135/150 = 90 -> tax 9.00
    assert invoice["Line"][-1]["Amount"] == Decimal("15.00")
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("9.00")
    assert invoice["TotalAmt"] == Decimal("144.00")


@pytest.mark.anyio
async def test_amount_must_match_qty_times_price() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        payload = {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("10.00", 3, Decimal("4.00"))]}
        error = fault(await post(c, f"{base}/invoice", payload))
    assert error["code"] == "6070"


@pytest.mark.anyio
async def test_required_fields_2020() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        no_customer = fault(await post(c, f"{base}/invoice", {"Line": [sale("1.00")]}))
        assert (no_customer["code"], no_customer["element"]) == ("2020", "CustomerRef")
        no_lines = fault(await post(c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}}))
        assert (no_lines["code"], no_lines["element"]) == ("2020", "Line")
        nameless = fault(await c.post(f"{base}/customer", json={"Notes": "who?"}))
        assert nameless["code"] == "2020"
        derived = await c.post(f"{base}/customer", json={"GivenName": "Ada", "FamilyName": "Lovelace"})
        assert derived.json()["Customer"]["DisplayName"] == "Ada Lovelace"
        no_total = fault(await c.post(f"{base}/payment", json={"CustomerRef": {"value": customer["Id"]}}))
        assert no_total["element"] == "TotalAmt"
        no_item_name = fault(await c.post(f"{base}/item", json={"Type": "Service"}))
        assert no_item_name["element"] == "Name"


@pytest.mark.anyio
async def test_references_invalid_or_inactive() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        missing = fault(
            await post(c, f"{base}/invoice", {"CustomerRef": {"value": "9999"}, "Line": [sale("1.00")]})
        )
        assert missing["code"] == "2500"
        customer = await new_customer(c, base)
        await c.post(
            f"{base}/customer", json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        )
        inactive = fault(
            await post(
                c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("1.00")]}
            )
        )
        assert inactive["code"] == "610"


@pytest.mark.anyio
async def test_full_update_nulls_omitted_fields_and_sparse_keeps_them() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with client(app) as c:
        base = emulator.api_path()
        customer = await new_customer(c, base)
        created = (
            await post(
                c,
                f"{base}/invoice",
                {
                    "CustomerRef": {"value": customer["Id"]},
                    "Line": [sale("5.00")],
                    "PrivateNote": "keep?",
                    "CustomerMemo": {"value": "memo"},
                    "DocNumber": "A-1",
                },
            )
        ).json()["Invoice"]
        emulator.advance(60)
        sparse = (
            await post(
                c,
                f"{base}/invoice",
                {
                    "Id": created["Id"],
                    "SyncToken": created["SyncToken"],
                    "sparse": True,
                    "PrivateNote": "changed",
                },
            )
        ).json()["Invoice"]
        assert sparse["SyncToken"] == "1"
        assert sparse["PrivateNote"] == "changed"
        assert sparse["CustomerMemo"] == {"value": "memo"}
        assert sparse["DocNumber"] == "A-1"
        assert sparse["MetaData"]["LastUpdatedTime"] == "2026-03-02T12:01:00-08:00"
        assert sparse["MetaData"]["CreateTime"] == created["MetaData"]["CreateTime"]
        full = (
            await post(
                c,
                f"{base}/invoice",
                {
                    "Id": created["Id"],
                    "SyncToken": "1",
                    "CustomerRef": {"value": customer["Id"]},
                    "Line": [sale("7.00")],
                },
            )
        ).json()["Invoice"]
        assert full["SyncToken"] == "2"
        assert "PrivateNote" not in full
        assert "CustomerMemo" not in full
        assert "DocNumber" not in full
        assert full["TotalAmt"] == 7
        assert full["Id"] == created["Id"]


@pytest.mark.anyio
async def test_stale_sync_token_5010() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        ok = await c.post(
            f"{base}/customer", json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "one"}
        )
        assert ok.json()["Customer"]["SyncToken"] == "1"
        stale = fault(
            await c.post(
                f"{base}/customer",
                json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "two"},
            )
        )
        assert stale["code"] == "5010"
        no_token = fault(await c.post(f"{base}/customer", json={"Id": customer["Id"], "sparse": True}))
        assert no_token["element"] == "SyncToken"


@pytest.mark.anyio
async def test_object_not_found_610() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        assert fault(await c.get(f"{base}/invoice/424242"))["code"] == "610"
        assert (
            fault(
                await c.post(f"{base}/customer", json={"Id": "424242", "SyncToken": "0", "DisplayName": "x"})
            )["code"]
            == "610"
        )
        unknown_entity = await c.get(f"{base}/bill/1")
        assert unknown_entity.status_code == 400


@pytest.mark.anyio
async def test_duplicate_display_name_6240() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base, "Unique Name")
        error = fault(await c.post(f"{base}/customer", json={"DisplayName": "unique name"}))
        assert error["code"] == "6240"
        assert error["Message"] == "Duplicate Name Exists Error"
        same = await c.post(
            f"{base}/customer",
            json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "Unique Name"},
        )
        assert same.status_code == 200
        renamed = await c.post(
            f"{base}/customer",
            json={"Id": customer["Id"], "SyncToken": "1", "sparse": True, "DisplayName": "Another Name"},
        )
        assert renamed.status_code == 200
        reuse = await c.post(f"{base}/customer", json={"DisplayName": "Unique Name"})
        assert reuse.status_code == 200
        colon = fault(await c.post(f"{base}/customer", json={"DisplayName": "a:b"}))
        assert colon["element"] == "DisplayName"
        assert fault(await c.post(f"{base}/item", json={"Name": "consulting"}))["code"] == "6240"


@pytest.mark.anyio
async def test_duplicate_doc_number_option_and_auto_numbering() -> None:
    app = make_app(reject_duplicate_doc_number=True)
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        first = (
            await post(
                c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("1.00")]}
            )
        ).json()["Invoice"]
        second = (
            await post(
                c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("1.00")]}
            )
        ).json()["Invoice"]
        assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
        duplicate = fault(
            await post(
                c,
                f"{base}/invoice",
                {
                    "CustomerRef": {"value": customer["Id"]},
                    "DocNumber": first["DocNumber"],
                    "Line": [sale("1.00")],
                },
            )
        )
        assert duplicate["code"] == "6210"
    lenient = make_app()
    async with client(lenient) as c:
        base = lenient.state.emulator.api_path()
        customer = await new_customer(c, base)
        for _ in range(2):
            response = await post(
                c,
                f"{base}/invoice",
                {"CustomerRef": {"value": customer["Id"]}, "DocNumber": "SAME", "Line": [sale("1.00")]},
            )
            assert response.status_code == 200


@pytest.mark.anyio
async def test_void_invoice_is_kept_with_zero_amounts() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        invoice = (
            await post(
                c,
                f"{base}/invoice",
                {
                    "CustomerRef": {"value": customer["Id"]},
                    "Line": [sale("30.00", 3, Decimal("10.00"))],
                    "PrivateNote": "rush order",
                },
            )
        ).json()["Invoice"]
        voided = await c.post(
            f"{base}/invoice?operation=void", json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}
        )
        assert voided.status_code == 200, voided.text
        data = voided.json()["Invoice"]
        assert data["TotalAmt"] == 0
        assert data["Balance"] == 0
        assert data["SyncToken"] == "1"
        assert data["PrivateNote"].startswith("Voided")
        assert "rush order" in data["PrivateNote"]
        assert all(line["Amount"] == 0 for line in data["Line"])
        assert data["Line"][0]["SalesItemLineDetail"]["Qty"] == 0
        read = await c.get(f"{base}/invoice/{invoice['Id']}")
        assert read.status_code == 200
        assert app.state.emulator.record("Customer", customer["Id"])["Balance"] == 0


@pytest.mark.anyio
async def test_delete_invoice_and_rules_for_name_lists() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        invoice = (
            await post(
                c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("2.00")]}
            )
        ).json()["Invoice"]
        stale = fault(
            await c.post(f"{base}/invoice?operation=delete", json={"Id": invoice["Id"], "SyncToken": "7"})
        )
        assert stale["code"] == "5010"
        deleted = await c.post(
            f"{base}/invoice?operation=delete", json={"Id": invoice["Id"], "SyncToken": "0"}
        )
        assert deleted.status_code == 200
        assert deleted.json()["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
        assert fault(await c.get(f"{base}/invoice/{invoice['Id']}"))["code"] == "610"
        refused = fault(
            await c.post(f"{base}/customer?operation=delete", json={"Id": customer["Id"], "SyncToken": "0"})
        )
        assert refused["code"] == "500"
        inactive = await c.post(
            f"{base}/customer", json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        )
        assert inactive.json()["Customer"]["Active"] is False
        assert app.state.emulator.record("Customer", customer["Id"]) is not None
        company = fault(await c.post(f"{base}/companyinfo", json={"CompanyName": "x"}))
        assert company["code"] == "500"


@pytest.mark.anyio
async def test_rename_inactive_customers_option() -> None:
    app = make_app(rename_inactive_customers=True)
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base, "Gone Ltd")
        inactive = await c.post(
            f"{base}/customer", json={"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        )
    assert inactive.json()["Customer"]["DisplayName"] == "Gone Ltd (deleted)"


@pytest.mark.anyio
async def test_send_invoice() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        customer = await new_customer(c, base)
        invoice = (
            await post(
                c, f"{base}/invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sale("2.00")]}
            )
        ).json()["Invoice"]
        no_address = fault(
            await c.post(
                f"{base}/invoice/{invoice['Id']}/send", headers={"Content-Type": "application/octet-stream"}
            )
        )
        assert no_address["code"] == "6000"
        sent = await c.post(
            f"{base}/invoice/{invoice['Id']}/send",
            params={"sendTo": "pay@x.example"},
            headers={"Content-Type": "application/octet-stream"},
        )
        assert sent.status_code == 200
        data = sent.json()["Invoice"]
        assert data["EmailStatus"] == "EmailSent"
        assert data["BillEmail"] == {"Address": "pay@x.example"}
        assert data["SyncToken"] == "1"
        assert data["DeliveryInfo"]["DeliveryType"] == "Email"


@pytest.mark.anyio
async def test_invalid_json_is_a_fault() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        broken = await c.post(
            f"{base}/customer", content="{not json", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 400
        assert broken.json()["Fault"]["type"] == "ValidationFault"
        array = await c.post(f"{base}/customer", json=[1, 2])
        assert array.status_code == 400
        nan = await c.post(f"{base}/customer", content='{"DisplayName": "n", "Balance": NaN}')
        assert nan.status_code == 400


@pytest.mark.anyio
async def test_company_info_read_and_update() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with client(app) as c:
        base = emulator.api_path()
        info = (await c.get(f"{base}/companyinfo/{emulator.default_realm_id}")).json()["CompanyInfo"]
        assert info["Id"] == "1"
        updated = await c.post(
            f"{base}/companyinfo",
            json={"Id": "1", "SyncToken": info["SyncToken"], "sparse": True, "LegalName": "New Legal"},
        )
        assert updated.json()["CompanyInfo"]["LegalName"] == "New Legal"
        assert updated.json()["CompanyInfo"]["CompanyName"] == info["CompanyName"]


@pytest.mark.anyio
async def test_item_and_account_creation() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        item = (await c.post(f"{base}/item", json={"Name": "Widget", "UnitPrice": 3.5})).json()["Item"]
        assert item["Type"] == "Service"
        assert item["IncomeAccountRef"]["value"]
        account = await c.post(f"{base}/account", json={"Name": "Petty Cash", "AccountType": "Bank"})
        assert account.json()["Account"]["Classification"] == "Asset"
        assert fault(await c.post(f"{base}/account", json={"Name": "No Type"}))["element"] == "AccountType"


def test_python_level_writes() -> None:
    emulator = make_app().state.emulator
    customer = emulator.create("Customer", {"DisplayName": "From Python"})
    invoice = emulator.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": "4.20"}],
        },
    )
    assert invoice["TotalAmt"] == Decimal("4.20")
    updated = emulator.update(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"}
    )
    assert updated["SyncToken"] == "1"
    assert len(emulator.records("Customer")) == 6


@pytest.mark.anyio
async def test_unknown_properties_are_refused_unless_lenient() -> None:
    app = make_app()
    async with client(app) as c:
        base = app.state.emulator.api_path()
        error = fault(await c.post(f"{base}/customer", json={"DisplayName": "Typo", "DisplyName": "x"}))
        assert (error["code"], error["element"]) == ("2010", "DisplyName")
    lenient = make_app(strict_properties=False)
    async with client(lenient) as c:
        ok = await c.post(
            f"{lenient.state.emulator.api_path()}/customer", json={"DisplayName": "T", "Extra": 1}
        )
        assert ok.status_code == 200
