"""Batch requests, requestid idempotency and Change Data Capture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from unified_accounting_quickbooks.emulator import create_emulator

START = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def make_app(**options: Any) -> Any:
    options.setdefault("clock", lambda: START)
    return create_emulator(seed=4, customers=3, items=3, invoices=4, payments=0, limits=False, **options)


def line(amount: str = "10.00") -> list[dict[str, Any]]:
    return [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": float(amount),
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
        }
    ]


@pytest.mark.anyio
async def test_batch_mixed_items_and_item_faults() -> None:
    app = make_app()
    emulator = app.state.emulator
    existing = emulator.records("Invoice")[0]
    customer = emulator.records("Customer")[0]
    async with emulator.http_client(app) as c:
        response = await c.post(
            f"{emulator.api_path()}/batch",
            json={
                "BatchItemRequest": [
                    {
                        "bId": "1",
                        "operation": "create",
                        "Invoice": {"CustomerRef": {"value": customer["Id"]}, "Line": line()},
                    },
                    {
                        "bId": "2",
                        "operation": "update",
                        "Invoice": {
                            "Id": existing["Id"],
                            "SyncToken": existing["SyncToken"],
                            "sparse": True,
                            "PrivateNote": "batched",
                        },
                    },
                    {
                        "bId": "3",
                        "operation": "update",
                        "Invoice": {"Id": existing["Id"], "SyncToken": existing["SyncToken"], "sparse": True},
                    },
                    {"bId": "4", "Query": "select * from Customer maxresults 2"},
                    {"bId": "5", "operation": "create", "Customer": {"DisplayName": customer["DisplayName"]}},
                    {"bId": "6", "operation": "delete", "Invoice": {"Id": existing["Id"], "SyncToken": "1"}},
                    {"bId": "7", "Query": "select * from Nothing"},
                ]
            },
        )
    assert response.status_code == 200
    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert items["1"]["Invoice"]["TotalAmt"] == 10
    assert items["2"]["Invoice"]["PrivateNote"] == "batched"
    assert items["3"]["Fault"]["Error"][0]["code"] == "5010"
    assert items["3"]["Fault"]["type"] == "ValidationFault"
    assert len(items["4"]["QueryResponse"]["Customer"]) == 2
    assert items["4"]["QueryResponse"]["startPosition"] == 1
    assert items["5"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["6"]["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}
    assert items["7"]["Fault"]["Error"][0]["code"] == "4001"
    assert emulator.record("Invoice", existing["Id"]) is None


@pytest.mark.anyio
async def test_batch_limit() -> None:
    app = make_app()
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        too_many = {"BatchItemRequest": [{"bId": str(i), "Query": "select * from Item"} for i in range(31)]}
        response = await c.post(f"{emulator.api_path()}/batch", json=too_many)
        assert response.status_code == 400
        assert response.json()["Fault"]["type"] == "ValidationFault"
        thirty = {"BatchItemRequest": too_many["BatchItemRequest"][:30]}
        assert (await c.post(f"{emulator.api_path()}/batch", json=thirty)).status_code == 200
        broken = await c.post(f"{emulator.api_path()}/batch", json={"nope": []})
        assert broken.status_code == 400


@pytest.mark.anyio
async def test_requestid_replays_the_first_answer() -> None:
    app = make_app()
    emulator = app.state.emulator
    before = emulator.count("Customer")
    async with emulator.http_client(app) as c:
        url = f"{emulator.api_path()}/customer"
        first = await c.post(url, params={"requestid": "req-1"}, json={"DisplayName": "Idempotent"})
        again = await c.post(url, params={"requestid": "req-1"}, json={"DisplayName": "Idempotent"})
        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert emulator.count("Customer") == before + 1
        other = await c.post(url, params={"requestid": "req-2"}, json={"DisplayName": "Idempotent"})
        assert other.json()["Fault"]["Error"][0]["code"] == "6240"
        too_long = await c.post(url, params={"requestid": "x" * 51}, json={"DisplayName": "Long"})
        assert too_long.status_code == 400
        invoice = emulator.records("Invoice")[0]
        delete_url = f"{emulator.api_path()}/invoice?operation=delete&requestid=del-1"
        deleted = await c.post(delete_url, json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]})
        replay = await c.post(delete_url, json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]})
        assert deleted.status_code == replay.status_code == 200
        assert replay.content == deleted.content
        other_realm = create_emulator(realms=["555"], clock=lambda: START)
        async with other_realm.state.emulator.http_client(other_realm) as c2:
            fresh = await c2.post(
                "/v3/company/555/customer", params={"requestid": "req-1"}, json={"DisplayName": "Idempotent"}
            )
            assert fresh.json()["Customer"]["Id"] == "1"
    assert emulator.replayed == 2


@pytest.mark.anyio
async def test_cdc_reports_changes_and_deletions() -> None:
    app = make_app()
    emulator = app.state.emulator
    emulator.advance(3600)
    since = emulator.now()
    emulator.advance(60)
    customer = emulator.create("Customer", {"DisplayName": "Fresh"})
    invoice = emulator.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": line()})
    old = emulator.records("Invoice")[0]
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        emulator.advance(60)
        await c.post(
            f"{base}/invoice?operation=delete", json={"Id": old["Id"], "SyncToken": old["SyncToken"]}
        )
        response = await c.get(
            f"{base}/cdc", params={"entities": "Invoice,Customer,Payment", "changedSince": since.isoformat()}
        )
        assert response.status_code == 200
        groups = response.json()["CDCResponse"][0]["QueryResponse"]
        assert len(groups) == 3
        invoices = groups[0]["Invoice"]
        assert [entry["Id"] for entry in invoices] == [invoice["Id"], old["Id"]]
        assert invoices[1] == {
            "domain": "QBO",
            "status": "Deleted",
            "Id": old["Id"],
            "MetaData": {"LastUpdatedTime": "2026-03-02T13:02:00-08:00"},
        }
        assert [entry["Id"] for entry in groups[1]["Customer"]] == [customer["Id"]]
        assert "Payment" not in groups[2]
        assert groups[0]["maxResults"] == 2
        pacific = (since - timedelta(seconds=1)).astimezone().isoformat()
        again = await c.get(f"{base}/cdc", params={"entities": "customer", "changedSince": pacific})
        assert len(again.json()["CDCResponse"][0]["QueryResponse"][0]["Customer"]) == 1


@pytest.mark.anyio
async def test_cdc_limits() -> None:
    app = make_app(cdc_max_objects=3)
    emulator = app.state.emulator
    since = emulator.now() - timedelta(seconds=1)
    for index in range(5):
        emulator.create("Customer", {"DisplayName": f"Bulk {index}"})
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        capped = await c.get(
            f"{base}/cdc", params={"entities": "Customer,Invoice", "changedSince": since.isoformat()}
        )
        groups = capped.json()["CDCResponse"][0]["QueryResponse"]
        assert len(groups[0]["Customer"]) == 3
        assert "Invoice" not in groups[1]
        too_old = await c.get(
            f"{base}/cdc",
            params={
                "entities": "Customer",
                "changedSince": (emulator.now() - timedelta(days=31)).isoformat(),
            },
        )
        assert too_old.status_code == 400
        assert too_old.json()["Fault"]["Error"][0]["element"] == "changedSince"
        within = await c.get(
            f"{base}/cdc",
            params={
                "entities": "Customer",
                "changedSince": (emulator.now() - timedelta(days=29)).isoformat(),
            },
        )
        assert within.status_code == 200
        missing = await c.get(f"{base}/cdc", params={"entities": "Customer"})
        assert missing.json()["Fault"]["Error"][0]["code"] == "2020"
        unknown = await c.get(f"{base}/cdc", params={"entities": "Gizmo", "changedSince": since.isoformat()})
        assert unknown.status_code == 400
        bad_date = await c.get(f"{base}/cdc", params={"entities": "Customer", "changedSince": "yesterday"})
        assert bad_date.status_code == 400
