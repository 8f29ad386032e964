"""Helpers for driving the emulator in-process from tests (of the emulator or of code that talks to Xero)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from starlette.applications import Starlette

from .emulator import XeroEmulator

BASE_URL = "http://xero.test"
API = "/api.xro/2.0"


def emulator_of(app: Starlette) -> XeroEmulator:
    emulator: XeroEmulator = app.state.emulator
    return emulator


def http_client(app: Starlette, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client wired to the app through ``httpx.ASGITransport``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, **kwargs)


def api_client(
    app: Starlette, tenant_ids: Sequence[str] | None = None, tenant_id: str | None = None
) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """A client with a fresh token set and ``Authorization``/``Accept``/``xero-tenant-id`` headers set.

    Returns the client and the token set from :meth:`XeroEmulator.issue_tokens`.
    """
    emulator = emulator_of(app)
    tokens = emulator.issue_tokens(tenant_ids)
    headers = {
        "Authorization": f"Bearer {tokens['access_token']}",
        "Accept": "application/json",
        "xero-tenant-id": tenant_id or tokens["tenant_ids"][0],
    }
    return http_client(app, headers=headers), tokens
