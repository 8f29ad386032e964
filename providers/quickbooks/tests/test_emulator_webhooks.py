"""Webhook notifications: signature, legacy and CloudEvents bodies, batching, automatic delivery."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks.emulator import create_emulator

START = datetime(2026, 3, 2, 20, 0, 0, 250000, tzinfo=UTC)
HOOK = "https://hooks.example/qbo"
VERIFIER = "verifier-123"


class Recorder:
    """An httpx transport that records every webhook request."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status)


def make_app(recorder: Recorder, **options: Any) -> Any:
    return create_emulator(
        clock=lambda: START,
        limits=False,
        webhook_url=HOOK,
        webhook_verifier_token=VERIFIER,
        webhook_transport=recorder.transport,
        **options,
    )


def verify(request: httpx.Request) -> None:
    expected = base64.b64encode(
        hmac.new(VERIFIER.encode(), request.content, hashlib.sha256).digest()
    ).decode()
    assert hmac.compare_digest(request.headers["intuit-signature"], expected)


@pytest.mark.anyio
async def test_legacy_notifications_are_signed_and_batched() -> None:
    recorder = Recorder()
    app = make_app(recorder, seed=1, customers=2, items=2, invoices=0)
    emulator = app.state.emulator
    assert emulator.pending_webhooks == []  # seeding is silent
    async with emulator.http_client(app) as c:
        base = emulator.api_path()
        customer = (await c.post(f"{base}/customer", json={"DisplayName": "Hooked"})).json()["Customer"]
        invoice = (
            await c.post(
                f"{base}/invoice",
                json={
                    "CustomerRef": {"value": customer["Id"]},
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 5, "SalesItemLineDetail": {}}],
                    "BillEmail": {"Address": "h@x.example"},
                },
            )
        ).json()["Invoice"]
        await c.post(f"{base}/invoice/{invoice['Id']}/send")
        await c.post(f"{base}/invoice?operation=void", json={"Id": invoice["Id"], "SyncToken": "1"})
        await c.post(f"{base}/invoice?operation=delete", json={"Id": invoice["Id"], "SyncToken": "2"})
        failed = await c.post(f"{base}/customer", json={"DisplayName": "Hooked"})
        assert failed.status_code == 400
    assert len(emulator.pending_webhooks) == 5
    deliveries = await emulator.deliver_webhooks()
    assert len(deliveries) == 1
    assert deliveries[0].ok
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert str(request.url) == HOOK
    assert request.method == "POST"
    verify(request)
    body = json.loads(request.content)
    notification = body["eventNotifications"][0]
    assert notification["realmId"] == emulator.default_realm_id
    entities = notification["dataChangeEvent"]["entities"]
    assert [(e["name"], e["operation"]) for e in entities] == [
        ("Customer", "Create"),
        ("Invoice", "Create"),
        ("Invoice", "Emailed"),
        ("Invoice", "Void"),
        ("Invoice", "Delete"),
    ]
    assert entities[1]["id"] == invoice["Id"]
    assert entities[0]["lastUpdated"] == "2026-03-02T20:00:00.250Z"
    assert emulator.pending_webhooks == []
    assert await emulator.deliver_webhooks() == []


@pytest.mark.anyio
async def test_payment_notifies_the_invoice_too_and_realms_are_grouped() -> None:
    recorder = Recorder()
    app = make_app(recorder, realms=["10", "20"])
    emulator = app.state.emulator
    customer = emulator.create("Customer", {"DisplayName": "P"}, realm_id="10")
    invoice = emulator.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 9}],
        },
        "10",
    )
    emulator.create(
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": 9,
            "Line": [{"Amount": 9, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
        "10",
    )
    emulator.create("Customer", {"DisplayName": "Q"}, realm_id="20")
    await emulator.deliver_webhooks()
    body = json.loads(recorder.requests[0].content)
    by_realm = {n["realmId"]: n["dataChangeEvent"]["entities"] for n in body["eventNotifications"]}
    assert [(e["name"], e["operation"]) for e in by_realm["10"]] == [
        ("Customer", "Create"),
        ("Invoice", "Create"),
        ("Payment", "Create"),
        ("Invoice", "Update"),
    ]
    assert [(e["name"], e["operation"]) for e in by_realm["20"]] == [("Customer", "Create")]


@pytest.mark.anyio
async def test_cloudevents_format() -> None:
    recorder = Recorder()
    app = make_app(recorder, webhook_format="cloudevents")
    emulator = app.state.emulator
    customer = emulator.create("Customer", {"DisplayName": "Cloud"})
    emulator.update("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"})
    await emulator.deliver_webhooks()
    request = recorder.requests[0]
    verify(request)
    events = json.loads(request.content)
    assert isinstance(events, list)
    assert [event["type"] for event in events] == ["qbo.customer.created.v1", "qbo.customer.updated.v1"]
    for event in events:
        assert event["specversion"] == "1.0"
        assert event["datacontenttype"] == "application/json"
        assert event["intuitentityid"] == customer["Id"]
        assert event["intuitaccountid"] == emulator.default_realm_id
        assert event["time"] == "2026-03-02T20:00:00.250Z"
        assert event["data"] == {}
        assert event["source"]
    assert events[0]["id"] != events[1]["id"]


@pytest.mark.anyio
async def test_cloudevents_are_split_into_posts_of_100() -> None:
    recorder = Recorder()
    app = make_app(recorder, webhook_format="cloudevents")
    emulator = app.state.emulator
    for index in range(150):
        emulator.create("Customer", {"DisplayName": f"C{index}"})
    deliveries = await emulator.deliver_webhooks()
    assert [len(json.loads(d.body)) for d in deliveries] == [100, 50]


@pytest.mark.anyio
async def test_automatic_delivery_after_delay() -> None:
    recorder = Recorder()
    app = make_app(recorder, webhook_delay_s=0.02)
    emulator = app.state.emulator
    async with emulator.http_client(app) as c:
        await c.post(f"{emulator.api_path()}/customer", json={"DisplayName": "Auto 1"})
        await c.post(f"{emulator.api_path()}/customer", json={"DisplayName": "Auto 2"})
        for _ in range(100):
            if recorder.requests:
                break
            await asyncio.sleep(0.01)
    assert len(recorder.requests) == 1
    entities = json.loads(recorder.requests[0].content)["eventNotifications"][0]["dataChangeEvent"][
        "entities"
    ]
    assert len(entities) == 2
    await emulator.aclose()


@pytest.mark.anyio
async def test_failed_delivery_is_recorded_and_retried_when_asked() -> None:
    recorder = Recorder(status=500)
    app = make_app(recorder, webhook_retry=True)
    emulator = app.state.emulator
    emulator.create("Customer", {"DisplayName": "Retry me"})
    first = await emulator.deliver_webhooks()
    assert first[0].status == 500
    assert not first[0].ok
    assert len(emulator.pending_webhooks) == 1
    recorder.status = 200
    second = await emulator.deliver_webhooks()
    assert second[0].ok
    assert emulator.pending_webhooks == []
    assert len(emulator.webhook_deliveries) == 2


@pytest.mark.anyio
async def test_no_webhooks_without_url() -> None:
    app = create_emulator(limits=False)
    emulator = app.state.emulator
    emulator.create("Customer", {"DisplayName": "Quiet"})
    assert emulator.pending_webhooks == []
    assert await emulator.deliver_webhooks() == []
