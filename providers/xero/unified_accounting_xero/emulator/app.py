"""The ASGI application of the Xero emulator.

``create_emulator(**options)`` builds a Starlette app serving identity (``/identity/connect/authorize``,
``/connect/token``, ``/connect/revocation``, ``/.well-known/openid-configuration``), connections
(``/connections``) and the Accounting API (``/api.xro/2.0/...``) from one base URL, so a client only swaps the
host.  The kit's middleware (:func:`unified_accounting.emulation.emulator_app`) injects queued and random
faults and latency before Xero's routes, records every request in ``XeroEmulator.request_log`` (with
``extra["idempotent_replay"]``) and serves the ``/_emulator/...`` control routes.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import LoggedRequest, emulator_app
from unified_accounting.types import Scope

from .api import accounting
from .emulator import LOGGED_HEADERS, XeroEmulator
from .faults import ACCOUNTING_PREFIX
from .oauth_routes import authorize, delete_connection, list_connections, revocation, token
from .options import EmulatorOptions


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


ROUTES = [
    Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/identity/connect/authorize", authorize, methods=["GET", "POST"]),
    Route("/connect/token", token, methods=["POST"]),
    Route("/connect/revocation", revocation, methods=["POST"]),
    Route("/connections", list_connections, methods=["GET"]),
    Route("/connections/{connection_id}", delete_connection, methods=["DELETE"]),
    Route("/api.xro/2.0/{resource}", accounting, methods=["GET", "PUT", "POST"]),
    Route("/api.xro/2.0/{resource}/{record_id}", accounting, methods=["GET", "PUT", "POST", "DELETE"]),
    Route("/api.xro/2.0/{resource}/{record_id}/{sub}", accounting, methods=["GET", "PUT", "POST", "DELETE"]),
    Route(
        "/api.xro/2.0/{resource}/{record_id}/{sub}/{sub_id}",
        accounting,
        methods=["GET", "PUT", "POST", "DELETE"],
    ),
]


def _annotate(entry: LoggedRequest, scope: Scope) -> None:
    state = scope.get("state") or {}
    entry.extra["idempotent_replay"] = bool(state.get("idempotent_replay", False))


def build_app(emulator: XeroEmulator) -> Starlette:
    """A new Starlette app serving ``emulator`` (``app.state.emulator is emulator``)."""
    latency = emulator.options.latency_ms / 1000

    def latency_for(path: str) -> float:
        # Accounting API calls wait inside their handler, holding their rate-limit slot.
        return 0.0 if path.startswith(ACCOUNTING_PREFIX) else latency

    return emulator_app(
        emulator, ROUTES, logged_headers=LOGGED_HEADERS, annotate=_annotate, latency_for=latency_for
    )


def create_emulator(**options: Any) -> Starlette:
    """Build the emulator app; ``app.state.emulator`` is its :class:`XeroEmulator` control object.

    Keyword arguments are the fields of :class:`~.options.EmulatorOptions`.
    """
    return build_app(XeroEmulator(EmulatorOptions.from_kwargs(**options)))
