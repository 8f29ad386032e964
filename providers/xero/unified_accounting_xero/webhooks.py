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

from unified_accounting.models import ChangeOperation, WebhookEvent, webhook_event

from .dates import parse_datetime
from .errors import PROVIDER

SIGNATURE_HEADER = "x-xero-signature"
#: Xero event categories and the unified resources each concerns; others (SUBSCRIPTION, ...) are
#: skipped. A contact is a customer and a supplier alike (one id in both). Xero's INVOICE events do
#: not say whether the invoice is a sale or a bill: the event names ``invoice``, and processing reads
#: the id as whichever of invoice and bill it is (``XeroProvider.shared_id_groups``).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "INVOICE": ("invoice",),
    "CONTACT": ("customer", "supplier"),
    # Without ``data.Type`` (below): read as whichever of the two it is, like invoices.
    "CREDITNOTE": ("credit_note",),
}
#: CREDITNOTE events carry ``data.Type``: customer credit notes and supplier credits.
CREDIT_NOTE_TYPES = {"ACCRECCREDIT": "credit_note", "ACCPAYCREDIT": "supplier_credit"}
OPERATIONS = {"CREATE": ChangeOperation.CREATED, "UPDATE": ChangeOperation.UPDATED}


def event_id(event: Mapping[str, Any]) -> str:
    """A stable id for an event that has none: the same change delivered twice gets the same id."""
    parts = (event.get(k) or "" for k in ("tenantId", "resourceId", "eventDateUtc", "eventType"))
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def parse(body: bytes) -> list[WebhookEvent]:
    payload = json.loads(body)
    events: list[WebhookEvent] = []
    for event in payload.get("events") or []:
        operation = OPERATIONS.get(str(event.get("eventType", "")).upper())
        resources = resources_of(event)
        if not resources or operation is None:
            continue
        base_id = str(event.get("eventId") or event_id(event))
        for position, resource in enumerate(resources):
            events.append(
                webhook_event(
                    provider=PROVIDER,
                    company_id=str(event["tenantId"]),
                    resource=resource,
                    record_id=str(event["resourceId"]),
                    operation=operation,
                    occurred_at=parse_datetime(event.get("eventDateUtc")),
                    # One Xero event, several unified ones: each keeps an id of its own.
                    event_id=base_id if position == 0 else f"{base_id}:{resource}",
                )
            )
    return events


def resources_of(event: Mapping[str, Any]) -> tuple[str, ...]:
    category = str(event.get("eventCategory", "")).upper()
    if category == "CREDITNOTE":
        data = event.get("data")
        kind = str(data.get("Type") or "").upper() if isinstance(data, Mapping) else ""
        if kind:  # a kind of credit note not mirrored here is skipped
            resource = CREDIT_NOTE_TYPES.get(kind)
            return (resource,) if resource else ()
    return CATEGORIES.get(category, ())
