from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

from unified_accounting_xero.provider import XeroProvider
from unified_accounting_xero.webhooks import event_id

from unified_accounting.models import ChangeOperation

KEY = "webhook-key-for-tests"
provider = XeroProvider()


def signed(body: bytes, key: str = KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return {"X-Xero-Signature": base64.b64encode(digest).decode()}


EVENTS = {
    "events": [
        {
            "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/i-1",
            "resourceId": "i-1",
            "eventDateUtc": "2024-06-21T01:15:39.902",
            "eventType": "CREATE",
            "eventCategory": "INVOICE",
            "tenantId": "t-1",
            "tenantType": "ORGANISATION",
        },
        {
            "resourceId": "c-1",
            "eventDateUtc": "2024-06-21T01:16:00.000",
            "eventType": "UPDATE",
            "eventCategory": "CONTACT",
            "tenantId": "t-1",
        },
        {"resourceId": "s-1", "eventType": "UPDATE", "eventCategory": "SUBSCRIPTION", "tenantId": "t-1"},
    ],
    "firstEventSequence": 1,
    "lastEventSequence": 3,
    "entropy": "ABCDEFGHIJKLMNOPQRST",
}


def test_signature_is_checked_on_the_raw_body() -> None:
    body = json.dumps(EVENTS).encode()
    assert provider.verify_webhook(body, signed(body), KEY)
    assert not provider.verify_webhook(body + b" ", signed(body), KEY)
    assert not provider.verify_webhook(body, signed(body, "other-key"), KEY)
    assert not provider.verify_webhook(body, {}, KEY)


def test_intent_to_receive_answers_200_or_401() -> None:
    body = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"XYZ"}'
    assert provider.webhook_response_status(body, signed(body), KEY) == 200
    assert provider.webhook_response_status(body, signed(body, KEY + "-wrong"), KEY) == 401


def test_events_become_unified_change_events() -> None:
    created, updated, as_supplier = provider.parse_webhook(json.dumps(EVENTS).encode())
    assert (created.resource, created.record_id, created.operation) == (
        "invoice",
        "i-1",
        ChangeOperation.CREATED,
    )
    assert created.company_id == "t-1" and created.provider == "xero"
    assert created.occurred_at == datetime(2024, 6, 21, 1, 15, 39, 902000, tzinfo=UTC)
    assert (updated.resource, updated.operation) == ("customer", ChangeOperation.UPDATED)
    # A contact is a customer and a supplier alike: both hear of it, each event with its own id.
    assert (as_supplier.resource, as_supplier.record_id) == ("supplier", "c-1")
    assert as_supplier.event_id != updated.event_id


def test_credit_note_events_are_routed_by_their_type() -> None:
    events = [
        {
            "resourceId": f"cn-{kind}",
            "eventDateUtc": "2024-06-21T01:15:39.902",
            "eventType": "UPDATE",
            "eventCategory": "CREDITNOTE",
            "tenantId": "t-1",
            "data": {"Type": kind, "Status": "AUTHORISED"},
        }
        for kind in ("ACCRECCREDIT", "ACCPAYCREDIT", "OTHER")
    ]
    parsed = provider.parse_webhook(json.dumps({"events": events}).encode())
    assert [(e.resource, e.record_id) for e in parsed] == [
        ("credit_note", "cn-ACCRECCREDIT"),
        ("supplier_credit", "cn-ACCPAYCREDIT"),
    ]


def test_credit_note_events_without_their_type_are_resolved_when_processed() -> None:
    event = {
        "resourceId": "cn-1",
        "eventDateUtc": "2024-06-21T01:15:39.902",
        "eventType": "UPDATE",
        "eventCategory": "CREDITNOTE",
        "tenantId": "t-1",
    }
    [parsed] = provider.parse_webhook(json.dumps({"events": [event]}).encode())
    # Named by the first of its group; processing reads it as whichever credit note it is.
    assert (parsed.resource, parsed.record_id) == ("credit_note", "cn-1")
    assert set(provider.id_siblings(parsed.resource)) == {"credit_note", "supplier_credit"}
    assert set(provider.id_siblings("invoice")) == {"invoice", "bill"}
    assert provider.id_siblings("customer") == ("customer",)


def test_event_ids_are_stable_and_distinct() -> None:
    first = provider.parse_webhook(json.dumps(EVENTS).encode())
    again = provider.parse_webhook(json.dumps(EVENTS).encode())
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert first[0].event_id != first[1].event_id
    assert first[0].event_id == event_id(EVENTS["events"][0])


def test_intent_to_receive_has_no_events() -> None:
    assert provider.parse_webhook(b'{"events":[],"firstEventSequence":0,"lastEventSequence":0}') == []
