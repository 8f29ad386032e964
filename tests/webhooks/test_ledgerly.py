"""A third-party provider's webhooks: Ledgerly only declares its signature header, and the receiver
checks it with the core's signature helper, as it does for QuickBooks and Xero."""

from __future__ import annotations

import pytest
from ua_ledgerly.emulator import create_emulator
from ua_ledgerly.webhooks import SIGNATURE_HEADER

from unified_accounting.sync.jobs import WebhookJob

from ..sync.ledgerly import LEDGERLY, connect, ledgerly_client
from .helpers import RecordingQueue, inbox_counts, mount, post

pytestmark = pytest.mark.anyio


async def test_a_signed_ledgerly_delivery_is_verified_and_stored(database_url: str, secret_key: str) -> None:
    app = create_emulator()
    emulator = app.state.emulator
    settings = {**LEDGERLY, "webhook_secret": emulator.webhook_secret}
    async with ledgerly_client(app, database_url, secret_key, settings=settings) as client:
        conn = await connect(client, emulator)
        queue = RecordingQueue()
        receiver = mount(client, queue)
        body, headers = emulator.webhook_delivery(conn.company_id, "invoices", "inv-1", "updated")
        forged = {**headers, SIGNATURE_HEADER: headers[SIGNATURE_HEADER].rstrip("=")}
        assert (await post(receiver, "ledgerly", body, forged)).status_code == 401
        assert (await post(receiver, "ledgerly", body + b" ", headers)).status_code == 401
        assert await inbox_counts(client) == (0, 0)
        assert (await post(receiver, "ledgerly", body, headers)).status_code == 200
        assert await inbox_counts(client) == (1, 1)
        assert queue.in_transaction == [WebhookJob("ledgerly", conn.company_id)]
