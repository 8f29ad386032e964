"""QuickBooks webhooks: both body formats (legacy and CloudEvents).

Deliveries are signed in ``intuit-signature``: base64 of the HMAC-SHA256 of the raw body keyed
with the app's verifier token, which the core checks (``Provider.webhook_signature_header``).
A webhook says *what* changed, never the new values: fetch the record (or run a CDC read).

A receiver parses every delivery, hundreds a second: a well-formed body (ASCII, exactly the fields
Intuit sends, each of its JSON type) is decoded by ``msgspec`` into typed structs; anything else —
another field, a number where text is expected, a missing one, non-ASCII bytes — is parsed by the
reference path (``json`` and the same checks). Both build each event with the same function, so
their results (and errors) are the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from unified_accounting.models import ChangeOperation, WebhookEvent, webhook_event

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
    if body.isascii():
        try:
            payload = _decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass  # not the usual shape: the reference path reads it (or says why it cannot)
        else:
            if isinstance(payload, _Legacy):
                return [
                    _legacy_event(provider, n.realmId, e.name, e.id, e.operation, e.lastUpdated)
                    for n in payload.eventNotifications
                    for e in n.dataChangeEvent.entities
                ]
            return [
                _cloud_event_of(provider, e.type, e.intuitaccountid, e.intuitentityid, e.time, e.id)
                for e in payload
            ]
    return parse_reference(body, provider)


def parse_reference(body: bytes, provider: str = "quickbooks") -> list[WebhookEvent]:
    """:func:`parse` of any body, read with :mod:`json` (what the fast path falls back to)."""
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
            events.append(
                _legacy_event(
                    provider,
                    realm_id,
                    str(entity["name"]),
                    str(entity["id"]),
                    str(entity["operation"]),
                    str(entity.get("lastUpdated") or ""),
                )
            )
    return events


def _legacy_event(
    provider: str, realm_id: str, name: str, record_id: str, operation: str, last_updated: str
) -> WebhookEvent:
    return webhook_event(
        provider=provider,
        company_id=realm_id,
        resource=_resource(name),
        record_id=record_id,
        operation=_operation(operation),
        occurred_at=_time(last_updated),
        event_id=legacy_event_id(realm_id, name, record_id, operation, last_updated),
    )


def _cloud_event(event: Mapping[str, Any], provider: str) -> WebhookEvent:
    return _cloud_event_of(
        provider,
        str(event["type"]),
        str(event["intuitaccountid"]),
        str(event["intuitentityid"]),
        event.get("time"),
        str(event["id"]),
    )


def _cloud_event_of(
    provider: str, kind: str, account_id: str, entity_id: str, time: Any, event_id: str
) -> WebhookEvent:
    # type is "qbo.<entity>.<verb>.v<n>", e.g. "qbo.invoice.updated.v1".
    parts = kind.split(".")
    if len(parts) < 3:
        raise ValueError(f"unexpected CloudEvents type {kind!r}")
    return webhook_event(
        provider=provider,
        company_id=account_id,
        resource=_resource(parts[1]),
        record_id=entity_id,
        operation=_operation(parts[2]),
        occurred_at=_time(time),
        event_id=event_id,
    )


# The bodies Intuit sends, field for field (reference: the webhooks section of Intuit's docs).
# Unknown fields are refused, so that a body holding anything else takes the reference path.
class _Entity(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    id: str
    operation: str
    lastUpdated: str = ""
    deletedId: str = ""  # a merge's other record: not read


class _DataChangeEvent(msgspec.Struct, forbid_unknown_fields=True):
    entities: list[_Entity]


class _Notification(msgspec.Struct, forbid_unknown_fields=True):
    realmId: str
    dataChangeEvent: _DataChangeEvent


class _Legacy(msgspec.Struct, forbid_unknown_fields=True):
    eventNotifications: list[_Notification]


class _CloudEvent(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    type: str
    intuitentityid: str
    intuitaccountid: str
    time: str = ""
    specversion: str = ""
    source: str = ""
    datacontenttype: str = ""
    data: dict[str, str] = {}


_decode = msgspec.json.Decoder(_Legacy | list[_CloudEvent]).decode
