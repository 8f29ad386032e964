"""Webhook signatures and both body formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from unified_accounting_quickbooks import QuickBooksProvider, webhooks
from unified_accounting_quickbooks.emulator import create_emulator, sign

from unified_accounting.models import ChangeOperation, WebhookEvent

provider = QuickBooksProvider()
TOKEN = "verifier-token"
LEGACY = json.dumps(
    {
        "eventNotifications": [
            {
                "realmId": "9341",
                "dataChangeEvent": {
                    "entities": [
                        {
                            "name": "Invoice",
                            "id": "130",
                            "operation": "Create",
                            "lastUpdated": "2025-09-08T20:52:31.657Z",
                        },
                        {
                            "name": "Customer",
                            "id": "7",
                            "operation": "Merge",
                            "lastUpdated": "2025-09-08T20:53:00.000Z",
                        },
                    ]
                },
            }
        ]
    }
).encode()


def test_signature_is_checked_in_constant_time_form() -> None:
    good = sign(LEGACY, TOKEN)
    assert provider.verify_webhook(LEGACY, {"Intuit-Signature": good}, TOKEN)
    assert not provider.verify_webhook(LEGACY + b" ", {"intuit-signature": good}, TOKEN)
    assert not provider.verify_webhook(LEGACY, {"intuit-signature": good}, "other")
    assert not provider.verify_webhook(LEGACY, {}, TOKEN)


def test_legacy_body() -> None:
    first, second = provider.parse_webhook(LEGACY)
    assert (first.company_id, first.resource, first.record_id, first.operation) == (
        "9341",
        "invoice",
        "130",
        ChangeOperation.CREATED,
    )
    assert first.occurred_at == datetime(2025, 9, 8, 20, 52, 31, 657000, tzinfo=UTC)
    assert second.operation is ChangeOperation.MERGED and second.resource == "customer"
    # No id in the legacy format: a stable one is derived, the same on redelivery.
    assert first.event_id == provider.parse_webhook(LEGACY)[0].event_id != second.event_id


#: A CloudEvents delivery's event as QuickBooks sends it (a payment voided).
VOIDED = {
    "specversion": "1.0",
    "id": "88cd52b1-1",
    "source": "//quickbooks.api.intuit.com",
    "type": "qbo.payment.voided.v1",
    "datacontenttype": "application/json",
    "time": "2026-05-20T10:00:00.000Z",
    "intuitentityid": "55",
    "intuitaccountid": "9341",
    "data": {},
}


def test_cloudevents_body() -> None:
    body = json.dumps(
        [
            VOIDED,
            {
                "specversion": "1.0",
                "id": "x2",
                "type": "qbo.invoice.emailed.v1",
                "time": "2026-05-20T10:00:01Z",
                "intuitentityid": "56",
                "intuitaccountid": "9341",
                "data": {},
            },
        ]
    ).encode()
    voided, emailed = provider.parse_webhook(body)
    assert (voided.resource, voided.record_id, voided.operation, voided.event_id) == (
        "payment",
        "55",
        ChangeOperation.VOIDED,
        "88cd52b1-1",
    )
    assert emailed.operation is ChangeOperation.UPDATED and emailed.company_id == "9341"


# ------------------------------------------------------------------ the fast path and the reference


CLOUD = json.dumps([VOIDED]).encode()


def legacy_with(**entity: Any) -> bytes:
    fields = {"name": "Invoice", "id": "130", "operation": "Update", "lastUpdated": "2025-09-08T20:52:31Z"}
    fields.update(entity)
    notification = {"realmId": "9341", "dataChangeEvent": {"entities": [fields]}}
    return json.dumps({"eventNotifications": [notification]}).encode()


async def emulator_bodies(webhook_format: str) -> list[bytes]:
    """What the emulator delivers for a few changes (creates, updates, an emailed invoice, a void)."""
    sent: list[bytes] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200)

    app = create_emulator(
        seed=3,
        customers=2,
        items=2,
        invoices=2,
        limits=False,
        webhook_url="https://hooks.example/qbo",
        webhook_verifier_token=TOKEN,
        webhook_transport=httpx.MockTransport(record),
        webhook_format=webhook_format,
    )
    emulator = app.state.emulator
    customer = emulator.create("Customer", {"DisplayName": "Fast path"})
    emulator.update("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"})
    await emulator.deliver_webhooks()
    assert sent
    return sent


def same_events(fast: list[WebhookEvent], reference: list[WebhookEvent]) -> None:
    assert fast == reference
    for one, other in zip(fast, reference, strict=True):
        assert repr(one) == repr(other)
        assert list(one.__dict__) == list(other.__dict__)
        assert one.model_fields_set == other.model_fields_set
        assert one.model_dump_json() == other.model_dump_json()


@pytest.mark.anyio
@pytest.mark.parametrize("webhook_format", ["legacy", "cloudevents"])
async def test_the_emulators_bodies_take_the_fast_path_with_the_references_results(
    webhook_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = await emulator_bodies(webhook_format)
    expected = [webhooks.parse_reference(body) for body in bodies]

    def not_called(body: bytes, provider: str = "quickbooks") -> list[WebhookEvent]:
        raise AssertionError("a well-formed body took the reference path")

    monkeypatch.setattr(webhooks, "parse_reference", not_called)
    for body, events in zip(bodies, expected, strict=True):
        assert events
        same_events(provider.parse_webhook(body), events)


ODD_BODIES = {
    "legacy": LEGACY,
    "cloudevents": CLOUD,
    "a realm id as a number": LEGACY.replace(b'"9341"', b"9341"),
    "an extra field": legacy_with(extra="x"),
    "an extra field in a CloudEvent": CLOUD.replace(b'"data": {}', b'"data": {}, "subject": "x"'),
    "a CloudEvent's data not empty": CLOUD.replace(b'"data": {}', b'"data": {"k": [1, {"n": null}]}'),
    "no lastUpdated": json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": "1",
                    "dataChangeEvent": {"entities": [{"name": "Bill", "id": "2", "operation": "Delete"}]},
                }
            ]
        }
    ).encode(),
    "a null lastUpdated": legacy_with(lastUpdated=None),
    "an empty lastUpdated": legacy_with(lastUpdated=""),
    "a merge's deleted id": legacy_with(operation="Merge", deletedId="131"),
    "a lower-case entity": legacy_with(name="invoice"),
    "an unknown entity": legacy_with(name="TimeActivity"),
    "an offset time": legacy_with(lastUpdated="2025-09-08T22:52:31+02:00"),
    "a naive time": legacy_with(lastUpdated="2025-09-08T20:52:31"),
    "an unknown operation": legacy_with(operation="Archive"),
    "a bad time": legacy_with(lastUpdated="yesterday"),
    "a duplicate key": LEGACY.replace(b'"id": "130"', b'"id": "129", "id": "130"'),
    "non-ASCII text": legacy_with(id="130é"),
    "an escaped non-ASCII character": legacy_with(id="130\u00e9").replace("é".encode(), b"\\u00e9"),
    "a lone surrogate": legacy_with(id="X").replace(b'"X"', b'"\\ud800"'),
    "an escaped NUL": legacy_with(id="X").replace(b'"X"', b'"\\u0000"'),
    "escapes": legacy_with(id='1\\"/\n'),
    "a byte-order mark": b"\xef\xbb\xbf" + LEGACY,
    "UTF-16": LEGACY.decode().encode("utf-16"),
    "invalid UTF-8": legacy_with(id="X").replace(b'"X"', b'"\xff"'),
    "no notifications": b'{"eventNotifications": []}',
    "null notifications": b'{"eventNotifications": null}',
    "no dataChangeEvent": b'{"eventNotifications": [{"realmId": "1"}]}',
    "neither format": b'{"events": []}',
    "an empty array": b"[]",
    "a CloudEvent type too short": CLOUD.replace(b"qbo.payment.voided.v1", b"qbo.payment"),
    "a CloudEvent without time": CLOUD.replace(b'"time": "2026-05-20T10:00:00.000Z", ', b""),
    "a CloudEvent without id": CLOUD.replace(b'"id": "88cd52b1-1", ', b""),
    "a huge number": legacy_with(extra=1).replace(b'"extra": 1', b'"extra": ' + b"9" * 5000),
    "deep nesting": legacy_with(extra=1).replace(b'"extra": 1', b'"extra": ' + b"[" * 5000 + b"]" * 5000),
    "not JSON": b"{not json",
    "trailing data": LEGACY + b" x",
    "a string": b'"eventNotifications"',
}


@pytest.mark.parametrize("body", list(ODD_BODIES.values()), ids=list(ODD_BODIES))
def test_any_body_reads_as_the_reference_reads_it(body: bytes) -> None:
    """Same events, or the same kind of error, whichever path a body takes."""
    try:
        expected = webhooks.parse_reference(body)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        with pytest.raises(type(error)):
            provider.parse_webhook(body)
        return
    same_events(provider.parse_webhook(body), expected)
