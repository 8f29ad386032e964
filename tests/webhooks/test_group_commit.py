"""Deliveries arriving together share one commit: none lost, each stored once, all before ``200``.

Both ways of writing the inbox are covered: on the SQLite driver directly (the embedded runner's
queue is the inbox itself: ``InboxOnly``) and through SQLAlchemy with the job deferred in the
same transaction (a queue that writes, here ``RecordingQueue``; on PostgreSQL, procrastinate).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from unified_accounting.storage.types import UTCDateTime, sqlite_text
from unified_accounting.sync.jobs import InboxOnly, WebhookJob
from unified_accounting.webhooks.receiver import WebhookReceiver
from unified_accounting.webhooks.schema import webhook_events

from ..sync.providers import CASES
from .helpers import RecordingQueue, inbox_counts
from .test_receiver import sign

pytestmark = pytest.mark.anyio

QBO = CASES["quickbooks"]


@pytest.fixture(params=["inbox-only", "deferring"])
def queue(request: pytest.FixtureRequest) -> Any:
    return InboxOnly() if request.param == "inbox-only" else RecordingQueue()


def body_for(company_id: str, record_id: str, *, minute: int = 0) -> bytes:
    entity = {
        "name": "Invoice",
        "id": record_id,
        "operation": "Update",
        "lastUpdated": f"2026-01-01T00:{minute:02d}:00Z",
    }
    return json.dumps(
        {"eventNotifications": [{"realmId": company_id, "dataChangeEvent": {"entities": [entity]}}]}
    ).encode()


async def deliver(receiver: WebhookReceiver, body: bytes, signature: str, on_answer: Any = None) -> int:
    """One delivery through the receiver's ASGI app; ``on_answer(status)`` runs as the answer starts."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
            if on_answer is not None:
                await on_answer(message["status"])

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/quickbooks",
        "root_path": "",
        "headers": [(b"intuit-signature", signature.encode()), (b"content-length", str(len(body)).encode())],
    }
    await receiver(scope, receive, send)
    return statuses[0]


async def stored_event_count(client: Any) -> int:
    db = await client.database()
    async with db.read() as conn:
        return len((await conn.execute(select(webhook_events.c.id))).all())


async def test_concurrent_deliveries_are_all_stored_once(
    queue: Any, database_url: str, secret_key: str
) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, queue)
        bodies = [body_for(conn.company_id, str(n), minute=n % 60) for n in range(60)]
        # 60 distinct deliveries and 20 repeats, all at once: they share commits.
        sent = bodies + bodies[:20]
        statuses = await asyncio.gather(*(deliver(receiver, body, sign(QBO, app, body)) for body in sent))
        assert statuses == [200] * len(sent)
        assert await inbox_counts(client) == (60, 60)
        # Delivered again later, nothing is added.
        assert await deliver(receiver, bodies[5], sign(QBO, app, bodies[5])) == 200
        assert await inbox_counts(client) == (60, 60)
        if isinstance(queue, RecordingQueue):
            assert set(queue.in_transaction) == {WebhookJob("quickbooks", conn.company_id)}
        db = await client.database()
        # The inbox-only queue writes on the driver directly (SQLite: on the event loop;
        # PostgreSQL: one statement per group on a connection of its own).
        assert (db._direct is not None) == (isinstance(queue, InboxOnly) and db.dialect == "sqlite")
        assert (db._direct_postgres is not None) == (
            isinstance(queue, InboxOnly) and db.dialect == "postgresql"
        )


