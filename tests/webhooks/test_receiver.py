"""The webhook receiver and inbox, with both emulators delivering, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from datetime import timedelta
from typing import Any

import httpx
import pytest

from unified_accounting import hookimpl
from unified_accounting.service.embedded import EmbeddedRunner
from unified_accounting.sync import SyncService
from unified_accounting.sync.jobs import WebhookJob
from unified_accounting.webhooks.processor import CHANGE_FEED_FROM, has_batched_read, process_company

from ..sync.providers import CASES, ProviderCase, mirror_summary
from .helpers import LateApp, RecordingQueue, event_statuses, inbox_counts, mount, post, replay_headers

pytestmark = pytest.mark.anyio

RESOURCES = ("customer", "invoice", "payment")


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return CASES[request.param]


def emulator_with_receiver(case: ProviderCase, **options: Any) -> tuple[Any, LateApp]:
    late = LateApp()
    app = case.seeded(
        invoices=30,
        webhook_url=f"http://receiver.test/webhooks/{case.name}",
        webhook_transport=httpx.ASGITransport(app=late),
        **options,
    )
    return app, late


async def make_changes(case: ProviderCase, app: Any, conn: Any) -> None:
    """Create, update and delete invoices at the provider (each queues webhook events)."""
    customer_id = next(iter(case.expected(app, "customer")))
    doomed = await conn.invoices.create(case.harness.deletable_invoice(customer_id))
    kept = await conn.invoices.create(case.harness.invoice(customer_id))
    case.harness.advance(app, 5)
    await conn.invoices.update(str(kept.id), case.harness.invoice_changes())
    case.harness.advance(app, 5)
    await conn.invoices.delete(str(doomed.id))


async def test_bad_signature_is_refused_and_nothing_stored(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app = case.seeded(invoices=5)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        queue = RecordingQueue()
        receiver = mount(client, queue)
        body = sample_body(case, conn.company_id)
        good = sign(case, app, body)
        for headers in ({}, {signature_header(case): "bm90IGl0"}, {signature_header(case): good + "x"}):
            response = await post(receiver, case.name, body, headers)
            assert response.status_code == 401
        tampered = body.replace(b"1", b"2")
        assert (await post(receiver, case.name, tampered, {signature_header(case): good})).status_code == 401
        assert await inbox_counts(client) == (0, 0)
        assert queue.in_transaction == []
        # The same body, rightly signed, is accepted, stored and queued, with nothing fetched yet.
        response = await post(receiver, case.name, body, {signature_header(case): good})
        assert response.status_code == 200 and response.content == b""
        assert await inbox_counts(client) == (1, 1)
        assert queue.in_transaction == [WebhookJob(case.name, conn.company_id)]
        assert queue.committed_jobs == queue.in_transaction


async def test_duplicated_reordered_delayed_webhooks_converge(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    await converge(case, database_url, secret_key)


async def test_quickbooks_cloudevents_format(database_url: str, secret_key: str) -> None:
    await converge(CASES["quickbooks"], database_url, secret_key, webhook_format="cloudevents")


async def converge(case: ProviderCase, database_url: str, secret_key: str, **options: Any) -> None:
    app, late = emulator_with_receiver(case, **options)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        await SyncService(client).sync(conn)
        queue = RecordingQueue()  # nothing processed yet: deliveries are only stored
        late.target = mount(client, queue)
        await make_changes(case, app, conn)
        await case.emulator(app).deliver_webhooks()
        deliveries = [d for d in case.emulator(app).webhook_deliveries if d.body]
        assert deliveries and all(d.status == 200 for d in deliveries)
        _, events = await inbox_counts(client)
        assert events >= 3

        # Deliver everything again, twice, shuffled: duplicates are not stored again.
        replays = deliveries * 2
        random.Random(5).shuffle(replays)
        for delivery in replays:
            response = await post(late.target, case.name, delivery.body, replay_headers(case.name, delivery))
            assert response.status_code == 200
        assert (await inbox_counts(client))[1] == events

        # Processing happens later ("delayed"), in whatever order: the mirror ends at the provider's state.
        async with EmbeddedRunner(client, poll_interval=3600) as runner:
            await runner.drain()
            assert runner.failures == []
        assert await event_statuses(client) == {"done": events}
        for resource in RESOURCES:
            assert await mirror_summary(conn, resource) == case.expected(app, resource), resource

        # A stale delivery arriving after everything else changes nothing.
        await post(late.target, case.name, deliveries[0].body, replay_headers(case.name, deliveries[0]))
        assert await event_statuses(client) == {"done": events}


async def test_unknown_company_is_ignored(
    case: ProviderCase, database_url: str, secret_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = case.seeded(invoices=5)
    async with case.client(app, database_url, secret_key) as client:
        await case.connect(client, app)
        queue = RecordingQueue()
        receiver = mount(client, queue)
        body = sample_body(case, "not-connected-company")
        with caplog.at_level("WARNING", logger="unified_accounting.webhooks.receiver"):
            response = await post(receiver, case.name, body, {signature_header(case): sign(case, app, body)})
        assert response.status_code == 200
        assert (await inbox_counts(client))[1] == 0
        assert queue.in_transaction == []
        assert "not-connected-company" in caplog.text


async def test_inbox_is_processed_after_a_restart(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        conn = await case.connect(client, app)
        await SyncService(client).sync(conn)
        late.target = mount(client, RecordingQueue())  # a process that stored events, then died
        await make_changes(case, app, conn)
        await case.emulator(app).deliver_webhooks()
        assert "pending" in await event_statuses(client)
    async with case.client(app, database_url, secret_key) as client:  # the restarted process
        conn = await client.connection(consumer_id="acme", provider=case.name)
        async with EmbeddedRunner(client, poll_interval=3600) as runner:
            await runner.drain()
        assert set(await event_statuses(client)) == {"done"}
        for resource in RESOURCES:
            assert await mirror_summary(conn, resource) == case.expected(app, resource), resource


async def test_xero_intent_to_receive(database_url: str, secret_key: str) -> None:
    case = CASES["xero"]
    app, late = emulator_with_receiver(case)
    async with case.client(app, database_url, secret_key) as client:
        await case.connect(client, app)
        late.target = mount(client, RecordingQueue())
        assert await case.emulator(app).verify_webhook_receiver()
        assert (await inbox_counts(client))[1] == 0


# ------------------------------------------------------------------------------------ helpers


def signature_header(case: ProviderCase) -> str:
    return "intuit-signature" if case.name == "quickbooks" else "x-xero-signature"


def sign(case: ProviderCase, app: Any, body: bytes) -> str:
    digest = hmac.new(case.webhook_secret(app).encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sample_body(case: ProviderCase, company_id: str) -> bytes:
    if case.name == "quickbooks":
        payload: Any = {
            "eventNotifications": [
                {
                    "realmId": company_id,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Invoice",
                                "id": "1",
                                "operation": "Update",
                                "lastUpdated": "2026-01-01T00:00:00Z",
                            }
                        ]
                    },
                }
            ]
        }
    else:
        payload = {
            "events": [
                {
                    "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/1",
                    "resourceId": "11111111-1111-1111-1111-111111111111",
                    "eventDateUtc": "2026-01-01T00:00:00.000",
                    "eventType": "UPDATE",
                    "eventCategory": "INVOICE",
                    "tenantId": company_id,
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 1,
            "lastEventSequence": 1,
            "entropy": "ABCDEFGHIJ",
        }
    return json.dumps(payload).encode()


class CountRequests:
    def __init__(self) -> None:
        self.urls: list[str] = []

    @hookimpl
    def ua_before_request(self, provider: str, company_id: str, request: httpx.Request) -> None:
        self.urls.append(str(request.url))


async def test_a_burst_of_events_is_read_from_the_change_feed(
    case: ProviderCase, database_url: str, secret_key: str
) -> None:
    """Many changed records: one change-feed read instead of one GET per record (QuickBooks: 10/s)."""
    app, late = emulator_with_receiver(case)
    counter = CountRequests()
    async with case.client(app, database_url, secret_key, plugins=(counter,)) as client:
        conn = await case.connect(client, app)
        await SyncService(client).sync(conn)
        late.target = mount(client, RecordingQueue())
        customer_id = next(iter(case.expected(app, "customer")))
        for _ in range(CHANGE_FEED_FROM + 2):
            await conn.invoices.create(case.harness.invoice(customer_id))
        await case.emulator(app).deliver_webhooks()
        counter.urls.clear()
        report = await process_company(client, case.name, conn.company_id)
        assert report.events >= CHANGE_FEED_FROM + 2
        assert len(counter.urls) < CHANGE_FEED_FROM  # not one GET per record
        if has_batched_read(conn.provider):
            assert len(counter.urls) == 1
        for resource in RESOURCES:
            assert await mirror_summary(conn, resource) == case.expected(app, resource), resource


async def test_events_older_than_the_change_feed_window_are_fetched_by_id(
    case: ProviderCase, database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the provider's ``change_feed_window`` a burst is fetched by id: in one batched read
    where the provider has one (QuickBooks; Xero for invoices), else record by record."""
    app, late = emulator_with_receiver(case)
    counter = CountRequests()
    async with case.client(app, database_url, secret_key, plugins=(counter,)) as client:
        conn = await case.connect(client, app)
        await SyncService(client).sync(conn)
        late.target = mount(client, RecordingQueue())
        customer_id = next(iter(case.expected(app, "customer")))
        for _ in range(CHANGE_FEED_FROM + 2):
            await conn.invoices.create(case.harness.invoice(customer_id))
        await case.emulator(app).deliver_webhooks()
        monkeypatch.setattr(type(conn.provider), "change_feed_window", timedelta(0))
        counter.urls.clear()
        report = await process_company(client, case.name, conn.company_id)
        assert report.events >= CHANGE_FEED_FROM + 2
        if has_batched_read(conn.provider) or len(conn.provider.id_siblings("invoice")) > 1:
            # One read of every record of the batch (Xero: ``Invoices?IDs=``, which answers for
            # sales invoices and bills alike, the events not saying which they are).
            assert len(counter.urls) == 1
        else:
            assert len(counter.urls) >= CHANGE_FEED_FROM + 2  # one GET per record
        for resource in RESOURCES:
            assert await mirror_summary(conn, resource) == case.expected(app, resource), resource
