"""Webhook signatures and both body formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from unified_accounting_quickbooks import QuickBooksProvider
from unified_accounting_quickbooks.emulator import sign

from unified_accounting.models import ChangeOperation

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


def test_cloudevents_body() -> None:
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "88cd52b1-1",
                "source": "//quickbooks.api.intuit.com",
                "type": "qbo.payment.voided.v1",
                "datacontenttype": "application/json",
                "time": "2026-05-20T10:00:00.000Z",
                "intuitentityid": "55",
                "intuitaccountid": "9341",
                "data": {},
            },
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
