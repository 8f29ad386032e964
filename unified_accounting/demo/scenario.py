"""The demo's story, step by step. Every step uses the public API, as product code would."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from contextlib import AsyncExitStack, ExitStack
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from starlette.applications import Starlette
from starlette.routing import Mount

from ..client import AsyncClient, AsyncConnection
from ..errors import Conflict
from ..http.server import free_port
from ..models import Allocation, Customer, Invoice, LineItem, Payment, TaxMode, TaxRateUse
from ..service.embedded import EmbeddedRunner
from ..sync import SyncService
from ..sync.progress import RichProgress
from ..web import connect_link, create_connect_app
from ..webhooks.receiver import WebhookReceiver
from .report import CallCounter, calls_table, invoice_table
from .stack import GST_ON_INCOME, PROVIDERS, Stack, callback_url, emulators

CONSUMER = "demo"


async def sales_tax_rate(conn: AsyncConnection, name: str) -> str:
    """The id of the sales tax rate called ``name``, found by listing (ids differ per provider)."""
    async for rate in conn.tax_rates.list():
        if rate.name == name and TaxRateUse.SALES in rate.applies_to:
            return str(rate.id)
    raise LookupError(f"{conn.provider} has no sales tax rate named {name!r}")


async def bill_and_collect(conn: AsyncConnection) -> Invoice:
    """Product code: the same on every provider."""
    gst = await sales_tax_rate(conn, GST_ON_INCOME)
    customer = await conn.customers.create(
        Customer(display_name=f"Globex Corporation {uuid.uuid4().hex[:4]}", email="ap@globex.example")
    )
    return await conn.invoices.create(
        Invoice(
            customer_id=str(customer.id),
            issue_date=date.today(),
            due_date=date.today() + timedelta(days=30),
            tax_mode=TaxMode.EXCLUSIVE,
            line_items=[
                LineItem(description="Consulting, 3 days", quantity=3, unit_price="450.00", tax_rate_id=gst)
            ],
        )
    )


async def pay(conn: AsyncConnection, invoice: Invoice, amount: Decimal) -> Payment:
    return await conn.payments.create(
        Payment(
            customer_id=invoice.customer_id,
            total_amount=amount,
            date=date.today(),
            allocations=[Allocation(invoice_id=str(invoice.id), amount=amount)],
        )
    )


async def connect(client: AsyncClient, stack: Stack, provider: str) -> AsyncConnection:
    """The real OAuth flow: consent URL, the emulator's (auto-approving) consent, callback, tokens."""
    redirect_uri = callback_url(stack.app_url, provider)
    url = await client.authorization_url(consumer_id=CONSUMER, provider=provider, redirect_uri=redirect_uri)
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(url)
    if consent.status_code not in (302, 303):
        raise RuntimeError(f"{provider} consent answered {consent.status_code}: {consent.text[:300]}")
    [conn] = await client.complete_authorization(
        provider=provider, consumer_id=CONSUMER, callback_url=consent.headers["location"]
    )
    return conn


async def run_demo(console: Console | None = None, *, keep: bool = False) -> int:
    console = console or Console()
    with ExitStack() as cleanup:
        directory = (
            Path(tempfile.mkdtemp(prefix="ua-demo-"))
            if keep
            else Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="ua-demo-")))
        )
        app_port = free_port()
        console.rule("[bold]unified-accounting demo")
        console.print("Starting the QuickBooks and Xero emulators on loopback…")
        stack = cleanup.enter_context(emulators(directory, app_port))
        await _story(console, stack, keep=keep)
    return 0


