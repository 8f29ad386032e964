"""``ua serve``'s HTTP protocol answering webhook deliveries itself, over real sockets: the same
answers as the receiver's ASGI app, on keep-alive and pipelined connections, and a delivery
answered ``200`` is in the store even when the server is killed right after."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from unified_accounting import AsyncClient
from unified_accounting.http.server import free_port
from unified_accounting.service.app import WEBHOOKS_PREFIX, create_service_app
from unified_accounting.service.server import server_config
from unified_accounting.webhooks.body import BodyLimits

from ..sync.providers import CASES
from .helpers import inbox_counts
from .test_receiver import sign

pytestmark = pytest.mark.anyio

QBO = CASES["quickbooks"]


def body_for(company_id: str, record_id: str) -> bytes:
    entity = {
        "name": "Invoice",
        "id": record_id,
        "operation": "Update",
        "lastUpdated": "2026-01-01T00:00:00Z",
    }
    return json.dumps(
        {"eventNotifications": [{"realmId": company_id, "dataChangeEvent": {"entities": [entity]}}]}
    ).encode()


def request(
    body: bytes, signature: str | None, *, path: str = "/webhooks/quickbooks", extra: str = ""
) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
    if signature is not None:
        head += f"intuit-signature: {signature}\r\n"
    head += extra or f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), headers, body


@contextlib.asynccontextmanager
async def running_server(client: AsyncClient, limits: BodyLimits | None = None) -> AsyncIterator[int]:
    """The service app under ``ua serve``'s server settings, on a free port of this loop."""
    app = create_service_app(client, worker=False, webhook_limits=limits)
    port = free_port()
    config = server_config(app, port=port, webhooks=app.state.receiver, webhooks_prefix=WEBHOOKS_PREFIX)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        await task


async def test_deliveries_on_one_keep_alive_connection_are_stored_once(
    database_url: str, secret_key: str
) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        async with running_server(client) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            first, second = body_for(conn.company_id, "1"), body_for(conn.company_id, "2")
            for body in (first, second, first):  # the last one repeats the first
                writer.write(request(body, sign(QBO, app, body)))
                status, headers, answer = await read_answer(reader)
                assert (status, answer) == (200, b"")
                assert "date" in headers and headers.get("connection") != "close"
            # Two requests in one write (pipelined): answered in order, both stored.
            third, fourth = body_for(conn.company_id, "3"), body_for(conn.company_id, "4")
            writer.write(request(third, sign(QBO, app, third)) + request(fourth, sign(QBO, app, fourth)))
            assert (await read_answer(reader))[0] == 200
            assert (await read_answer(reader))[0] == 200
            writer.close()
        assert await inbox_counts(client) == (4, 4)


async def test_refusals_match_the_receivers_app(database_url: str, secret_key: str) -> None:
    app = QBO.seeded(invoices=1)
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        body = body_for(conn.company_id, "1")
        async with running_server(client, BodyLimits(max_bytes=1000)) as port:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            # A bad signature, then a signed body that is not a delivery: refused, the
            # connection kept (the whole request was read).
            writer.write(request(body, "AAAA"))
            assert (await read_answer(reader))[0] == 401
            unreadable = b"[1, 2]"
            writer.write(request(unreadable, sign(QBO, app, unreadable)))
            assert (await read_answer(reader))[0] == 400
            # Not a POST: the receiver's ASGI app answers, on the same connection.
            writer.write(b"GET /webhooks/quickbooks HTTP/1.1\r\nHost: receiver\r\n\r\n")
            status, headers, _ = await read_answer(reader)
            assert status == 405 and headers["allow"] == "POST"
            writer.close()

            async def refused_before_the_body(data: bytes) -> int:
                """The status, once the server closed the connection without reading the body."""
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(data)
                status, headers, _ = await read_answer(reader)
                assert headers["connection"] == "close"
                assert await asyncio.wait_for(reader.read(), 30) == b""  # closed
                writer.close()
                return status

            assert await refused_before_the_body(request(body, "x", path="/webhooks/nosuch")) == 404
            assert await refused_before_the_body(request(b"", "x", extra="Content-Length: 5000\r\n")) == 413
            chunked = b"".join(b"%x\r\n%s\r\n" % (400, b"x" * 400) for _ in range(3))
            assert (
                await refused_before_the_body(request(chunked, "x", extra="Transfer-Encoding: chunked\r\n"))
                == 413
            )
            assert await refused_before_the_body(request(b"", "x", extra="Content-Length: 1x\r\n")) == 400
        assert await inbox_counts(client) == (0, 0)


@pytest.mark.integration
async def test_a_delivery_answered_200_survives_the_server_being_killed(
    database_url: str, secret_key: str
) -> None:
    """``ua serve --no-worker`` killed (SIGKILL) as soon as every delivery was answered: every
    one of them is in the store."""
    app = QBO.seeded(invoices=1)
    settings = QBO.settings(app)
    env = {
        **os.environ,
        "UA_DATABASE_URL": database_url,
        "UA_SECRET_KEY": secret_key,
        "UA_QUICKBOOKS_CLIENT_ID": settings["client_id"],
        "UA_QUICKBOOKS_CLIENT_SECRET": settings["client_secret"],
        "UA_QUICKBOOKS_WEBHOOK_SECRET": settings["webhook_secret"],
    }
    async with QBO.client(app, database_url, secret_key) as client:
        conn = await QBO.connect(client, app)
        port = free_port()
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from unified_accounting.cli import main; main()",
            "serve",
            "--no-worker",
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )
        try:
            await _wait_answering(port, server)
            bodies = [body_for(conn.company_id, str(n)) for n in range(40)]
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                answers = await asyncio.gather(
                    *(
                        http.post(
                            "/webhooks/quickbooks",
                            content=body,
                            headers={"intuit-signature": sign(QBO, app, body)},
                        )
                        for body in bodies
                    )
                )
            assert [answer.status_code for answer in answers] == [200] * len(bodies)
        finally:
            server.send_signal(signal.SIGKILL)
            await asyncio.wait_for(server.wait(), 30)
        assert await inbox_counts(client) == (len(bodies), len(bodies))


async def _wait_answering(port: int, server: Any) -> None:
    """Until the server answers HTTP (its lifespan, which opens the store, has run)."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        while True:
            assert server.returncode is None and time.monotonic() < deadline, "ua serve did not start"
            with contextlib.suppress(httpx.TransportError):
                await http.get("/webhooks/quickbooks")
                return
            await asyncio.sleep(0.1)


def test_a_delivery_being_stored_is_cancelled_as_uvicorn_cancels_its_tasks() -> None:
    """A shutdown out of time cancels the server's tasks while iterating over them: a delivery
    being stored closes its connection unanswered, and leaves the tasks once it is settled."""
    from types import SimpleNamespace

    from unified_accounting.service.webhook_http import _Delivery

    closed: list[bool] = []
    answers: list[int] = []
    protocol = SimpleNamespace(
        tasks=set(),
        transport=SimpleNamespace(close=lambda: closed.append(True)),
        _answer=lambda delivery, status: answers.append(status),
    )
    delivery = _Delivery(protocol, "quickbooks", keep_alive=True)  # type: ignore[arg-type]
    protocol.tasks.add(delivery)
    for task in protocol.tasks:  # as uvicorn's shutdown does
        task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
    assert closed == [True] and delivery in protocol.tasks
    delivery.stored(None)
    assert protocol.tasks == set() and answers == [200]
