"""QuickBooks webhooks: both body formats (legacy and CloudEvents).

Deliveries are signed in ``intuit-signature``: base64 of the HMAC-SHA256 of the raw body keyed
with the app's verifier token, which the core checks (``Provider.webhook_signature_header``).
A webhook says *what* changed, never the new values: fetch the record (or run a CDC read).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from unified_accounting.models import ChangeOperation, WebhookEvent

from .codec import RESOURCES

SIGNATURE_HEADER = "intuit-signature"
OPERATIONS: dict[str, ChangeOperation] = {
    "create": ChangeOperation.CREATED,
    "created": ChangeOperation.CREATED,
    "update": ChangeOperation.UPDATED,
    "updated": ChangeOperation.UPDATED,
    # Emailing a document changes its delivery status: an update as far as a mirror is concerned.
    "emailed": ChangeOperation.UPDATED,
    "delete": ChangeOperation.DELETED,
    "deleted": ChangeOperation.DELETED,
    "void": ChangeOperation.VOIDED,
    "voided": ChangeOperation.VOIDED,
    "merge": ChangeOperation.MERGED,
    "merged": ChangeOperation.MERGED,
}


def _resource(entity: str) -> str:
    return RESOURCES.get(entity) or RESOURCES.get(entity.capitalize()) or entity.lower()


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _operation(value: str) -> ChangeOperation:
    try:
        return OPERATIONS[value.lower()]
    except KeyError:
        raise ValueError(f"unknown QuickBooks webhook operation {value!r}") from None


def legacy_event_id(realm_id: str, entity: str, record_id: str, operation: str, last_updated: str) -> str:
    """Legacy notifications carry no id: derive a stable one, so a redelivery is recognised."""
    key = "\x1f".join((realm_id, entity, record_id, operation, last_updated))
    return "qbo-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def parse(body: bytes, provider: str = "quickbooks") -> list[WebhookEvent]:
    """A verified webhook body (either format) → change events, in the order received."""
    payload = json.loads(body)
    if isinstance(payload, list):
        return [_cloud_event(event, provider) for event in payload]
    if isinstance(payload, dict) and "eventNotifications" in payload:
        return _legacy(payload, provider)
    raise ValueError("not a QuickBooks webhook body (neither eventNotifications nor a CloudEvents array)")


def _legacy(payload: Mapping[str, Any], provider: str) -> list[WebhookEvent]:
    events = []
    for notification in payload.get("eventNotifications") or ():
        realm_id = str(notification["realmId"])
        for entity in (notification.get("dataChangeEvent") or {}).get("entities") or ():
            name, record_id = str(entity["name"]), str(entity["id"])
            operation, last_updated = str(entity["operation"]), str(entity.get("lastUpdated") or "")
            events.append(
                WebhookEvent(
                    provider=provider,
                    company_id=realm_id,
                    resource=_resource(name),
                    record_id=record_id,
                    operation=_operation(operation),
                    occurred_at=_time(last_updated),
                    event_id=legacy_event_id(realm_id, name, record_id, operation, last_updated),
                )
            )
    return events


def _cloud_event(event: Mapping[str, Any], provider: str) -> WebhookEvent:
    # type is "qbo.<entity>.<verb>.v<n>", e.g. "qbo.invoice.updated.v1".
    parts = str(event["type"]).split(".")
    if len(parts) < 3:
        raise ValueError(f"unexpected CloudEvents type {event['type']!r}")
    return WebhookEvent(
        provider=provider,
        company_id=str(event["intuitaccountid"]),
        resource=_resource(parts[1]),
        record_id=str(event["intuitentityid"]),
        operation=_operation(parts[2]),
        occurred_at=_time(event.get("time")),
        event_id=str(event["id"]),
    )