async def test_a_group_waits_for_companions_until_it_is_full(
    queue: Any, database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first delivery waits for others to share its commit; a full group is written at once
    (here the window is a minute: only the group filling up ends the wait)."""
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, queue, commit_window=60)
        group_commit = receiver._inbox
        group_commit.max_group = 3
        groups: list[int] = []
        write = group_commit._write

        async def counted(group: Any) -> Any:
            groups.append(len(group))
            return await write(group)

        monkeypatch.setattr(group_commit, "_write", counted)
        bodies = [body_for(conn.company_id, str(n), minute=n) for n in range(3)]
        answered: list[int] = []

        async def one(body: bytes) -> None:
            answered.append(await deliver(receiver, body, sign(QBO, app, body)))

        first = asyncio.create_task(one(bodies[0]))
        for _ in range(20):
            await asyncio.sleep(0)
        assert answered == [] and groups == []  # waiting for companions
        async with asyncio.timeout(30):
            await asyncio.gather(first, one(bodies[1]), one(bodies[2]))
        assert answered == [200] * 3 and groups == [3]
        assert await inbox_counts(client) == (3, 3)


async def test_one_delivery_the_store_refuses_does_not_fail_its_group(
    queue: Any, database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group whose transaction fails is written again one delivery at a time: only the one
    the store refuses is answered 500 (and delivered again by the provider)."""
    from unified_accounting.webhooks import inbox

    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, queue)
        bodies = [body_for(conn.company_id, str(n), minute=n) for n in range(6)]
        poison = bodies[3]

        def refusing(write: Any, deliveries_at: int) -> Any:
            def check(deliveries: Any) -> None:
                if any(delivery.body == poison for delivery in deliveries):
                    raise ValueError("the store refuses this delivery")

            if asyncio.iscoroutinefunction(write):

                async def refuse_async(connection: Any, *args: Any) -> Any:
                    check(args[deliveries_at - 1])
                    return await write(connection, *args)

                return refuse_async

            def refuse(connection: Any, deliveries: Any, *args: Any) -> Any:
                check(deliveries)
                return write(connection, deliveries, *args)

            return refuse

        # Where each way of writing takes the deliveries (after its connection or database).
        for name, deliveries_at in (("store_direct", 1), ("store_direct_postgres", 1), ("store_many", 2)):
            monkeypatch.setattr(inbox, name, refusing(getattr(inbox, name), deliveries_at))
        statuses = await asyncio.gather(*(deliver(receiver, body, sign(QBO, app, body)) for body in bodies))
        assert statuses == [200, 200, 200, 500, 200, 200]
        assert await inbox_counts(client) == (5, 5)


async def test_each_delivery_is_committed_before_its_answer(
    queue: Any, database_url: str, secret_key: str
) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, queue)
        seen_at_answer: list[int] = []

        async def on_answer(status: int) -> None:
            # Read on another connection of the pool: only what was committed is visible.
            seen_at_answer.append(await stored_event_count(client))

        bodies = [body_for(conn.company_id, str(n), minute=n) for n in range(20)]
        statuses = await asyncio.gather(
            *(deliver(receiver, body, sign(QBO, app, body), on_answer) for body in bodies)
        )
        assert statuses == [200] * 20
        # Every answer saw at least its own event committed; the last answer saw all 20.
        assert all(count >= 1 for count in seen_at_answer)
        assert max(seen_at_answer) == 20


async def test_events_of_unknown_companies_are_dropped_but_the_delivery_kept(
    queue: Any, database_url: str, secret_key: str
) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, queue)
        known, unknown = body_for(conn.company_id, "1"), body_for("no-such-company", "1")
        results = await asyncio.gather(
            deliver(receiver, known, sign(QBO, app, known)),
            deliver(receiver, unknown, sign(QBO, app, unknown)),
        )
        assert results == [200, 200]
        assert await inbox_counts(client) == (2, 1)


async def test_a_company_connected_after_a_delivery_is_found_by_the_next(
    queue: Any, database_url: str, secret_key: str
) -> None:
    """Only companies found connected are remembered: a company connected later is not missed."""
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        receiver = WebhookReceiver(client, queue)
        company_id = str(app.state.emulator.default_realm_id)
        early = body_for(company_id, "1", minute=1)
        assert await deliver(receiver, early, sign(QBO, app, early)) == 200
        assert await inbox_counts(client) == (1, 0)
        await QBO.connect(client, app)
        late = body_for(company_id, "1", minute=2)
        assert await deliver(receiver, late, sign(QBO, app, late)) == 200
        assert await inbox_counts(client) == (2, 1)


