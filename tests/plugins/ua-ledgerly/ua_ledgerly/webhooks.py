"""Ledgerly webhook bodies → unified change events.

A delivery is ``{"events": [{"id", "company", "collection", "recordId", "change", "at"}]}``, signed
in ``Ledgerly-Signature`` the way QuickBooks and Xero sign theirs (base64 HMAC-SHA256 of the raw
body): the provider only declares the header, and the core checks it.
"""

from __future__ import annotations

import json
from datetime import datetime

from unified_accounting import ChangeOperation, WebhookEvent

from .codec import WIRE

SIGNATURE_HEADER = "Ledgerly-Signature"
#: A collection named by an event → its unified resource (from the codec's table, like everything else).
RESOURCES = {wire.collection: resource for resource, wire in WIRE.items()}
CHANGES = {
    "created": ChangeOperation.CREATED,
    "updated": ChangeOperation.UPDATED,
    "deleted": ChangeOperation.DELETED,
    "voided": ChangeOperation.VOIDED,
}


def parse_webhook(provider: str, body: bytes) -> list[WebhookEvent]:
    return [
        WebhookEvent(
            provider=provider,
            company_id=str(event["company"]),
            resource=RESOURCES[event["collection"]],
            record_id=str(event["recordId"]),
            operation=CHANGES[event["change"]],
            occurred_at=datetime.fromisoformat(event["at"]),
            event_id=str(event["id"]),
        )
        for event in json.loads(body)["events"]
    ]
