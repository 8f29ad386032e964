"""The webhook receiver: an ASGI app answering providers' webhook deliveries.

``POST /{provider}`` (mount it under ``/webhooks``): the signature is checked against the raw body
first — a bad or missing one gets ``401`` and nothing is stored. A verified delivery's events are
written to the inbox **in the same transaction** as the job that will process them, then ``200``
goes back with an empty body. Nothing is fetched or applied before answering: QuickBooks wants an
answer within 3 seconds, Xero within 5, and both retry (or give up on) slow endpoints.

Xero's *intent to receive* is a signed delivery with no events: it gets ``200``, or ``401`` when
its signature is wrong, exactly as Xero checks. Events of companies without a connection here are
dropped and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import ConfigurationError, UnsupportedOperation
from ..sync.database import SyncDatabase
from ..sync.jobs import JobQueue, WebhookJob
from . import inbox

if TYPE_CHECKING:
    from ..client.async_client import AsyncClient

logger = logging.getLogger(__name__)


class WebhookReceiver:
    """Receives webhooks for every provider of ``client``; ``receiver.app`` is the ASGI app.

    Each provider's signing secret is its ``webhook_secret`` setting (``UA_QUICKBOOKS_WEBHOOK_SECRET``:
    the QuickBooks verifier token; ``UA_XERO_WEBHOOK_SECRET``: the Xero webhook key), unless
    ``secrets`` gives it.
    """

    def __init__(
        self, client: AsyncClient, queue: JobQueue, *, secrets: Mapping[str, str] | None = None
    ) -> None:
        self.client = client
        self.queue = queue
        self._secrets = dict(secrets or {})
        self.app = Starlette(routes=[Route("/{provider}", self.receive, methods=["POST"])])

    def secret_for(self, provider: str) -> str | None:
        if provider in self._secrets:
            return self._secrets[provider]
        configured = self.client.settings_for(provider).webhook_secret
        return configured.get_secret_value() if configured is not None else None

    async def receive(self, request: Request) -> Response:
        name = request.path_params["provider"]
        body = await request.body()
        try:
            provider = self.client.provider(name)
            secret = self.secret_for(name)
        except ConfigurationError:
            return Response(status_code=404)
        if not secret:
            logger.error("webhook for %s refused: no webhook secret is configured for it", name)
            return Response(status_code=401)
        try:
            verified = provider.verify_webhook(body, request.headers, secret)
        except UnsupportedOperation:
            return Response(status_code=404)
        if not verified:
            logger.warning("webhook for %s refused: bad signature", name)
            return Response(status_code=401)
        try:
            events = provider.parse_webhook(body)
        except (ValueError, KeyError, TypeError) as exc:
            logger.error("webhook for %s is signed but unreadable (%s): dropped", name, exc)
            return Response(status_code=400)
        db = await SyncDatabase.for_client(self.client)
        now = datetime.now(UTC)
        async with db.write() as conn:
            known = await inbox.connected_companies(conn, name, {e.company_id for e in events})
            unknown = {e.company_id for e in events} - known
            if unknown:
                logger.warning("webhook events for unknown %s companies ignored: %s", name, sorted(unknown))
            kept = [e for e in events if e.company_id in known]
            await inbox.store(db, conn, name, body, kept, now)
            jobs = [WebhookJob(name, company) for company in sorted(known)]
            for job in jobs:
                await self.queue.defer_in_transaction(conn, job)
        for job in jobs:
            self.queue.committed(job)
        return Response(status_code=200)
