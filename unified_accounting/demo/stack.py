"""The processes of the demo, all in this one: both emulators, and the product side (connect page,
webhook receiver and embedded sync worker) each served on a loopback port."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..http.server import serve
from ..plugins import default_registry

#: The demo's two providers; their distributions ship the emulators.
PROVIDERS = ("quickbooks", "xero")


@dataclass
class Stack:
    """Where everything listens, and the secrets the emulators and the client share."""

    directory: Path
    app_url: str
    emulator_urls: dict[str, str]
    emulator_apps: dict[str, Any]
    webhook_secrets: dict[str, str]
    secret_key: str

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.directory / 'demo-vault.sqlite3'}"

    def emulator(self, provider: str) -> Any:
        return self.emulator_apps[provider].state.emulator

    def client_settings(self) -> dict[str, dict[str, Any]]:
        quickbooks = self.emulator("quickbooks")
        xero = self.emulator("xero")
        return {
            "quickbooks": {
                "client_id": quickbooks.options.client_id,
                "client_secret": quickbooks.options.client_secret,
                "base_url": self.emulator_urls["quickbooks"],
                "webhook_secret": self.webhook_secrets["quickbooks"],
                "environment": "sandbox",
                "default_item_id": "1",
            },
            "xero": {
                "client_id": xero.options.client_id,
                "client_secret": xero.options.client_secret,
                "base_url": self.emulator_urls["xero"],
                "webhook_secret": self.webhook_secrets["xero"],
            },
        }


def callback_url(app_url: str, provider: str) -> str:
    """Where each provider sends the user back after consent (the connect page's callback)."""
    return f"{app_url}/connect/callback/{provider}"


def _require_providers() -> None:
    registry = default_registry()
    missing = [name for name in PROVIDERS if name not in registry.names()]
    if missing:
        raise ConfigurationError(
            "the demo needs the QuickBooks and Xero providers: "
            + " ".join(f"pip install unified-accounting-{name}" for name in missing)
        )


#: The sales tax rate the demo's product code looks up by name on every provider.
GST_ON_INCOME = "GST on Income"


@contextmanager
def emulators(directory: Path, app_port: int) -> Iterator[Stack]:
    """Start both emulators (seeded, webhooks pointed at the product app) on loopback ports."""
    _require_providers()
    registry = default_registry()
    app_url = f"http://127.0.0.1:{app_port}"
    webhook_secrets = {name: secrets.token_urlsafe(24) for name in PROVIDERS}
    apps = {
        # Both companies are Australian and charge GST at 10 % under the same name, so that the
        # same product code keeps the same books on both (the side-by-side table shows it).
        "quickbooks": registry.get("quickbooks").create_emulator(
            seed=42,
            country="AU",
            sales_tax_codes={GST_ON_INCOME: "10"},
            customers=8,
            items=4,
            invoices=40,
            webhook_url=f"{app_url}/webhooks/quickbooks",
            webhook_verifier_token=webhook_secrets["quickbooks"],
            redirect_uris=[callback_url(app_url, "quickbooks")],
        ),
        "xero": registry.get("xero").create_emulator(
            seed=42,
            tenants=[{"name": "Demo Company (AU)", "country_code": "AU", "base_currency": "AUD"}],
            contacts=8,
            items=4,
            invoices=40,
            payments=10,
            webhook_url=f"{app_url}/webhooks/xero",
            webhook_key=webhook_secrets["xero"],
            redirect_uris=[callback_url(app_url, "xero")],
        ),
    }
    with ExitStack() as servers:
        urls = {name: servers.enter_context(serve(app)) for name, app in apps.items()}
        yield Stack(
            directory=directory,
            app_url=app_url,
            emulator_urls=urls,
            emulator_apps=apps,
            webhook_secrets=webhook_secrets,
            secret_key=secrets.token_urlsafe(32),
        )
