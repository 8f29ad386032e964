"""``ua sync``, ``ua worker`` and ``ua serve`` (connect page + webhooks + worker)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
from enum import StrEnum
from typing import Annotated

import typer

from ..catalog import RESOURCES
from ..client.async_client import AsyncClient
from ..emulation.command import PortInUse, bind
from ..errors import UnifiedAccountingError
from ..http.deadlines import DEFAULT_LIMIT_CONCURRENCY, DEFAULT_READ_TIMEOUT
from ..mirror.query import count
from ..service.app import WEBHOOKS_PREFIX, create_service_app, runner_for
from ..service.embedded import EmbeddedRunner
from ..service.process import start_worker_process, stop_worker_process
from ..service.server import serve_app
from ..sync.collector import bulk_collection
from ..sync.engine import SyncOptions, resources_for
from ..sync.progress import RichProgress
from ..sync.readers import default_read_processes
from ..sync.service import SyncService
from ..web import connect_link, create_connect_app
from ..webhooks.body import DEFAULT_MAX_BODY_BYTES, BodyLimits
from .console import console

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database of the vault and mirror (default: UA_DATABASE_URL, else embedded)."
    ),
]


#: The choices of ``ua sync --resource``: the resources of the catalog.
ResourceName = StrEnum("ResourceName", {name: name for name in RESOURCES})  # type: ignore[misc]


def _fail(exc: Exception) -> typer.Exit:
    console().print(f"[red]{exc}[/red]")
    return typer.Exit(1)


def sync(
    consumer: Annotated[str, typer.Option("--consumer", "-c", help="The consumer (your customer) id.")],
    provider: Annotated[str, typer.Option("--provider", "-p", help="Provider name, e.g. quickbooks.")],
    company: Annotated[str | None, typer.Option(help="Company id, when the consumer has several.")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="List everything again (finds deletions missed).")
    ] = False,
    page_size: Annotated[int, typer.Option(help="Records per page asked of the provider.")] = 1000,
    resource: Annotated[
        list[ResourceName] | None,
        typer.Option(
            "--resource",
            "-r",
            help="A resource to mirror (repeat for several; default: every one the provider lists).",
        ),
    ] = None,
    read_processes: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Worker processes that decode pages beside this one (default: 1 on a machine with "
            "more than one core, else 0).",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Sync one connection into the mirror, with a progress bar (resumes an interrupted sync)."""

    wanted = tuple(name.value for name in resource) if resource else None
    # Started by the sync when it lists (an initial sync), not here: an incremental run has no
    # pages to hand over, and would wait at exit for a worker still importing.
    readers = default_read_processes() if read_processes is None else read_processes

    async def run() -> None:
        async with AsyncClient(database_url=database_url) as client:
            conn = await client.connection(consumer_id=consumer, provider=provider, company_id=company)
            options = SyncOptions(page_size=page_size, resources=wanted, read_processes=readers)
            service = SyncService(client, options)
            db = await service.database()
            expected = 0
            for name in resources_for(conn.provider, wanted):
                expected += await count(db, conn.key, name, include_deleted=True)
            with RichProgress(console(), expected=expected) as progress:
                report = await service.sync(conn, full=full, progress=progress)
            console().print(
                f"{report.kind} sync done: {report.records} records read, {report.created} created, "
                f"{report.updated} updated, {report.deleted} deleted."
            )

    try:
        with bulk_collection():  # see unified_accounting.sync.collector
            asyncio.run(run())
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None


def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once by this worker.")] = 4,
    database_url: DatabaseOption = None,
) -> None:
    """Run jobs until interrupted: procrastinate on PostgreSQL, else the embedded runner.

    On PostgreSQL, start several workers (on several machines) to share the work.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per provider request is noise at this level (and costs the worker CPU per event).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # A shell starts a background job with SIGINT ignored, and Python then leaves it ignored: the
    # worker would never stop on Ctrl-C or a supervisor's SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    async def run() -> None:
        async with AsyncClient(database_url=database_url) as client:
            runner = runner_for(client)
            if isinstance(runner, EmbeddedRunner):
                console().print("Embedded worker on the SQLite store; Ctrl-C stops it.")
                async with runner:
                    await asyncio.Event().wait()
            else:
                console().print("procrastinate worker on PostgreSQL; Ctrl-C stops it.")
                try:
                    await runner.run_worker(concurrency=concurrency)
                finally:
                    await runner.close()

    try:
        with bulk_collection():
            asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except UnifiedAccountingError as exc:
        raise _fail(exc) from None


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; keep it on loopback behind a proxy.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    consumer: Annotated[
        str | None,
        typer.Option(
            "--consumer", "-c", help="Print a signed link that opens the connect page as this consumer."
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="The page's external https URL (default: UA_CONNECT_PUBLIC_URL, else localhost)."),
    ] = None,
    worker: Annotated[
        bool, typer.Option(help="Run a worker too (in a process of its own, at a lower CPU priority).")
    ] = True,
    max_body: Annotated[
        int, typer.Option(help="Largest webhook body accepted, in bytes (larger ones get 413).")
    ] = DEFAULT_MAX_BODY_BYTES,
    read_timeout: Annotated[
        float,
        typer.Option(help="Seconds a client has to send a whole request; slower ones are disconnected."),
    ] = DEFAULT_READ_TIMEOUT,
    limit_concurrency: Annotated[
        int, typer.Option(help="Connections and requests served at once (503 beyond).")
    ] = DEFAULT_LIMIT_CONCURRENCY,
    database_url: DatabaseOption = None,
) -> None:
    """Serve the connect page (/), the webhook receiver (/webhooks/PROVIDER) and a worker."""
    signing_key = os.environ.get("UA_CONNECT_SIGNING_KEY") or secrets.token_urlsafe(48)
    base = (
        public_url
        or os.environ.get("UA_CONNECT_PUBLIC_URL")
        or f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}"
    )
    try:
        # The port is taken before anything is printed, so a busy one is the only thing said.
        sock = bind(host, port)
    except PortInUse as exc:
        raise _fail(exc) from None
    try:
        client = AsyncClient(database_url=database_url)
        connect_app = create_connect_app(client, signing_key=signing_key, public_url=base)
        limits = BodyLimits(max_bytes=max_body, read_timeout=read_timeout)
        # The worker runs in a process of its own (see unified_accounting.service.process).
        app = create_service_app(
            client, connect_app=connect_app, worker=False, webhook_limits=limits, close_client=True
        )
    except (UnifiedAccountingError, ValueError) as exc:
        sock.close()
        raise _fail(exc) from None
    typer.echo(f"Connect page on {base}/ (callbacks: {base}/callback/<provider>)")
    typer.echo(f"Webhooks on {base}/webhooks/<provider>; Ctrl-C stops it.")
    if consumer:
        typer.echo(f"Link for consumer {consumer!r} (valid once, within 1 hour):")
        typer.echo(connect_link(base, consumer, signing_key))
    process = start_worker_process(database_url) if worker else None
    try:
        serve_app(
            app,
            sockets=[sock],
            read_timeout=read_timeout,
            limit_concurrency=limit_concurrency,
            webhooks=app.state.receiver,
            webhooks_prefix=WEBHOOKS_PREFIX,
        )
    finally:
        sock.close()
        if process is not None:
            stop_worker_process(process)


def register(app: typer.Typer) -> None:
    """Add ``sync``, ``worker`` and ``serve`` (connect page, webhooks and a worker)."""
    app.command("sync")(sync)
    app.command("worker")(worker)
    app.command("serve")(serve)