async def _story(console: Console, stack: Stack, *, keep: bool) -> None:
    counter = CallCounter()
    async with AsyncExitStack() as running:
        client = AsyncClient(
            database_url=stack.database_url,
            secret_key=stack.secret_key,
            providers=stack.client_settings(),
            plugins=(counter,),
            environ={},
        )
        running.push_async_callback(client.aclose)
        runner = await running.enter_async_context(EmbeddedRunner(client, poll_interval=0.2))
        signing_key = uuid.uuid4().hex * 2
        product_app = Starlette(
            routes=[
                Mount("/webhooks", app=WebhookReceiver(client, runner).app),
                Mount(
                    "/connect",
                    app=create_connect_app(
                        client, signing_key=signing_key, public_url=f"{stack.app_url}/connect"
                    ),
                ),
            ]
        )
        server = uvicorn.Server(
            uvicorn.Config(
                product_app,
                host="127.0.0.1",
                port=int(stack.app_url.rsplit(":", 1)[1]),
                log_level="warning",
                lifespan="off",
            )
        )
        serving = asyncio.create_task(server.serve())
        running.push_async_callback(_stop, server, serving)
        # uvicorn offers no event to await; it flips this flag once listening.
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

        console.print(f"Vault: embedded SQLite in {stack.directory} (tokens encrypted at rest)")
        step = _Steps(console)

        step("Connect a demo consumer to both providers through OAuth")
        conns = {p: await connect(client, stack, p) for p in PROVIDERS}
        for provider, conn in conns.items():
            record = await conn.record()
            console.print(
                f"  {provider}: company {record.company_id} ({record.company_name or 'unnamed'}), "
                f"health {record.health.value}, reauthorize by {_day(record.reauthorize_by)}"
            )

        step("Create the same invoice on both with one unified call")
        invoices = {p: await bill_and_collect(conn) for p, conn in conns.items()}
        for provider, invoice in invoices.items():
            console.print(f"  {provider}: invoice {invoice.id} total {invoice.total} ({invoice.status})")

        step("Record a payment of 500.00 on each")
        for provider, conn in conns.items():
            payment = await pay(conn, invoices[provider], Decimal("500.00"))
            after = await conn.invoices.get(str(invoices[provider].id))
            console.print(
                f"  {provider}: payment {payment.id}; invoice now {after.status}, due {after.amount_due}"
            )

        step("Update with a stale row_version: Conflict, then re-read and re-apply")
        new_due = date.today() + timedelta(days=45)
        for provider, conn in conns.items():
            stale = invoices[provider]  # read before the payment changed the invoice
            try:
                await conn.invoices.update(
                    str(stale.id), {"due_date": new_due}, row_version=stale.row_version
                )
                raise RuntimeError(f"{provider} accepted a stale row_version")
            except Conflict as exc:
                console.print(f"  {provider}: [yellow]Conflict[/yellow] ({exc.code or 'stale'}) — re-reading")
            fresh = await conn.invoices.get(str(stale.id))
            updated = await conn.invoices.update(
                str(stale.id), {"due_date": new_due}, row_version=fresh.row_version
            )
            console.print(f"  {provider}: applied on {fresh.row_version} → {updated.row_version}")

        step("Initial sync into the local mirror")
        service = SyncService(client)
        for provider, conn in conns.items():
            with RichProgress(console) as progress:
                report = await service.sync(conn, progress=progress)
            console.print(
                f"  {provider}: {report.records} records in {report.pages} pages mirrored "
                f"(bookmark {_show_time(report.bookmark)})"
            )

        step("A change at the provider arrives as a signed webhook and triggers an incremental sync")
        later_due = new_due + timedelta(days=15)
        for provider, conn in conns.items():
            invoice_id = str(invoices[provider].id)
            current = await conn.invoices.get(invoice_id)
            await conn.invoices.update(invoice_id, {"due_date": later_due}, row_version=current.row_version)
            before = await conn.invoices.get(invoice_id, source="mirror")
            deliveries = await stack.emulator(provider).deliver_webhooks()
            # Emulators report each delivery as a status code or an object carrying one.
            statuses = [getattr(delivery, "status", delivery) for delivery in deliveries]
            await _until_mirrored(conn, invoice_id, later_due, runner)
            after = await conn.invoices.get(invoice_id, source="mirror")
            change = f"{before.due_date} → {after.due_date}"
            console.print(f"  {provider}: webhook answered {statuses}; mirror due date {change}")

        views = {p: await conn.invoices.get(str(invoices[p].id)) for p, conn in conns.items()}
        console.print(invoice_table(views))
        console.print(calls_table(counter, _metered(client, conns)))

        if keep:
            link = connect_link(f"{stack.app_url}/connect", CONSUMER, signing_key)
            console.rule("still running (--keep)")
            lines = [
                *(f"{p} emulator: {url}" for p, url in stack.emulator_urls.items()),
                f"connect page: {link}",
                f"webhooks: {stack.app_url}/webhooks/<provider>",
                f"vault: {stack.database_url}",
                "Ctrl-C stops everything.",
            ]
            for line in lines:
                console.print(line, soft_wrap=True, highlight=False)  # unwrapped: links stay copyable
            await asyncio.Event().wait()
        console.rule("[green]demo finished")


class _Steps:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.number = 0

    def __call__(self, title: str) -> None:
        self.number += 1
        self.console.print(f"\n[bold cyan]{self.number}. {title}[/bold cyan]")


def _show_time(value: Any) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else "—"


def _day(value: Any) -> str:
    return value.date().isoformat() if value is not None else "—"


def _metered(client: AsyncClient, conns: dict[str, AsyncConnection]) -> dict[str, str]:
    notes = {"xero": "every call counts: 60/min and 5,000/day per organisation"}
    meter = getattr(client.provider("quickbooks"), "meter", None)
    if meter is not None:
        usage = meter.usage(conns["quickbooks"].company_id)
        notes["quickbooks"] = (
            f"CorePlus reads this month: {usage.metered_reads} (writes are free: {usage.free_writes})"
        )
    return {p: notes.get(p, "") for p in conns}


async def _until_mirrored(conn: AsyncConnection, invoice_id: str, due: date, runner: Any) -> None:
    for _ in range(200):
        await runner.drain()
        mirrored = await conn.invoices.get(invoice_id, source="mirror")
        if mirrored.due_date == due:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the webhook did not reach the mirror within 10 seconds")


async def _stop(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    server.should_exit = True
    await serving
