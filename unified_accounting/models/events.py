"""Change events: what a webhook or a sync says happened to a record."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import UnifiedModel, UTCDateTime


class ChangeOperation(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    VOIDED = "voided"
    MERGED = "merged"


class ChangeEvent(UnifiedModel):
    """One record changed at a provider. Webhooks say *what* changed, not the new value: fetch it."""

    provider: str
    company_id: str
    resource: str = Field(description='Unified resource name: "invoice", "customer", "payment", ...')
    record_id: str
    operation: ChangeOperation
    occurred_at: UTCDateTime | None = None
    event_id: str | None = Field(
        default=None, description="The provider's event id, used to drop duplicates."
    )
