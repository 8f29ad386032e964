"""What a provider's webhook says happened to a record, and the operations a record change names.

See the glossary in ``docs/concepts.md``: a *webhook event* is the provider's notice; a *record
change* (:class:`unified_accounting.RecordChange`) is what product code is told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import Field

from .common import UnifiedModel, UTCDateTime
from .slots import constructible, constructor


class ChangeOperation(StrEnum):
    """What happened to a record (in a webhook event and in a record change)."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    VOIDED = "voided"
    MERGED = "merged"


class WebhookEvent(UnifiedModel):
    """A provider's webhook notice that one record changed. It says *what* changed, not the new
    value: the webhook processor fetches the record. Where the provider's events cannot tell some
    resources apart (``Provider.shared_id_groups``: a Xero INVOICE event is an invoice's or a
    bill's), ``resource`` names one of the group and the record is read as whichever it is."""

    provider: str
    company_id: str
    resource: str = Field(description='Unified resource name: "invoice", "customer", "payment", ...')
    record_id: str
    operation: ChangeOperation
    occurred_at: UTCDateTime | None = None
    event_id: str | None = Field(
        default=None, description="The provider's event id, used to drop duplicates."
    )


#: Deprecated name of :class:`WebhookEvent`.
ChangeEvent = WebhookEvent

# A receiver builds one WebhookEvent per event it is sent, hundreds a second: pydantic's validation
# (a Python validator per field) costs about four times the rest of the construction. Where every
# value already is what validation would leave — plain ASCII text (so no lone surrogate), an
# operation member, a datetime in UTC or none — the instance is built from its slots, with the
# same state (every field set, in declaration order) that validation leaves.
_FIELDS = ("provider", "company_id", "resource", "record_id", "operation", "occurred_at", "event_id")
_TRUSTED = constructible(WebhookEvent, _FIELDS)
_new_event = constructor(WebhookEvent, _FIELDS)


def _plain(text: object) -> bool:
    return type(text) is str and text.isascii()


def webhook_event(
    *,
    provider: str,
    company_id: str,
    resource: str,
    record_id: str,
    operation: ChangeOperation,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> WebhookEvent:
    """``WebhookEvent(...)`` with every field given, as a provider's ``parse_webhook`` makes it:
    the same event (or the same validation error), built without pydantic's validation when the
    values need none (see above)."""
    if (
        _TRUSTED
        and _plain(provider)
        and _plain(company_id)
        and _plain(resource)
        and _plain(record_id)
        and type(operation) is ChangeOperation
        and (occurred_at is None or (type(occurred_at) is datetime and occurred_at.tzinfo is UTC))
        and (event_id is None or _plain(event_id))
    ):
        return _new_event(
            {
                "provider": provider,
                "company_id": company_id,
                "resource": resource,
                "record_id": record_id,
                "operation": operation,
                "occurred_at": occurred_at,
                "event_id": event_id,
            }
        )
    return WebhookEvent(
        provider=provider,
        company_id=company_id,
        resource=resource,
        record_id=record_id,
        operation=operation,
        occurred_at=occurred_at,
        event_id=event_id,
    )
