"""``Idempotency-Key`` replay for writes.

A write carrying an ``Idempotency-Key`` (at most 128 characters) stores its response per tenant and key; a
repeat within the retention time (unverified; ``idempotency_retention_s``, default 24 h, ``None`` = forever)
returns the stored status and body without executing again, even if the new body differs.  Responses with a
5xx status are not stored, so a retry after a server fault executes.
"""

from __future__ import annotations

from dataclasses import dataclass

from unified_accounting.emulation import EmulatorClock

MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    media_type: str
    stored_at: float


class IdempotencyStore:
    def __init__(self, clock: EmulatorClock, retention_s: int | None) -> None:
        self.clock = clock
        self.retention_s = retention_s
        self._entries: dict[tuple[str, str], StoredResponse] = {}

    def get(self, tenant_id: str, key: str) -> StoredResponse | None:
        entry = self._entries.get((tenant_id, key))
        if entry is None:
            return None
        if self.retention_s is not None and self.clock.timestamp() - entry.stored_at >= self.retention_s:
            del self._entries[(tenant_id, key)]
            return None
        return entry

    def put(self, tenant_id: str, key: str, status: int, body: bytes, media_type: str) -> None:
        if status >= 500:
            return
        self._entries[(tenant_id, key)] = StoredResponse(status, body, media_type, self.clock.timestamp())

    def __len__(self) -> int:
        return len(self._entries)