async def test_a_failed_commit_answers_500_to_every_delivery_of_its_batch(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, InboxOnly())
        db = await client.database()

        async def broken(work: Any) -> Any:
            raise OSError("disk full")

        monkeypatch.setattr(db, "write_direct", broken)
        monkeypatch.setattr(db, "write_direct_postgres", broken)
        monkeypatch.setattr(db, "transaction", broken)
        bodies = [body_for(conn.company_id, str(n)) for n in range(5)]
        statuses = await asyncio.gather(*(deliver(receiver, body, sign(QBO, app, body)) for body in bodies))
        assert statuses == [500] * 5  # the provider delivers them again
        monkeypatch.undo()
        assert await inbox_counts(client) == (0, 0)
        assert await deliver(receiver, bodies[0], sign(QBO, app, bodies[0])) == 200
        assert await inbox_counts(client) == (1, 1)


async def test_a_batch_read_by_id_applies_changes_and_deletions(database_url: str, secret_key: str) -> None:
    """QuickBooks reads a batch's records in one query; a record it no longer has is deleted."""
    from unified_accounting.sync import SyncService
    from unified_accounting.webhooks.processor import process_company

    from ..sync.providers import mirror_summary
    from .test_receiver import CountRequests

    app = QBO.seeded(invoices=6)
    counter = CountRequests()
    async with QBO.client(app, database_url, secret_key, plugins=(counter,)) as client:
        conn = await QBO.connect(client, app)
        await SyncService(client).sync(conn)
        receiver = WebhookReceiver(client, InboxOnly())
        ids = sorted(QBO.expected(app, "invoice"))
        gone = ids[0]
        await conn.invoices.delete(gone)
        for n, record_id in enumerate(ids):
            body = body_for(conn.company_id, record_id, minute=n)
            assert await deliver(receiver, body, sign(QBO, app, body)) == 200
        counter.urls.clear()
        report = await process_company(client, "quickbooks", conn.company_id)
        assert report.events == len(ids)
        assert len(counter.urls) == 1 and "Id+IN" in counter.urls[0]
        assert await mirror_summary(conn, "invoice") == QBO.expected(app, "invoice")
        assert gone not in await mirror_summary(conn, "invoice")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file's URL: the tests below are about SQLite's write lock."""
    return f"sqlite:///{tmp_path / 'vault.sqlite3'}"


def sqlite_path(database_url: str) -> str:
    return database_url.removeprefix("sqlite:///")


async def test_a_group_is_written_on_the_event_loop_while_the_write_lock_is_free(
    sqlite_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No thread and no task: the window's timer writes the group itself."""
    sqlite_path(sqlite_url)
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, sqlite_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, InboxOnly())
        await receiver.start()
        db = await client.database()

        async def not_here(work: Any) -> Any:
            raise AssertionError("written through write_direct (a task, maybe a thread)")

        monkeypatch.setattr(db, "write_direct", not_here)
        bodies = [body_for(conn.company_id, str(n), minute=n) for n in range(5)]
        statuses = await asyncio.gather(*(deliver(receiver, body, sign(QBO, app, body)) for body in bodies))
        assert statuses == [200] * 5
        assert await inbox_counts(client) == (5, 5)


