"""The ASGI application of the Xero emulator.

``create_emulator(**options)`` builds a Starlette app serving identity (``/identity/connect/authorize``,
``/connect/token``, ``/connect/revocation``, ``/.well-known/openid-configuration``), connections
(``/connections``) and the Accounting API (``/api.xro/2.0/...``) from one base URL, so a client only swaps the
host.  A middleware injects queued/random faults and latency and records every request in
``XeroEmulator.request_log``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .api import accounting
from .emulator import LOGGED_HEADERS, LoggedRequest, XeroEmulator
from .faults import ACCOUNTING_PREFIX, fault_response
from .oauth_routes import authorize, delete_connection, list_connections, revocation, token
from .options import EmulatorOptions


class ControlMiddleware:
    """Fault injection, latency for non-API paths, and the request log."""

    def __init__(self, app: ASGIApp, emulator: XeroEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        em = self.emulator
        path: str = scope["path"]
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        fault = em.faults.take(path)
        try:
            if fault is not None:
                if fault.timeout:
                    if em.options.timeout_hang_s > 0:
                        await asyncio.sleep(em.options.timeout_hang_s)
                    raise httpx.ReadTimeout("emulated Xero timeout")
                await fault_response(fault.status)(scope, receive, capture)
            else:
                if not path.startswith(ACCOUNTING_PREFIX) and em.options.latency_ms > 0:
                    await asyncio.sleep(em.options.latency_ms / 1000)
                await self.app(scope, receive, capture)
        finally:
            self._log(scope, status, fault is not None)

    def _log(self, scope: Scope, status: int, fault: bool) -> None:
        headers: dict[str, str] = {}
        auth_scheme: str | None = None
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            if name in LOGGED_HEADERS:
                headers[name] = raw_value.decode("latin-1")
            elif name == "authorization":
                auth_scheme = raw_value.decode("latin-1").split(" ", 1)[0].lower() or None
        state: dict[str, Any] = scope.get("state") or {}
        self.emulator.request_log.append(
            LoggedRequest(
                method=scope["method"],
                path=scope["path"],
                query=dict(QueryParams(scope.get("query_string", b"").decode("latin-1"))),
                headers=headers,
                status=status,
                at=self.emulator.clock.now(),
                auth_scheme=auth_scheme,
                idempotent_replay=bool(state.get("idempotent_replay", False)),
                fault=fault,
            )
        )


async def openid_configuration(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    em: XeroEmulator = request.app.state.emulator
    return JSONResponse(
        {
            "issuer": "https://identity.xero.com",
            "authorization_endpoint": f"{base}/identity/connect/authorize",
            "token_endpoint": f"{base}/connect/token",
            "revocation_endpoint": f"{base}/connect/revocation",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(em.options.allowed_scopes),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


def build_app(emulator: XeroEmulator) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.aclose()

    routes = [
        Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route("/identity/connect/authorize", authorize, methods=["GET", "POST"]),
        Route("/connect/token", token, methods=["POST"]),
        Route("/connect/revocation", revocation, methods=["POST"]),
        Route("/connections", list_connections, methods=["GET"]),
        Route("/connections/{connection_id}", delete_connection, methods=["DELETE"]),
        Route("/api.xro/2.0/{resource}", accounting, methods=["GET", "PUT", "POST"]),
        Route("/api.xro/2.0/{resource}/{record_id}", accounting, methods=["GET", "PUT", "POST", "DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ControlMiddleware, emulator=emulator)],
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app


def create_emulator(**options: Any) -> Starlette:
    """Build the emulator app; ``app.state.emulator`` is its :class:`XeroEmulator` control object.

    Keyword arguments are the fields of :class:`~.options.EmulatorOptions`.
    """
    return build_app(XeroEmulator(EmulatorOptions.from_kwargs(**options)))
