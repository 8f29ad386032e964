"""Webhook emulation: events after writes, signed delivery, retries, background delivery, intent check."""

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
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from unified_accounting_xero.emulator import XeroEmulator, create_emulator, sign
from unified_accounting_xero.emulator.testing import API, api_client

START = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
KEY = "test-webhook-key"


class Receiver:
    """A tiny webhook receiver that verifies signatures the way Xero expects."""

    def __init__(self, status_when_valid: int = 200) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.status_when_valid = status_when_valid
        self.app = Starlette(routes=[Route("/hook", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        expected = base64.b64encode(hmac.new(KEY.encode(), raw, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, request.headers.get("x-xero-signature", "")):
            return Response(status_code=401)
        self.raw.append(raw)
        self.bodies.append(json.loads(raw))
        return Response(status_code=self.status_when_valid)

    @property
    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)


def em_of(app: Any) -> XeroEmulator:
    em: XeroEmulator = app.state.emulator
    return em


def make(receiver: Receiver, **options: Any) -> Any:
    return create_emulator(
        start_time=START,
        webhook_url="http://receiver.test/hook",
        webhook_key=KEY,
        webhook_transport=receiver.transport,
        **options,
    )


@pytest.mark.anyio
class TestWebhooks:
    async def test_events_after_writes_and_signed_delivery(self) -> None:
        receiver = Receiver()
        app = make(receiver)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            contact = (await client.put(f"{API}/Contacts", json={"Name": "Hooked"})).json()["Contacts"][0]
            invoice = (
                await client.put(
                    f"{API}/Invoices",
                    json={
                        "Type": "ACCREC",
                        "Contact": {"ContactID": contact["ContactID"]},
                        "Status": "AUTHORISED",
                        "LineItems": [{"Description": "x", "UnitAmount": 10, "AccountCode": "200"}],
                    },
                )
            ).json()["Invoices"][0]
            await client.post(f"{API}/Invoices/{invoice['InvoiceID']}", json={"Reference": "r"})
            await client.put(
                f"{API}/Payments",
                json={
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Amount": 1,
                },
            )
            await client.put(f"{API}/Items", json={"Code": "NO-EVENT"})
            await client.get(f"{API}/Invoices")
        pending = em.pending_webhook_events
        assert [(e["eventCategory"], e["eventType"]) for e in pending] == [
            ("CONTACT", "CREATE"),
            ("INVOICE", "CREATE"),  # flipping the contact's read-only IsCustomer flag emits nothing
            ("INVOICE", "UPDATE"),
            ("INVOICE", "UPDATE"),  # payment changed AmountDue
        ]
        assert await em.deliver_webhooks() == [200]
        assert em.pending_webhook_events == []
        payload = receiver.bodies[0]
        assert set(payload) == {"events", "firstEventSequence", "lastEventSequence", "entropy"}
        assert payload["firstEventSequence"] == 1
        assert payload["lastEventSequence"] == 4
        event = payload["events"][1]
        assert event == {
            "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{invoice['InvoiceID']}",
            "resourceId": invoice["InvoiceID"],
            "eventDateUtc": "2024-06-01T09:00:00.000",
            "eventType": "CREATE",
            "eventCategory": "INVOICE",
            "tenantId": em.default_tenant_id,
            "tenantType": "ORGANISATION",
        }
        delivery = em.webhook_deliveries[0]
        assert delivery.signature == sign(KEY, receiver.raw[0])
        assert delivery.status == 200 and delivery.events == 4

    async def test_failed_validation_emits_nothing(self) -> None:
        receiver = Receiver()
        app = make(receiver)
        client, _ = api_client(app)
        async with client:
            await client.put(f"{API}/Contacts", json={"Contacts": [{"Name": "ok"}, {"Name": ""}]})
        assert em_of(app).pending_webhook_events == []

    async def test_failed_delivery_is_retried(self) -> None:
        receiver = Receiver(status_when_valid=500)
        app = make(receiver)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            await client.put(f"{API}/Contacts", json={"Name": "Retry"})
        assert await em.deliver_webhooks() == [500]
        assert len(em.pending_webhook_events) == 1
        receiver.status_when_valid = 200
        assert await em.deliver_webhooks() == [200]
        assert len(receiver.bodies) == 2
        assert receiver.bodies[1]["events"] == receiver.bodies[0]["events"]
        assert receiver.bodies[1]["entropy"] != receiver.bodies[0]["entropy"]
        assert em.pending_webhook_events == []

    async def test_unreachable_receiver(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        app = create_emulator(
            webhook_url="http://nowhere.test/hook", webhook_transport=httpx.MockTransport(refuse)
        )
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            await client.put(f"{API}/Contacts", json={"Name": "Lost"})
        assert await em.deliver_webhooks() == [None]
        assert em.webhook_deliveries[0].error is not None
        assert len(em.pending_webhook_events) == 1

    async def test_batches(self) -> None:
        receiver = Receiver()
        app = make(receiver, webhook_batch_size=2)
        client, _ = api_client(app)
        async with client:
            await client.put(f"{API}/Contacts", json=[{"Name": f"C{i}"} for i in range(5)])
        assert await em_of(app).deliver_webhooks() == [200, 200, 200]
        assert [(b["firstEventSequence"], b["lastEventSequence"]) for b in receiver.bodies] == [
            (1, 2),
            (3, 4),
            (5, 5),
        ]

    async def test_background_delivery(self) -> None:
        receiver = Receiver()
        app = make(receiver, webhook_delay_s=0.01)
        em = em_of(app)
        client, _ = api_client(app)
        async with client:
            for name in ("Auto 1", "Auto 2", "Auto 3"):
                await client.put(f"{API}/Contacts", json={"Name": name})
            for _ in range(100):
                if receiver.bodies:
                    break
                await asyncio.sleep(0.01)
        await em.aclose()
        assert len(receiver.bodies) == 1  # one delayed delivery carries every event queued meanwhile
        assert len(receiver.bodies[0]["events"]) == 3

    async def test_no_url_no_events(self) -> None:
        app = create_emulator()
        client, _ = api_client(app)
        async with client:
            await client.put(f"{API}/Contacts", json={"Name": "Quiet"})
        assert em_of(app).pending_webhook_events == []
        assert await em_of(app).deliver_webhooks() == []


@pytest.mark.anyio
class TestIntentToReceive:
    async def test_correct_and_wrong_signatures(self) -> None:
        receiver = Receiver()
        em = em_of(make(receiver))
        assert await em.send_intent_to_receive(correct_signature=True) == 200
        assert await em.send_intent_to_receive(correct_signature=False) == 401
        assert await em.verify_webhook_receiver() is True
        body = receiver.bodies[0]
        assert body["events"] == []
        assert body["firstEventSequence"] == 0 and body["lastEventSequence"] == 0
        assert isinstance(body["entropy"], str) and body["entropy"]

    async def test_a_receiver_that_ignores_signatures_fails_the_check(self) -> None:
        lax = Starlette(routes=[Route("/hook", lambda request: Response(status_code=200), methods=["POST"])])
        em = em_of(
            create_emulator(
                webhook_url="http://lax.test/hook", webhook_transport=httpx.ASGITransport(app=lax)
            )
        )
        assert await em.send_intent_to_receive(correct_signature=False) == 200
        assert await em.verify_webhook_receiver() is False

    async def test_needs_a_url(self) -> None:
        with pytest.raises(RuntimeError):
            await em_of(create_emulator()).send_intent_to_receive()
