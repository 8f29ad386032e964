"""The opaque ``row_version`` of a Xero record.

Xero has no version token, and ``UpdatedDateUTC`` does not move on every change (a payment can
lower an invoice's ``AmountDue`` without it). So the version is the update time in epoch
milliseconds plus a short digest of the fields such changes touch: a stale version is detected
when either moved. Tax rates and tracking categories carry no update time at all: their version is a
digest of the whole record, which moves with any change to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .dates import row_version as updated_milliseconds

#: Fields that change through side effects (payments, credit notes, status transitions).
STATE_FIELDS = ("Status", "ContactStatus", "AmountDue", "AmountPaid", "AmountCredited", "Total")


def _canonical(value: Any) -> str:
    # The same amount may arrive as 517.5 (float) or Decimal("517.50"): compare numbers by value.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format(Decimal(str(value)).normalize(), "f")
    return "" if value is None else str(value)


def _tree(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_tree(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_tree(v) for v in value) + "]"
    return _canonical(value)


def content_version(record: Mapping[str, Any]) -> str:
    """A digest of the whole record, for records Xero gives no update time."""
    return "c" + hashlib.blake2s(_tree(record).encode(), digest_size=8).hexdigest()


def record_version(record: Mapping[str, Any]) -> str | None:
    stamp = updated_milliseconds(record.get("UpdatedDateUTC"))
    if stamp is None:
        return content_version(record) if record else None
    state = "|".join(_canonical(record.get(name)) for name in STATE_FIELDS)
    return f"{stamp}-{hashlib.blake2s(state.encode(), digest_size=4).hexdigest()}"
