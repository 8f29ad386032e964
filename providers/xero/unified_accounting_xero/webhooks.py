"""Xero webhooks: the intent-to-receive answer, and events → unified ``WebhookEvent``.

Xero signs each POST with ``x-xero-signature`` = base64(HMAC-SHA256(webhook key, raw body)), which
the core checks (``Provider.webhook_signature_header``). Before it enables a subscription it sends
an *intent to receive* (an empty, correctly or wrongly signed batch) and expects 200 for the good
signature and 401 for the bad one, with an empty body, within 5 seconds
(``XeroProvider.webhook_response_status``). Events name what changed, not the new values: fetch the
record to see them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from unified_accounting.models import ChangeOperation, WebhookEvent

from .dates import parse_datetime
from .errors import PROVIDER

SIGNATURE_HEADER = "x-xero-signature"
#: Xero event categories with a unified resource; others (CREDITNOTE, SUBSCRIPTION, ...) are skipped.
CATEGORIES = {"INVOICE": "invoice", "CONTACT": "customer"}
OPERATIONS = {"CREATE": ChangeOperation.CREATED, "UPDATE": ChangeOperation.UPDATED}


def event_id(event: Mapping[str, Any]) -> str:
    """A stable id for an event that has none: the same change delivered twice gets the same id."""
    parts = (event.get(k) or "" for k in ("tenantId", "resourceId", "eventDateUtc", "eventType"))
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def parse(body: bytes) -> list[WebhookEvent]:
    payload = json.loads(body)
    events: list[WebhookEvent] = []
    for event in payload.get("events") or []:
        resource = CATEGORIES.get(str(event.get("eventCategory", "")).upper())
        operation = OPERATIONS.get(str(event.get("eventType", "")).upper())
        if resource is None or operation is None:
            continue
        events.append(
            WebhookEvent(
                provider=PROVIDER,
                company_id=str(event["tenantId"]),
                resource=resource,
                record_id=str(event["resourceId"]),
                operation=operation,
                occurred_at=parse_datetime(event.get("eventDateUtc")),
                event_id=str(event.get("eventId") or event_id(event)),
            )
        )
    return events
