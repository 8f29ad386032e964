"""Outbound webhooks: change notifications POSTed to the product's URL, signed, at least once.

A notification is written to the ``ua_outbox`` table in the same transaction as the mirror change
it reports, then delivered by the worker (:meth:`OutboundWebhooks.deliver_due`) with retries and
exponential back-off. Delivery is at-least-once: the receiver deduplicates with the
``UA-Idempotency-Key`` header, which is the same on every attempt of one notification.

Signature: ``UA-Signature: sha256=<hex HMAC-SHA256(secret, "<UA-Timestamp>." + body)>``. Check it
with :func:`verify_signature` (constant time; the timestamp bounds replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Connection, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..catalog import RESOURCES
from ..connections import ConnectionKey
from .schema import outbox

if TYPE_CHECKING:
    from ..mirror.records import AppliedWrite
    from ..storage.database import Database

SIGNATURE_HEADER = "UA-Signature"
TIMESTAMP_HEADER = "UA-Timestamp"
IDEMPOTENCY_HEADER = "UA-Idempotency-Key"
#: How long a worker owns a notification it is sending before another may retry it.
CLAIM_TIME = timedelta(seconds=60)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """For the product's endpoint: whether ``body`` was signed with ``secret`` recently enough."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(given, sign(secret, timestamp, body))


@dataclass
class OutboundWebhooks:
    """Where and how to notify the product: ``url`` and the shared ``secret``."""

    url: str
    secret: str
    max_attempts: int = 12
    timeout: float = 10.0

    def enqueue(
        self,
        conn: Connection,
        key: ConnectionKey,
        changes: Sequence[AppliedWrite],
        *,
        source: str,
        now: datetime,
    ) -> None:
        """Write one notification per change, inside the caller's (blocking) transaction."""
        rows = []
        for change in changes:
            idempotency_key = uuid.uuid4().hex
            payload = {
                "id": idempotency_key,
                "type": RESOURCES.spec(change.resource).event_name(change.operation.value),
                "provider": key.provider,
                "consumer_id": key.consumer_id,
                "company_id": key.company_id,
                "resource": change.resource,
                "record_id": change.record_id,
                "operation": change.operation.value,
                "source": source,
                "record": change.record.model_dump(mode="json", exclude={"raw"}) if change.record else None,
                "created_at": now.isoformat(),
            }
            rows.append(
                {
                    "idempotency_key": idempotency_key,
                    "payload": json.dumps(payload, separators=(",", ":")),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        conn.execute(outbox.insert(), rows)

    async def deliver_due(self, db: Database, http: httpx.AsyncClient, limit: int = 100) -> int:
        """Send the notifications that are due; return how many were delivered."""
        now = datetime.now(UTC)
        async with db.read() as conn:
            due = (
                await conn.execute(
                    select(outbox.c.id, outbox.c.next_attempt_at)
                    .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now)
                    .order_by(outbox.c.id)
                    .limit(limit)
                )
            ).all()
        delivered = 0
        for row in due:
            if await self._deliver_one(db, http, row.id, row.next_attempt_at):
                delivered += 1
        return delivered

    async def _deliver_one(
        self, db: Database, http: httpx.AsyncClient, row_id: int, due_at: datetime
    ) -> bool:
        now = datetime.now(UTC)

        async def claim(conn: AsyncConnection) -> Any:
            # Claim it: another worker that read the same row finds next_attempt_at moved and skips.
            claimed = await conn.execute(
                update(outbox)
                .where(and_(outbox.c.id == row_id, outbox.c.next_attempt_at == due_at))
                .values(next_attempt_at=now + CLAIM_TIME)
            )
            if claimed.rowcount != 1:
                return None
            return (
                await conn.execute(
                    select(outbox.c.idempotency_key, outbox.c.payload, outbox.c.attempts).where(
                        outbox.c.id == row_id
                    )
                )
            ).one()

        row = await db.transaction(claim)
        if row is None:
            return False
        body = row.payload.encode()
        timestamp = str(int(time.time()))
        error: str | None = None
        try:
            response = await http.post(
                self.url,
                content=body,
                timeout=self.timeout,
                headers={
                    "Content-Type": "application/json",
                    IDEMPOTENCY_HEADER: row.idempotency_key,
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                },
            )
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempts = row.attempts + 1
        values: dict[str, Any]
        if error is None:
            values = {"status": "delivered", "attempts": attempts, "delivered_at": datetime.now(UTC)}
        else:
            backoff = timedelta(seconds=min(2**attempts, 3600))
            values = {
                "status": "failed" if attempts >= self.max_attempts else "pending",
                "attempts": attempts,
                "last_error": error,
                "next_attempt_at": datetime.now(UTC) + backoff,
            }

        async def record(conn: AsyncConnection) -> None:
            await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

        await db.transaction(record)
        return error is None