async def test_a_write_lock_held_elsewhere_is_waited_for_off_the_event_loop(
    sqlite_url: str, secret_key: str
) -> None:
    """Another process holding SQLite's write lock: the group waits for it in the writer thread
    (the loop goes on), and nothing is answered before it is stored."""
    import sqlite3

    path = sqlite_path(sqlite_url)
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, sqlite_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, InboxOnly())
        await receiver.start()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock, as a worker's transaction holds it
        try:
            bodies = [body_for(conn.company_id, str(n), minute=n) for n in range(4)]
            answers = [asyncio.create_task(deliver(receiver, body, sign(QBO, app, body))) for body in bodies]
            for _ in range(10):
                await asyncio.sleep(0.03)  # the loop runs on while the group waits
            assert not any(answer.done() for answer in answers)
        finally:
            other.execute("COMMIT")
            other.close()
        async with asyncio.timeout(30):
            assert await asyncio.gather(*answers) == [200] * 4
        assert await inbox_counts(client) == (4, 4)
        # The lock free again: the next group is written on the loop.
        later = body_for(conn.company_id, "9", minute=9)
        assert await deliver(receiver, later, sign(QBO, app, later)) == 200
        assert await inbox_counts(client) == (5, 5)


async def test_a_receiver_sleeps_through_a_window_only_when_told_and_never_during_a_write(
    sqlite_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from unified_accounting.webhooks import receiver as receiver_module

    path = sqlite_path(sqlite_url)
    naps: list[float] = []
    monkeypatch.setattr(receiver_module.time, "sleep", naps.append)
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, sqlite_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, InboxOnly())
        await receiver.start()
        first, second, third = (body_for(conn.company_id, str(n), minute=n) for n in range(3))
        assert await deliver(receiver, first, sign(QBO, app, first)) == 200
        assert naps == []  # not told to
        receiver.sleep_through_windows()
        assert await deliver(receiver, second, sign(QBO, app, second)) == 200
        assert len(naps) == 1 and 0 < naps[0] < receiver_module.COMMIT_WINDOW
        # A group written by a task (the lock taken elsewhere): the loop must stay awake for it.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            waiting = asyncio.create_task(deliver(receiver, third, sign(QBO, app, third)))
            for _ in range(10):
                await asyncio.sleep(0.03)
            assert len(naps) == 2  # the group's opening: the write had not started
            repeat = asyncio.create_task(deliver(receiver, first, sign(QBO, app, first)))
            for _ in range(5):
                await asyncio.sleep(0.03)
            assert len(naps) == 2  # a group opened while one is being written: awake
        finally:
            other.execute("COMMIT")
            other.close()
        async with asyncio.timeout(30):
            assert await asyncio.gather(waiting, repeat) == [200, 200]
        assert await inbox_counts(client) == (3, 3)


@pytest.mark.parametrize(
    "moment",
    [
        None,
        datetime(2026, 11, 28, 21, 9, 47, 54765, tzinfo=UTC),
        datetime(2026, 11, 28, 21, 9, 47, tzinfo=UTC),  # no microseconds: still written
        datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # the day before in UTC
        datetime(5, 3, 4, 5, 6, 7, 8, tzinfo=UTC),  # a year of one digit
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_inbox_times_are_written_as_sqlalchemy_writes_them_on_sqlite(moment: datetime | None) -> None:
    """The direct SQLite writes (inbox, mirror) store times as the rest of the library reads them."""
    dialect = sqlite.dialect()
    reference = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert reference is not None
    assert sqlite_text(moment) == reference(moment)


def test_a_naive_inbox_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_text(datetime(2026, 1, 1))


async def test_a_long_window_is_not_slept_through_whole(
    sqlite_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event loop sleeps at most MAX_SLEEP of a window, however long the window."""
    from unified_accounting.webhooks import receiver as receiver_module

    sqlite_path(sqlite_url)
    naps: list[float] = []
    monkeypatch.setattr(receiver_module.time, "sleep", naps.append)
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, sqlite_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        receiver = WebhookReceiver(client, InboxOnly(), commit_window=0.5)
        await receiver.start()
        receiver.sleep_through_windows()
        body = body_for(conn.company_id, "1")
        assert await deliver(receiver, body, sign(QBO, app, body)) == 200
        assert naps == [receiver_module.MAX_SLEEP]
