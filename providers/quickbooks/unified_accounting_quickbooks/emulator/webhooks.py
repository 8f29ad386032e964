"""Webhook notifications after writes.

Each committed change (Create, Update, Delete, Void, Emailed) is queued; a flush posts the queue to
``webhook_url``, several entities per notification, signed with header ``intuit-signature`` =
base64(HMAC-SHA256(verifier token, raw body)). Two body formats:

* ``legacy``: ``{"eventNotifications":[{"realmId", "dataChangeEvent":{"entities":[{"name","id",
  "operation","lastUpdated"}]}}]}`` (one notification per company, all in one POST);
* ``cloudevents``: a JSON array of CloudEvents 1.0 objects (at most 100 per POST) with ``type`` like
  ``qbo.invoice.updated.v1``, ``intuitentityid`` and ``intuitaccountid`` (the company id). The value
  of ``source`` is UNVERIFIED (option ``cloudevents_source``).

Flushing happens on ``await emulator.deliver_webhooks()`` or automatically ``webhook_delay_s``
seconds after the first queued event. Failed deliveries are recorded and, with ``webhook_retry``,
re-queued for the next flush (Intuit's retry schedule is not emulated).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from .clock import utc_z
from .entities import Change
from .options import EmulatorOptions

CLOUD_EVENT_VERBS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Emailed": "emailed",
    "Merge": "merged",
}
CLOUD_EVENTS_PER_POST = 100


def sign(body: bytes, verifier_token: str) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    events: list[Change]
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookDispatcher:
    options: EmulatorOptions
    pending: list[Change] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _lock: asyncio.Lock | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.options.webhook_url)

    def enqueue(self, change: Change) -> None:
        if not self.enabled:
            return
        self.pending.append(change)
        self._schedule()

    def _schedule(self) -> None:
        delay = self.options.webhook_delay_s
        if delay is None or self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._timer = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        task = asyncio.ensure_future(self.deliver())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def bodies(self, changes: list[Change]) -> list[tuple[bytes, list[Change]]]:
        if not changes:
            return []
        if self.options.webhook_format == "cloudevents":
            out = []
            for start in range(0, len(changes), CLOUD_EVENTS_PER_POST):
                chunk = changes[start : start + CLOUD_EVENTS_PER_POST]
                events = [self._cloud_event(change) for change in chunk]
                out.append((json.dumps(events, separators=(",", ":")).encode(), chunk))
            return out
        by_realm: dict[str, list[dict[str, str]]] = {}
        for change in changes:
            by_realm.setdefault(change.realm_id, []).append(
                {
                    "name": change.entity,
                    "id": change.id,
                    "operation": change.operation,
                    "lastUpdated": utc_z(change.when),
                }
            )
        body = {
            "eventNotifications": [
                {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}
                for realm_id, entities in by_realm.items()
            ]
        }
        return [(json.dumps(body, separators=(",", ":")).encode(), list(changes))]

    def _cloud_event(self, change: Change) -> dict[str, Any]:
        verb = CLOUD_EVENT_VERBS.get(change.operation, change.operation.lower())
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": self.options.cloudevents_source,
            "type": f"qbo.{change.entity.lower()}.{verb}.v1",
            "datacontenttype": "application/json",
            "time": utc_z(change.when),
            "intuitentityid": change.id,
            "intuitaccountid": change.realm_id,
            "data": {},
        }

    async def deliver(self) -> list[Delivery]:
        """Post every pending event now; return the deliveries made."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            changes, self.pending = self.pending, []
            url = self.options.webhook_url
            if not changes or not url:
                return []
            made: list[Delivery] = []
            async with httpx.AsyncClient(transport=self.options.webhook_transport, timeout=10.0) as client:
                for body, chunk in self.bodies(changes):
                    headers = {
                        "content-type": "application/json",
                        "intuit-signature": sign(body, self.options.webhook_verifier_token),
                    }
                    delivery = Delivery(url, body, headers, chunk)
                    try:
                        response = await client.post(url, content=body, headers=headers)
                        delivery.status = response.status_code
                    except httpx.HTTPError as exc:
                        delivery.error = f"{type(exc).__name__}: {exc}"
                    if not delivery.ok and self.options.webhook_retry:
                        self.pending.extend(chunk)
                    made.append(delivery)
                    self.deliveries.append(delivery)
            return made

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
