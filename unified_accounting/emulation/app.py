"""Assembling an emulator's ASGI app: its routes, the request log, edge faults and test controls.

:func:`emulator_app` wraps a provider's routes in the kit's middleware — the outermost records
every request (:class:`.requestlog.RequestRecorder`), the next injects queued faults before the
provider sees the request (:class:`FaultMiddleware`, unless the emulator injects them itself where
its provider fails) — and adds the ``/_emulator/...`` control routes:

* ``POST /_emulator/tokens[?company=]`` — a token set without the browser flow;
* ``POST /_emulator/advance?seconds=`` — move the clock;
* ``POST /_emulator/fail-next?count=&status=&target=&timeout=&disconnect=&latency_ms=`` — faults;
* ``POST /_emulator/expire-access-tokens``, ``POST /_emulator/revoke-all``;
* ``GET /_emulator/requests`` — the request log; ``GET /_emulator/state`` — the clock and counts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..types import ASGIApp, Receive, Scope, Send
from .emulator import Emulator
from .requestlog import Annotate, RequestRecorder

CONTROL_PREFIX = "/_emulator"


class FaultMiddleware:
    """ASGI middleware: carry out a due fault before the provider's routes see the request.

    ``latency_for(path)`` gives seconds to wait before serving requests that met no fault (for
    emulators that add their configured latency at the edge).
    """

    def __init__(
        self, app: ASGIApp, *, emulator: Emulator, latency_for: Callable[[str], float] | None = None
    ) -> None:
        self.app = app
        self.emulator = emulator
        self.latency_for = latency_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX + "/"):
            fault = self.emulator.faults.take(scope["path"])
            if fault is not None:
                response = await self.emulator.inject(fault, scope)
                if response is not None:
                    await response(scope, receive, send)
                    return
            elif self.latency_for is not None:
                await self.emulator.clock.sleep(self.latency_for(scope["path"]))
        await self.app(scope, receive, send)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json(body: Any) -> Response:
    return Response(json.dumps(body, default=_jsonable), media_type="application/json")


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


def control_routes() -> list[BaseRoute]:
    """The ``/_emulator/...`` routes (see the module docstring)."""

    def emulator_of(request: Request) -> Emulator:
        emulator: Emulator = request.app.state.emulator
        return emulator

    async def tokens(request: Request) -> Response:
        company = request.query_params.get("company") or request.query_params.get("realm_id")
        return _json(dict(emulator_of(request).issue_tokens_for(company)))

    async def advance(request: Request) -> Response:
        try:
            seconds = float(request.query_params.get("seconds", "0"))
        except ValueError:
            return JSONResponse({"error": "seconds must be a number"}, status_code=400)
        return _json({"now": emulator_of(request).advance(seconds)})

    async def fail_next(request: Request) -> Response:
        params = request.query_params
        emulator = emulator_of(request)
        try:
            emulator.fail_next(
                int(params.get("count", "1")),
                int(params.get("status", "500")),
                _flag(request, "timeout"),
                params.get("target") or params.get("endpoint"),
                disconnect=_flag(request, "disconnect"),
                latency_ms=float(params.get("latency_ms", "0")),
            )
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return _json({"queued": emulator.faults.pending})

    async def expire(request: Request) -> Response:
        return _json({"expired": emulator_of(request).expire_access_tokens()})

    async def revoke_all(request: Request) -> Response:
        emulator_of(request).revoke_all()
        return _json({"revoked": True})

    async def requests(request: Request) -> Response:
        entries = [
            {
                "method": entry.method,
                "path": entry.path,
                "query": entry.query,
                "status": entry.status,
                "time": entry.time,
                "fault": entry.fault,
            }
            for entry in emulator_of(request).request_log
            if not entry.path.startswith(CONTROL_PREFIX + "/")
        ]
        return _json(entries)

    async def state(request: Request) -> Response:
        return _json(emulator_of(request).state_summary())

    return [
        Route(f"{CONTROL_PREFIX}/tokens", tokens, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/advance", advance, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/fail-next", fail_next, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/expire-access-tokens", expire, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/revoke-all", revoke_all, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/requests", requests, methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/state", state, methods=["GET"]),
    ]


def emulator_app(
    emulator: Emulator,
    routes: Sequence[BaseRoute],
    *,
    logged_headers: Collection[str] = (),
    annotate: Annotate | None = None,
    faults_at_edge: bool = True,
    latency_for: Callable[[str], float] | None = None,
    middleware: Sequence[Middleware] = (),
) -> Starlette:
    """The emulator's app: ``routes`` behind the request log and edge faults, plus the control
    routes (option ``control_routes``). ``app.state.emulator`` is ``emulator``.

    ``faults_at_edge=False`` leaves injecting faults to the emulator's routes (call
    ``emulator.faults.take`` and ``emulator.inject`` where the provider fails). ``middleware`` runs
    inside the kit's, next to the routes.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.aclose()

    stack = [
        Middleware(
            RequestRecorder,
            log=emulator.request_log,
            clock=emulator.clock,
            headers=logged_headers,
            annotate=annotate,
        )
    ]
    if faults_at_edge:
        stack.append(Middleware(FaultMiddleware, emulator=emulator, latency_for=latency_for))
    stack.extend(middleware)
    all_routes = list(routes)
    if emulator.options.control_routes:
        all_routes.extend(control_routes())
    app = Starlette(routes=all_routes, middleware=stack, lifespan=lifespan)
    app.state.emulator = emulator
    emulator.app = app
    return app
