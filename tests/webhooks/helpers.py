"""A receiver wired to an emulator without sockets, and ways to replay what the emulator sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from unified_accounting import AsyncClient
from unified_accounting.sync.jobs import Job
from unified_accounting.types import Receive, Scope, Send
from unified_accounting.webhooks.receiver import WebhookReceiver
from unified_accounting.webhooks.schema import webhook_deliveries, webhook_events


class LateApp:
    """An ASGI app whose target is set later (the emulator must exist before the receiver)."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None, "the receiver is not mounted yet"
        await self.target(scope, receive, send)


@dataclass
class RecordingQueue:
    """A job queue that only remembers (nothing runs): shows what the receiver queued."""

    in_transaction: list[Job] = field(default_factory=list)
    committed_jobs: list[Job] = field(default_factory=list)

    async def defer(self, job: Job) -> None:
        self.committed_jobs.append(job)

    async def defer_in_transaction(self, conn: Any, job: Job) -> None:
        self.in_transaction.append(job)

    def committed(self, job: Job) -> None:
        self.committed_jobs.append(job)


def mount(client: AsyncClient, queue: Any) -> Starlette:
    receiver = WebhookReceiver(client, queue)
    return Starlette(routes=[Mount("/webhooks", app=receiver.app)])


def replay_headers(provider: str, delivery: Any) -> dict[str, str]:
    if provider == "quickbooks":
        return dict(delivery.headers)
    return {"x-xero-signature": delivery.signature, "content-type": "application/json"}


async def post(app: Any, provider: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receiver.test"
    ) as http:
        return await http.post(f"/webhooks/{provider}", content=body, headers=headers)


async def inbox_counts(client: AsyncClient) -> tuple[int, int]:
    """(deliveries, events) stored."""
    db = await client.database()
    async with db.read() as conn:
        deliveries = (await conn.execute(select(func.count()).select_from(webhook_deliveries))).scalar_one()
        events = (await conn.execute(select(func.count()).select_from(webhook_events))).scalar_one()
    return int(deliveries), int(events)


async def event_statuses(client: AsyncClient) -> dict[str, int]:
    db = await client.database()
    async with db.read() as conn:
        rows = await conn.execute(
            select(webhook_events.c.status, func.count()).group_by(webhook_events.c.status)
        )
        return {row[0]: int(row[1]) for row in rows}
