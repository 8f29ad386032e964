"""Xero webhooks: event queue, signed delivery and the intent-to-receive check.

After each committed write on invoices or contacts (including invoice updates caused by payments) an event
``{"resourceUrl","resourceId","eventDateUtc","eventType","eventCategory","tenantId","tenantType"}`` is
queued with a sequence number.  Delivery POSTs ``{"events":[...],"firstEventSequence","lastEventSequence",
"entropy"}`` to ``webhook_url`` with header ``x-xero-signature`` = base64(HMAC-SHA256(webhook key, raw body)).
Events stay queued until the receiver answers 2xx (Xero retries for up to 24 hours; the emulator retries on
the next delivery).  Delivery happens on ``deliver()`` or, with ``webhook_delay_s``, in a background task.
``send_intent_to_receive`` imitates Xero's subscription check: the receiver must answer 200 to a correctly
signed empty batch and 401 to a wrongly signed one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import random
import string
from dataclasses import dataclass
from typing import Any

import httpx

from unified_accounting.emulation import EmulatorClock

from .dates import webhook_date
from .wirejson import dumps


def sign(key: str, body: bytes) -> str:
    """``x-xero-signature`` for a raw body."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Delivery:
    """One POST made to the webhook receiver."""

    url: str
    body: bytes
    signature: str
    status: int | None
    error: str | None
    events: int


class WebhookDispatcher:
    def __init__(
        self,
        clock: EmulatorClock,
        *,
        url: str | None,
        key: str,
        transport: httpx.AsyncBaseTransport | None = None,
        delay_s: float | None = None,
        batch_size: int = 100,
        resource_base: str = "https://api.xero.com/api.xro/2.0",
        timeout_s: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.clock = clock
        self.url = url
        self.key = key
        self.transport = transport
        self.delay_s = delay_s
        self.batch_size = max(1, batch_size)
        self.resource_base = resource_base.rstrip("/")
        self.timeout_s = timeout_s
        self.pending: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._sequence = 0
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting = False

    @property
    def sequence(self) -> int:
        return self._sequence

    def entropy(self) -> str:
        return "".join(self._rng.choice(string.ascii_uppercase) for _ in range(20))

    def enqueue(
        self,
        tenant_id: str,
        category: str,
        event_type: str,
        resource_id: str,
        data: dict[str, str] | None = None,
    ) -> None:
        if self.url is None:
            return
        self._sequence += 1
        collection = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}.get(
            category, category.title() + "s"
        )
        extra = {"data": dict(data)} if data else {}
        self.pending.append(
            {
                **extra,
                "_sequence": self._sequence,
                "resourceUrl": f"{self.resource_base}/{collection}/{resource_id}",
                "resourceId": resource_id,
                "eventDateUtc": webhook_date(self.clock.now()),
                "eventType": event_type,
                "eventCategory": category,
                "tenantId": tenant_id,
                "tenantType": "ORGANISATION",
            }
        )
        self._schedule()

    def _schedule(self) -> None:
        """Start one background delivery unless one is already waiting (it will carry this event too)."""
        if self.delay_s is None or self._waiting:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._waiting = True
        task = loop.create_task(self._deliver_later(self.delay_s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_later(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        finally:
            self._waiting = False
        await self.deliver()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.timeout_s)

    async def _post(self, body: bytes, signature: str) -> tuple[int | None, str | None]:
        assert self.url is not None
        try:
            async with self._client() as client:
                response = await client.post(
                    self.url,
                    content=body,
                    headers={"Content-Type": "application/json", "x-xero-signature": signature},
                )
            return response.status_code, None
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"

    async def deliver(self) -> list[int | None]:
        """Deliver every queued event now (in batches); returns the receiver's status per POST."""
        if self.url is None:
            return []
        if self._lock is None:
            self._lock = asyncio.Lock()
        statuses: list[int | None] = []
        async with self._lock:
            while self.pending:
                batch = self.pending[: self.batch_size]
                payload = {
                    "events": [{k: v for k, v in e.items() if not k.startswith("_")} for e in batch],
                    "firstEventSequence": batch[0]["_sequence"],
                    "lastEventSequence": batch[-1]["_sequence"],
                    "entropy": self.entropy(),
                }
                body = dumps(payload)
                signature = sign(self.key, body)
                status, error = await self._post(body, signature)
                self.deliveries.append(Delivery(self.url, body, signature, status, error, len(batch)))
                statuses.append(status)
                if status is None or not 200 <= status < 300:
                    break  # keep the batch for a later retry
                del self.pending[: len(batch)]
        return statuses

    async def send_intent_to_receive(self, correct_signature: bool = True) -> int:
        """POST the intent-to-receive body, correctly or wrongly signed; the receiver's status code."""
        if self.url is None:
            raise RuntimeError("no webhook_url configured")
        body = dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": self.entropy()}
        )
        key = self.key if correct_signature else self.key + "-wrong"
        signature = sign(key, body)
        status, error = await self._post(body, signature)
        self.deliveries.append(Delivery(self.url, body, signature, status, error, 0))
        if status is None:
            raise httpx.TransportError(error or "webhook receiver unreachable")
        return status

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
