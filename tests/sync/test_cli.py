"""``ua sync``, ``ua serve`` (its app) and ``ua worker`` wiring, against the QuickBooks emulator."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from unified_accounting import RESOURCES, AsyncClient
from unified_accounting.cli import build_app
from unified_accounting.plugins import get_provider
from unified_accounting.service.app import create_service_app, runner_for
from unified_accounting.service.embedded import EmbeddedRunner
from unified_accounting.testing.cassettes import serve

from .providers import CASES, mirror_summary

QBO = CASES["quickbooks"]


def environment(app: Any, base_url: str, database_url: str, secret_key: str) -> dict[str, str]:
    settings = QBO.settings(app)
    return {
        "UA_DATABASE_URL": database_url,
        "UA_SECRET_KEY": secret_key,
        "UA_QUICKBOOKS_CLIENT_ID": settings["client_id"],
        "UA_QUICKBOOKS_CLIENT_SECRET": settings["client_secret"],
        "UA_QUICKBOOKS_DEFAULT_ITEM_ID": settings["default_item_id"],
        "UA_QUICKBOOKS_BASE_URL": base_url,
        "UA_QUICKBOOKS_WEBHOOK_SECRET": settings["webhook_secret"],
    }


@pytest.mark.integration
def test_ua_sync_fills_the_mirror(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = QBO.seeded(invoices=40)
    with serve(app) as base_url:
        for name, value in environment(app, base_url, database_url, secret_key).items():
            monkeypatch.setenv(name, value)

        async def connect() -> Any:
            async with AsyncClient() as client:
                conn = await QBO.connect(client, app)
                return conn.company_id

        asyncio.run(connect())
        result = CliRunner().invoke(
            build_app(), ["sync", "--consumer", "acme", "--provider", "quickbooks", "--page-size", "10"]
        )
        assert result.exit_code == 0, result.output
        assert "initial sync done" in result.output

        async def mirrored() -> Any:
            async with AsyncClient() as client:
                conn = await client.connection(consumer_id="acme", provider="quickbooks")
                return await mirror_summary(conn, "invoice")

        assert asyncio.run(mirrored()) == QBO.expected(app, "invoice")
        # The first run read its pages in a worker process (two cores here), this one in its own.
        again = CliRunner().invoke(
            build_app(), ["sync", "-c", "acme", "-p", "quickbooks", "--full", "--read-processes", "0"]
        )
        assert again.exit_code == 0 and "initial sync done" in again.output
        assert asyncio.run(mirrored()) == QBO.expected(app, "invoice")


@pytest.mark.anyio
async def test_ua_serve_app_receives_and_processes_webhooks(database_url: str, secret_key: str) -> None:
    app = QBO.seeded(invoices=10)
    settings = QBO.settings(app)
    client = QBO.client(app, database_url, secret_key)
    runner = runner_for(client)
    if isinstance(runner, EmbeddedRunner):
        runner.poll_interval = 0.05
    service = create_service_app(client, runner=runner, close_client=True)
    async with service.router.lifespan_context(service):
        conn = await QBO.connect(client, app)
        invoice = next(iter(QBO.expected(app, "invoice")))
        entity = {
            "name": "Invoice",
            "id": invoice,
            "operation": "Update",
            "lastUpdated": "2026-01-01T00:00:00Z",
        }
        body = json.dumps(
            {"eventNotifications": [{"realmId": conn.company_id, "dataChangeEvent": {"entities": [entity]}}]}
        ).encode()
        signature = base64.b64encode(
            hmac.new(settings["webhook_secret"].encode(), body, hashlib.sha256).digest()
        ).decode()
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
            refused = await http.post(
                "/webhooks/quickbooks", content=body, headers={"intuit-signature": "bad"}
            )
            assert refused.status_code == 401
            accepted = await http.post(
                "/webhooks/quickbooks", content=body, headers={"intuit-signature": signature}
            )
            assert accepted.status_code == 200
        deadline = time.monotonic() + 30
        while invoice not in await mirror_summary(conn, "invoice"):
            assert time.monotonic() < deadline, "the worker never processed the webhook"
            await asyncio.sleep(0.05)


def test_ua_worker_and_serve_are_registered() -> None:
    names = {command.name for command in build_app().registered_commands}
    assert {"sync", "worker", "serve"} <= names
    assert [c.name for c in build_app().registered_commands].count("serve") == 1


@pytest.mark.integration
@pytest.mark.anyio
async def test_ua_worker_processes_the_inbox(database_url: str, secret_key: str) -> None:
    """``ua worker`` (a separate process) picks up events a receiver stored, then stops on Ctrl-C."""
    import os
    import signal
    import sys

    from ..webhooks.helpers import RecordingQueue, event_statuses, mount, post

    app = QBO.seeded(invoices=10)
    with serve(app) as base_url:
        env = {**os.environ, **environment(app, base_url, database_url, secret_key)}
        async with AsyncClient(environ=env) as client:
            conn = await QBO.connect(client, app)
            receiver = mount(client, RecordingQueue())  # stores only: nothing runs in this process
            invoice = next(iter(QBO.expected(app, "invoice")))
            entity = {
                "name": "Invoice",
                "id": invoice,
                "operation": "Update",
                "lastUpdated": "2026-01-01T00:00:00Z",
            }
            body = json.dumps(
                {
                    "eventNotifications": [
                        {"realmId": conn.company_id, "dataChangeEvent": {"entities": [entity]}}
                    ]
                }
            ).encode()
            secret = QBO.settings(app)["webhook_secret"].encode()
            signature = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
            assert (
                await post(receiver, "quickbooks", body, {"intuit-signature": signature})
            ).status_code == 200
            assert await event_statuses(client) == {"pending": 1}
            # Started as a shell's background job would be, with SIGINT ignored: it still stops on it.
            inherited = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                worker = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", "from unified_accounting.cli import main; main()", "worker", env=env
                )
            finally:
                signal.signal(signal.SIGINT, inherited)
            try:
                deadline = time.monotonic() + 60
                while await event_statuses(client) != {"done": 1}:
                    assert worker.returncode is None and time.monotonic() < deadline
                    await asyncio.sleep(0.1)
            finally:
                worker.send_signal(signal.SIGINT)
                assert await asyncio.wait_for(worker.wait(), 30) == 0
            assert invoice in await mirror_summary(conn, "invoice")


def test_ua_sync_refuses_a_negative_number_of_read_processes() -> None:
    refused = CliRunner().invoke(
        build_app(), ["sync", "-c", "acme", "-p", "quickbooks", "--read-processes", "-1"]
    )
    assert refused.exit_code == 2 and "--read-processes" in refused.output


def test_ua_sync_resource_choices_come_from_the_catalog() -> None:
    runner = CliRunner()
    wrong = runner.invoke(build_app(), ["sync", "-c", "acme", "-p", "quickbooks", "--resource", "widget"])
    assert wrong.exit_code == 2
    for name in RESOURCES:
        assert name in wrong.output


def test_ua_sync_mirrors_only_the_resources_named(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = QBO.seeded(invoices=5)
    with serve(app) as base_url:
        for name, value in environment(app, base_url, database_url, secret_key).items():
            monkeypatch.setenv(name, value)

        async def connect() -> Any:
            async with AsyncClient() as client:
                return (await QBO.connect(client, app)).company_id

        asyncio.run(connect())
        result = CliRunner().invoke(build_app(), ["sync", "-c", "acme", "-p", "quickbooks", "-r", "customer"])
        assert result.exit_code == 0, result.output

        async def mirrored() -> tuple[int, int]:
            async with AsyncClient() as client:
                conn = await client.connection(consumer_id="acme", provider="quickbooks")
                return len(await mirror_summary(conn, "customer")), len(await mirror_summary(conn, "invoice"))

        customers, invoices = asyncio.run(mirrored())
        assert customers == len(QBO.expected(app, "customer")) and customers > 0
        assert invoices == 0
        # A resource the provider does not list is refused: QuickBooks lists every resource of the
        # catalog now, so it is made to drop one here.
        provider = type(get_provider("quickbooks"))
        monkeypatch.setattr(
            provider, "capabilities", {k: v for k, v in provider.capabilities.items() if k != "journal_entry"}
        )
        refused = CliRunner().invoke(
            build_app(), ["sync", "-c", "acme", "-p", "quickbooks", "-r", "journal_entry"]
        )
        assert refused.exit_code == 1
        assert "does not support list on 'journal_entry'" in refused.output


@pytest.mark.anyio
@pytest.mark.integration
async def test_ua_serve_runs_its_worker_in_a_child_process(database_url: str, secret_key: str) -> None:
    """``ua serve``: deliveries answered by the server process, processed by its child worker,
    which stops with the server."""
    import os
    import signal
    import socket
    import sys

    from unified_accounting.http.server import free_port

    app = QBO.seeded(invoices=10)
    with serve(app) as base_url:
        env = {**os.environ, **environment(app, base_url, database_url, secret_key)}
        async with AsyncClient(environ=env) as client:
            conn = await QBO.connect(client, app)
            port = free_port()
            server = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "from unified_accounting.cli import main; main()",
                "serve",
                "--port",
                str(port),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                        break
                    except OSError:
                        assert server.returncode is None and time.monotonic() < deadline
                        await asyncio.sleep(0.1)
                # The port is bound before the worker starts: wait for the worker too.
                while not (children := _children(server.pid)):
                    assert server.returncode is None and time.monotonic() < deadline, "no worker started"
                    await asyncio.sleep(0.1)
                invoice = next(iter(QBO.expected(app, "invoice")))
                entity = {
                    "name": "Invoice",
                    "id": invoice,
                    "operation": "Update",
                    "lastUpdated": "2026-01-01T00:00:00Z",
                }
                body = json.dumps(
                    {
                        "eventNotifications": [
                            {"realmId": conn.company_id, "dataChangeEvent": {"entities": [entity]}}
                        ]
                    }
                ).encode()
                secret = QBO.settings(app)["webhook_secret"].encode()
                signature = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    answer = await http.post(
                        "/webhooks/quickbooks", content=body, headers={"intuit-signature": signature}
                    )
                assert answer.status_code == 200
                while invoice not in await mirror_summary(conn, "invoice"):
                    assert time.monotonic() < deadline, "the worker never processed the webhook"
                    await asyncio.sleep(0.1)
            finally:
                server.send_signal(signal.SIGINT)
                await asyncio.wait_for(server.wait(), 30)
            # The worker stops with the server (and multiprocessing's helper right after it).
            stopped = time.monotonic() + 10
            while any(_state(child) not in ("gone", "Z") for child in children):
                assert time.monotonic() < stopped, [_cmdline(child) for child in children]
                await asyncio.sleep(0.1)


def _children(pid: int) -> list[int]:
    import os

    found: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as listing:
            found += [int(child) for child in listing.read().split()]
    return found


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""
