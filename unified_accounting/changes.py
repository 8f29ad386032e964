"""What the ``ua_record_changed`` hook receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .models.events import ChangeOperation


@dataclass(frozen=True)
class RecordChange:
    provider: str
    consumer_id: str
    company_id: str
    resource: str
    record_id: str
    operation: ChangeOperation
    #: The record as it is now (``None`` for a deletion, or when only the id is known).
    record: Any | None
    source: Literal["api", "sync", "webhook"] = "api"
