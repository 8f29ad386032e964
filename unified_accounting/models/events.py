"""What a provider's webhook says happened to a record, and the operations a record change names.

See the glossary in ``docs/concepts.md``: a *webhook event* is the provider's notice; a *record
change* (:class:`unified_accounting.RecordChange`) is what product code is told.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import UnifiedModel, UTCDateTime


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
