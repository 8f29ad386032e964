"""A real browser (chromium, driven by Playwright) through the connect page and both
providers' emulators: connect QuickBooks, connect two Xero organisations through Xero's picker, a
forged callback, a disconnect, and a screenshot of the connections page.

Chromium comes from ``UA_CHROMIUM``, the system or Playwright's own install (``chromium.py``); without
one the tests skip locally, naming the install command (under CI a skip fails the run).
Set ``UA_ARTIFACTS_DIR`` to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from unified_accounting_xero.emulator import options as xero_options

from unified_accounting import AsyncClient, get_provider
from unified_accounting.http.server import free_port
from unified_accounting.testing.cassettes import serve
from unified_accounting.vault import new_key
from unified_accounting.web import connect_link, create_connect_app

from .chromium import ChromiumMissing, find_chromium

# Drives chromium through Playwright against servers on loopback.
pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIGNING_KEY = new_key()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        chromium = find_chromium()
    except ChromiumMissing as missing:
        pytest.skip(str(missing))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class World:
    """Both emulators and the connect page, each served on its own loopback port."""

    def __init__(self, tmp_path: Path) -> None:
        self.page_port = free_port()
        self.page_url = f"http://localhost:{self.page_port}"
        self.quickbooks = get_provider("quickbooks").create_emulator(realms=1, customers=2)
        self.xero = get_provider("xero").create_emulator(
            tenants=2, redirect_uris=[f"{self.page_url}/callback/xero"], contacts=2
        )
        self.database_url = f"sqlite:///{tmp_path / 'vault.sqlite3'}"
        self.secret_key = new_key()

    def client(self, quickbooks_url: str, xero_url: str) -> AsyncClient:
        return AsyncClient(
            providers={
                "quickbooks": {
                    "client_id": "emulator-client-id",
                    "client_secret": "emulator-client-secret",
                    "environment": "sandbox",
                    "base_url": quickbooks_url,
                },
                "xero": {
                    "client_id": xero_options.DEFAULT_CLIENT_ID,
                    "client_secret": xero_options.DEFAULT_CLIENT_SECRET,
                    "base_url": xero_url,
                },
                "ledgerly": {"client_id": None},
            },
            database_url=self.database_url,
            secret_key=self.secret_key,
            environ={},
        )


def connections_on_page(page: Page) -> list[str]:
    rows: list[str] = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.company)")
    return rows


def test_the_connect_flow_in_a_real_browser(browser: Browser, tmp_path: Path) -> None:
    world = World(tmp_path)
    with serve(world.quickbooks) as quickbooks_url, serve(world.xero) as xero_url:
        client = world.client(quickbooks_url, xero_url)
        app = create_connect_app(client, signing_key=SIGNING_KEY, public_url=world.page_url)
        with serve(app, port=world.page_port):
            context = browser.new_context()
            page = context.new_page()

            link = connect_link(
                world.page_url, "consumer-a", SIGNING_KEY, display_name="Ada (ada@example.com)"
            )
            page.goto(link)
            assert page.url == f"{world.page_url}/"  # the link is gone from the address bar
            expect(page.get_by_role("heading", name="Accounting connections")).to_be_visible()
            expect(page.locator("#signed-in-as")).to_contain_text("Signed in as Ada (ada@example.com)")
            expect(page.locator("#signed-in-as")).to_contain_text("consumer-a")
            expect(page.get_by_text("No company is connected yet.")).to_be_visible()
            expect(page.get_by_role("button", name="Connect Ledgerly")).to_be_disabled()  # not configured

            page.get_by_role("button", name="Connect QuickBooks Online").click()  # auto-consent
            expect(page.get_by_role("status")).to_contain_text("Connected:")
            realm = world.quickbooks.state.emulator.default_realm_id
            assert connections_on_page(page) == [realm]

            page.get_by_role("button", name="Connect Xero").click()
            expect(page.get_by_role("heading", name="Allow access to your organisations")).to_be_visible()
            for box in page.get_by_role("checkbox").all():
                box.check()
            page.get_by_role("button", name="Allow access").click()
            expect(page.get_by_role("status")).to_contain_text("Connected:")
            tenants = sorted(world.xero.state.emulator.tenant_ids)
            assert sorted(connections_on_page(page)) == sorted([realm, *tenants])
            expect(page.locator("tbody .health-ok")).to_have_count(3)
            expect(page.get_by_role("columnheader", name="Reauthorize by")).to_be_visible()

            shot = tmp_path / "connections.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            artifacts = os.environ.get("UA_ARTIFACTS_DIR")
            if artifacts:
                Path(artifacts).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(artifacts) / "connections.png")

            # A forged callback: refused with a clear page, and nothing is exchanged.
            exchanges_before = _token_requests(world)
            forged = page.goto(f"{world.page_url}/callback/xero?code=stolen-code&state=forged-state")
            assert forged is not None and forged.status == 400
            expect(page.get_by_role("alert")).to_contain_text("not issued by this application")
            assert _token_requests(world) == exchanges_before

            # The link worked once: opened again (say, from a forwarded email) it signs nobody in.
            other = browser.new_context().new_page()
            reused = other.goto(link)
            assert reused is not None and reused.status == 401
            expect(other.get_by_role("heading", name="Link already used")).to_be_visible()

            # Another consumer in another browser sees none of it.
            other.goto(connect_link(world.page_url, "consumer-b", SIGNING_KEY))
            expect(other.locator("#signed-in-as")).to_contain_text("consumer-b")
            expect(other.get_by_text("No company is connected yet.")).to_be_visible()
            other.context.close()

            page.goto(world.page_url + "/")
            page.get_by_role("button", name="Disconnect Demo Company 2 (Xero)").click()
            expect(page.get_by_role("status")).to_contain_text("disconnected")
            assert len(connections_on_page(page)) == 2
            page.get_by_role("button", name="Reconnect", exact=False).first.click()
            expect(page.get_by_role("status")).to_contain_text("Connected:")

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
            signed_out = page.goto(world.page_url + "/")
            assert signed_out is not None and signed_out.status == 401
            context.close()


def _token_requests(world: World) -> int:
    """Token endpoint calls seen by both emulators (their request logs)."""
    total = 0
    for app in (world.quickbooks, world.xero):
        log: Any = getattr(app.state.emulator, "request_log", [])
        total += sum(1 for entry in log if "token" in str(entry).lower())
    return total
