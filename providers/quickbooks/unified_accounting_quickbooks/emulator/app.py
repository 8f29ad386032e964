"""Assembly of the Starlette application: routes, the ``intuit_tid`` header and the request log.

Every response carries a fresh ``intuit_tid`` header; every request is recorded (method, path,
query parameters, a subset of headers, status, company id and ``minorversion``).

Optional ``/_emulator/...`` routes expose the test controls over HTTP for an emulator run as a
server: ``POST /_emulator/tokens[?realm_id=]``, ``POST /_emulator/advance?seconds=``,
``POST /_emulator/expire-access-tokens``, ``POST /_emulator/revoke-all``,
``POST /_emulator/fail-next?count=&status=&timeout=&endpoint=``, ``POST /_emulator/webhooks/deliver``,
``GET /_emulator/state``.
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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api, oauth_routes
from .emulator import LOGGED_HEADERS, QuickBooksEmulator, RequestLogEntry
from .options import EmulatorOptions

_REALM_RE = re.compile(r"^/v3/company/([^/]+)/")


def new_tid() -> str:
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


class IntuitTidMiddleware:
    """Adds ``intuit_tid`` to every response and appends the request to the log."""

    def __init__(self, app: ASGIApp, emulator: QuickBooksEmulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tid = new_tid()
        request = Request(scope)
        query = dict(request.query_params)
        headers = {name: request.headers[name] for name in LOGGED_HEADERS if name in request.headers}
        match = _REALM_RE.match(request.url.path)
        entry = RequestLogEntry(
            method=request.method,
            path=request.url.path,
            query=query,
            headers=headers,
            status=None,
            intuit_tid=tid,
            time=self.emulator.clock.now(),
            realm_id=match.group(1) if match else None,
            minorversion=query.get("minorversion"),
        )
        self.emulator.request_log.append(entry)

        async def send_with_tid(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("intuit_tid", tid)
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, send_with_tid)


def _control_routes() -> list[Route]:
    def emulator_of(request: Request) -> QuickBooksEmulator:
        emulator: QuickBooksEmulator = request.app.state.emulator
        return emulator

    async def tokens(request: Request) -> Response:
        return JSONResponse(emulator_of(request).issue_tokens(request.query_params.get("realm_id")))

    async def advance(request: Request) -> Response:
        moment = emulator_of(request).advance(float(request.query_params.get("seconds", "0")))
        return JSONResponse({"now": moment.isoformat()})

    async def expire(request: Request) -> Response:
        return JSONResponse({"expired": emulator_of(request).expire_access_tokens()})

    async def revoke_all(request: Request) -> Response:
        emulator_of(request).revoke_all()
        return JSONResponse({"revoked": True})

    async def fail_next(request: Request) -> Response:
        params = request.query_params
        emulator_of(request).fail_next(
            int(params.get("count", "1")),
            int(params.get("status", "500")),
            params.get("timeout") == "true",
            params.get("endpoint", "api"),
        )
        return JSONResponse({"queued": emulator_of(request).faults.pending})

    async def deliver(request: Request) -> Response:
        made = await emulator_of(request).deliver_webhooks()
        return JSONResponse({"deliveries": [{"status": d.status, "error": d.error} for d in made]})

    async def state(request: Request) -> Response:
        emulator = emulator_of(request)
        body: dict[str, Any] = {
            "now": emulator.now().isoformat(),
            "refresh_count": emulator.refresh_count,
            "realms": {
                realm_id: {name: len(table) for name, table in realm.tables.items()}
                for realm_id, realm in emulator.realms.items()
            },
        }
        return JSONResponse(body)

    return [
        Route("/_emulator/tokens", tokens, methods=["POST"]),
        Route("/_emulator/advance", advance, methods=["POST"]),
        Route("/_emulator/expire-access-tokens", expire, methods=["POST"]),
        Route("/_emulator/revoke-all", revoke_all, methods=["POST"]),
        Route("/_emulator/fail-next", fail_next, methods=["POST"]),
        Route("/_emulator/webhooks/deliver", deliver, methods=["POST"]),
        Route("/_emulator/state", state, methods=["GET"]),
    ]


def create_emulator(options: EmulatorOptions | None = None, **kwargs: Any) -> Starlette:
    """Build the emulator app; its control object is ``app.state.emulator``.

    Keyword arguments are the fields of :class:`EmulatorOptions` (e.g. ``seed=1, invoices=500``).
    """
    emulator = QuickBooksEmulator(options, **kwargs) if options is not None else QuickBooksEmulator(**kwargs)
    routes = [*oauth_routes.routes, *api.routes]
    if emulator.options.control_routes:
        routes.extend(_control_routes())
    app = Starlette(routes=routes, middleware=[Middleware(IntuitTidMiddleware, emulator=emulator)])
    app.state.emulator = emulator
    emulator.app = app
    return app
