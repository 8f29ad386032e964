"""Assembly of the Starlette application: routes, the ``intuit_tid`` header and the request log.

Every response carries a fresh ``intuit_tid`` header; every request is recorded by the kit's request
log (method, path, query parameters, a subset of headers, status), with ``extra["intuit_tid"]`` and
``extra["realm_id"]``.

Optional ``/_emulator/...`` routes expose the test controls over HTTP for an emulator run as a
server: the kit's (``POST /_emulator/tokens[?company=]``, ``advance?seconds=``,
``fail-next?count=&status=&target=&timeout=``, ``expire-access-tokens``, ``revoke-all``,
``GET /_emulator/requests``, ``GET /_emulator/state``) and ``POST /_emulator/webhooks/deliver``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unified_accounting.emulation import LoggedRequest, emulator_app
from unified_accounting.types import ASGIApp, Message, Receive, Scope, Send

from . import api, oauth_routes
from .emulator import LOGGED_HEADERS, QuickBooksEmulator
from .options import EmulatorOptions

_REALM_RE = re.compile(r"^/v3/company/([^/]+)/")


def new_tid() -> str:
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


class IntuitTidMiddleware:
    """Adds a fresh ``intuit_tid`` header to every response (noted in the request log too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tid = new_tid()
        scope.setdefault("state", {})["intuit_tid"] = tid

        async def send_with_tid(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("intuit_tid", tid)
            await send(message)

        await self.app(scope, receive, send_with_tid)


def annotate(entry: LoggedRequest, scope: Scope) -> None:
    """Log the ``intuit_tid`` answered and the company id of an Accounting API call."""
    state = scope.get("state") or {}
    entry.extra["intuit_tid"] = state.get("intuit_tid")
    match = _REALM_RE.match(entry.path)
    entry.extra["realm_id"] = match.group(1) if match else None


def _control_routes() -> list[Route]:
    """QuickBooks' own ``/_emulator`` routes, next to the kit's (tokens, advance, fail-next, ...)."""

    async def deliver(request: Request) -> Response:
        emulator: QuickBooksEmulator = request.app.state.emulator
        made = await emulator.deliver_webhooks()
        return JSONResponse({"deliveries": [{"status": d.status, "error": d.error} for d in made]})

    return [Route("/_emulator/webhooks/deliver", deliver, methods=["POST"])]


def create_emulator(options: EmulatorOptions | None = None, **kwargs: Any) -> Starlette:
    """Build the emulator app; its control object is ``app.state.emulator``.

    Keyword arguments are the fields of :class:`EmulatorOptions` (e.g. ``seed=1, invoices=500``).
    """
    emulator = QuickBooksEmulator(options, **kwargs) if options is not None else QuickBooksEmulator(**kwargs)
    routes: list[Any] = [*oauth_routes.routes, *api.routes]
    if emulator.options.control_routes:
        routes.extend(_control_routes())
    # QuickBooks fails an Accounting API call after its token and throttle checks, and counts a
    # failed token request: the routes inject faults themselves.
    return emulator_app(
        emulator,
        routes,
        logged_headers=LOGGED_HEADERS,
        annotate=annotate,
        faults_at_edge=False,
        middleware=[Middleware(IntuitTidMiddleware)],
    )
